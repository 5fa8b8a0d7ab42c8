package stage

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/checksum"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/testgate"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(dst), 0o755)
	if err := os.WriteFile(dst, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
		}
	}
}

// TestKeysFollowContent: replacing a data file, or editing a model's
// config.json, gives new stage keys, never the stored results of the old
// content (both once returned stale numbers within seconds).
func TestKeysFollowContent(t *testing.T) {
	weak, _ := tinyModels(t)
	ctx := context.Background()
	t.Setenv("W2S_CACHE", t.TempDir()) // the checksum memo
	data := t.TempDir()
	src, _ := os.ReadFile(filepath.Join(os.Getenv("W2S_DATA"), "sst2", "test.jsonl"))
	copyFile(t, filepath.Join(os.Getenv("W2S_DATA"), "sst2", "train.jsonl.gz"), filepath.Join(data, "sst2", "train.jsonl.gz"))
	os.WriteFile(filepath.Join(data, "sst2", "test.jsonl"), src, 0o644)
	copyFile(t, filepath.Join(os.Getenv("W2S_DATA"), "sst2", "validation.jsonl"), filepath.Join(data, "sst2", "validation.jsonl"))
	model := filepath.Join(t.TempDir(), "weak")
	copyDir(t, weak, model)
	root := t.TempDir()
	key := func() string {
		r, _ := testRunner(t, "sst2", root, true)
		r.Data = tasks.LoadOptions{Roots: []string{data}, NoDownload: true}
		a, err := r.Features(ctx, model)
		if err != nil {
			t.Fatal(err)
		}
		return a.Key
	}
	k1 := key()
	if k1 != key() {
		t.Fatal("the same inputs gave another key")
	}
	// Other test data (the last line dropped): another key.
	lines := strings.SplitAfter(strings.TrimSpace(string(src)), "\n")
	os.WriteFile(filepath.Join(data, "sst2", "test.jsonl"), []byte(strings.Join(lines[:len(lines)-1], "")+"\n"), 0o644)
	k2 := key()
	if k2 == k1 {
		t.Error("replacing the test file kept the stage key: stale results would be returned")
	}
	// An edited config.json: another key.
	cfgPath := filepath.Join(model, "config.json")
	var cfg map[string]any
	raw, _ := os.ReadFile(cfgPath)
	json.Unmarshal(raw, &cfg)
	cfg["layer_norm_epsilon"] = 1e-3
	raw, _ = json.MarshalIndent(cfg, "", "  ")
	os.WriteFile(cfgPath, raw, 0o644)
	if k3 := key(); k3 == k2 {
		t.Error("editing config.json kept the stage key")
	}
}

// TestCorruptLadderModelRefused: a model folder with a build record whose
// weights no longer match it is refused at load, not trained on.
func TestCorruptLadderModelRefused(t *testing.T) {
	weak, _ := tinyModels(t)
	t.Setenv("W2S_CACHE", t.TempDir())
	dir := filepath.Join(t.TempDir(), "xs")
	copyDir(t, weak, dir)
	rec := zoo.Record{Name: "xs", Files: map[string]string{}}
	for _, f := range modelFiles {
		sum, _, err := checksum.File(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		rec.Files[f] = sum
	}
	js, _ := json.Marshal(rec)
	os.WriteFile(filepath.Join(dir, zoo.RecordFile), js, 0o644)
	r, _ := testRunner(t, "sst2", t.TempDir(), true)
	if _, _, err := r.modelRef(context.Background(), dir); err != nil {
		t.Fatalf("an intact model: %v", err)
	}
	// Flip 100 bits of the weights.
	w := filepath.Join(dir, "model.safetensors")
	raw, _ := os.ReadFile(w)
	for i := range 100 {
		raw[len(raw)-1-i*7] ^= 1 << (i % 8)
	}
	os.WriteFile(w, raw, 0o644)
	r2, _ := testRunner(t, "sst2", t.TempDir(), true)
	_, err := r2.TrainSupervisor(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "does not match its build record") || !strings.Contains(err.Error(), "model.safetensors") {
		t.Errorf("training on a corrupt model: %v", err)
	}
}

// TestGoldTrainingKilledResumes: a supervisor training killed with SIGKILL
// (no chance to save on the way out) resumes from its last periodic save,
// and ends as an uninterrupted one. (Gold trainings once saved only at
// the end, so a kill near the end restarted them from step 0.)
func TestGoldTrainingKilledResumes(t *testing.T) {
	testgate.Integration(t, "trains, kills a child process and trains again")
	weak, _ := tinyModels(t)
	ctx := context.Background()
	if root := os.Getenv("W2S_KILL_STORE"); root != "" {
		weak = os.Getenv("W2S_KILL_MODEL") // the parent's: the model name is part of the key
		r, _ := testRunner(t, "sst2", root, false)
		r.Progress = func(string) train.Progress { return sigkillAt{step: 4} } // of 6 steps, saved every step
		r.TrainSupervisor(ctx, weak)
		t.Fatal("the child was not killed")
	}
	ref, _ := testRunner(t, "sst2", t.TempDir(), false)
	want, err := ref.TrainSupervisor(ctx, weak)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestGoldTrainingKilledResumes$")
	child.Env = append(os.Environ(), "W2S_KILL_STORE="+root, "W2S_KILL_MODEL="+weak)
	child.Stdout, child.Stderr = io.Discard, io.Discard
	child.Run()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child was not killed: %v", child.ProcessState)
	}
	r, log := testRunner(t, "sst2", root, false)
	got, err := r.TrainSupervisor(ctx, weak)
	if err != nil {
		t.Fatal(err)
	}
	// Killed as it reported step 4, before saving it: the last save is step 3.
	if got.Info.ResumedFrom != 3 {
		t.Errorf("the rerun resumed from step %d, want 3:\n%s", got.Info.ResumedFrom, log)
	}
	if len(got.Curve) != len(want.Curve) || got.Curve[len(got.Curve)-1].Loss != want.Curve[len(want.Curve)-1].Loss {
		t.Error("the resumed training ends elsewhere than an uninterrupted one")
	}
}

// sigkillAt kills the process at a step, as `kill -9` would.
type sigkillAt struct{ step int }

func (k sigkillAt) Start(int, int) {}
func (k sigkillAt) Update(done int, _ train.Point) {
	if done == k.step {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
}
func (k sigkillAt) Done() {}

// TestPromptInfoScores: PromptInfo.Accuracy and AUROC were stored as 0
// (the score was computed and only logged).
func TestPromptInfoScores(t *testing.T) {
	weak, _ := tinyModels(t)
	r, _ := testRunner(t, "sst2", t.TempDir(), false)
	p, err := r.Prompt(context.Background(), weak, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := Score(p.Test)
	if p.Info.Accuracy != sc.Accuracy || p.Info.AUROC != sc.AUROC || !(p.Info.Accuracy > 0) {
		t.Errorf("info accuracy %v, AUROC %v; the predictions score %v, %v", p.Info.Accuracy, p.Info.AUROC, sc.Accuracy, sc.AUROC)
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

// run executes the w2s command line with args and returns its output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestEnv(t *testing.T) {
	out, err := run(t, "env", "--backend", "go")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"backend", "go on go (spec \"go\")", "none (pure-Go backend)", "gomlx", "threads", "python env"} {
		if !strings.Contains(out, want) {
			t.Errorf("env output lacks %q:\n%s", want, out)
		}
	}
	if _, searched := backend.FindCPUPlugin(); len(searched) == 0 {
		t.Fatal("no plugin paths searched")
	}
	if plugin, _ := backend.FindCPUPlugin(); plugin != "" {
		out, err := run(t, "env", "--backend", "xla:cpu")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"xla on cpu", plugin, "plugin package  xla-cpu-pjrt", "pjrt c api      0.", "XLA's own thread pool"} {
			if !strings.Contains(out, want) {
				t.Errorf("env output lacks %q:\n%s", want, out)
			}
		}
	}
}

func TestTrainPrintsCurveAndResumes(t *testing.T) {
	testgate.Integration(t, "trains a language model twice")
	dir := t.TempDir()
	corpus := filepath.Join(dir, "text.txt")
	os.WriteFile(corpus, []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 200)), 0o644)
	args := []string{"train", "--corpus", corpus, "--layers", "1", "--width", "16", "--heads", "2",
		"--context", "16", "--batch", "4", "--steps", "12", "--warmup", "2", "--eval-every", "4", "--out", filepath.Join(dir, "run")}
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"valid loss", "     4", "    12", "final validation loss", "model saved"} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"config.json", "model.safetensors", "state/trainer_state.json"} {
		if _, err := os.Stat(filepath.Join(dir, "run", f)); err != nil {
			t.Error(err)
		}
	}
	// Running again finds the finished state and prints the same curve.
	again, err := run(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	table := func(s string) string {
		s = s[strings.Index(s, "step  train loss"):]
		return s[:strings.Index(s, "\n\n")]
	}
	if !strings.Contains(again, "resumed from step 12") || table(again) != table(out) {
		t.Errorf("second run did not resume the finished run:\n%s", again)
	}
	if _, err := run(t, "train", "--corpus", filepath.Join(dir, "missing.txt")); err == nil {
		t.Error("missing corpus accepted")
	}
	// Defaults that depend on --steps follow it: 6 steps, no flag set for
	// the warm-up (once 20 steps, longer than the run).
	short := []string{"train", "--corpus", corpus, "--layers", "1", "--width", "16", "--heads", "2",
		"--context", "16", "--batch", "4", "--steps", "6", "--out", ""}
	if out, err := run(t, short...); err != nil || !strings.Contains(out, "final validation loss") {
		t.Errorf("train --steps 6: %v\n%s", err, out)
	}
}

// TestSweepOverTasks: a sweep of several tasks writes each task's results
// and the medians over tasks.
func TestSweepOverTasks(t *testing.T) {
	testgate.Integration(t, "sweeps two tasks")
	datatest.Require(t)
	dir := t.TempDir()
	t.Setenv("W2S_CACHE", filepath.Join(dir, "cache"))
	out, err := run(t, "sweep", "--scale", "ci", "--task", "sst2,rotten_tomatoes", "--models", "zoo/xs,zoo/m",
		"--losses", "xent", "--seeds", "0", "--out", filepath.Join(dir, "out"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"sweep: task sst2", "sweep: task rotten_tomatoes", "medians over 2 tasks", "test rows: sst2 120, rotten_tomatoes 120"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"sst2/results.csv", "rotten_tomatoes/results.json", "medians.json"} {
		if _, err := os.Stat(filepath.Join(dir, "out", f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := run(t, "sweep", "--scale", "ci", "--task", "sst2,sst2", "--models", "zoo/xs,zoo/m", "--losses", "xent", "--seeds", "0",
		"--out", filepath.Join(dir, "out2")); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("the same task twice: %v", err)
	}
}

// TestCopiedBinaryFindsShippedLadder builds the w2s binary without source
// paths (-trimpath), copies it to a folder of its own and runs it from
// another folder with an empty cache: the shipped ladders are inside it.
func TestCopiedBinaryFindsShippedLadder(t *testing.T) {
	testgate.Integration(t, "builds the command and sweeps")
	bin := filepath.Join(t.TempDir(), "w2s")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	elsewhere := t.TempDir()
	for _, args := range [][]string{{"zoo", "verify", "--scale", "ci"}, {"zoo", "list", "--scale", "ci"}} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = elsewhere
		cmd.Env = append(os.Environ(), "W2S_CACHE="+filepath.Join(elsewhere, "cache"), "W2S_ZOO_DIR=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("w2s %v: %v\n%s", args, err, out)
		}
		if strings.Contains(string(out), "not built") || !strings.Contains(string(out), "zoo-shipped") {
			t.Errorf("w2s %v from a copied binary:\n%s", args, out)
		}
	}
}

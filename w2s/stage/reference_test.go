package stage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// BenchmarkReferenceComparison runs one weak-to-strong experiment twice on
// the same machine and threads: the way openai/weak-to-strong trains,
// rewritten in PyTorch (testdata/reference_run.py: its loop and losses, on
// w2s's checkpoints loaded in transformers, the same rows, token ids and
// hyperparameters), and through w2s's pipeline in a fresh store. It prints
// each stage's wall time and the test accuracies of both. Set
// $W2S_REF_TASK, $W2S_REF_WEAK, $W2S_REF_STRONG and $W2S_REF_SEED to
// change the experiment (default sst2, zoo/cpu/xs → zoo/cpu/xl, seed 0, at
// scale cpu). Needs kernel/setup --torch; run it on a quiet machine:
//
//	go test ./w2s/stage -run '^$' -bench ReferenceComparison -benchtime 1x
func BenchmarkReferenceComparison(b *testing.B) {
	python := filepath.Join(paths.Venv(), "bin", "python")
	if _, err := os.Stat(python); err != nil {
		b.Skipf("no venv with PyTorch at %s (kernel/setup --torch)", paths.Venv())
	}
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	task, weak, strong := env("W2S_REF_TASK", "sst2"), env("W2S_REF_WEAK", zoo.Name("cpu", "xs")), env("W2S_REF_STRONG", zoo.Name("cpu", "xl"))
	var seed uint64
	fmt.Sscan(env("W2S_REF_SEED", "0"), &seed)
	budget, err := BudgetFor("cpu")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for range b.N {
		dir := b.TempDir()
		st, err := store.Open(filepath.Join(dir, "store"))
		if err != nil {
			b.Fatal(err)
		}
		st.Log = io.Discard
		r := &Runner{Task: task, Budget: budget, Seed: seed, Store: st, Backend: backend.MustDefault(), Data: tasks.LoadOptions{NoDownload: true}, Log: io.Discard}
		data, err := referenceData(ctx, r, weak, strong)
		if err != nil {
			b.Fatal(err)
		}
		in, out := filepath.Join(dir, "data.json"), filepath.Join(dir, "reference.json")
		if err := os.WriteFile(in, data, 0o644); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		cmd := exec.Command(python, filepath.Join("testdata", "reference_run.py"), in, out)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("reference: %v", err)
		}
		refWall := time.Since(start)
		var ref struct {
			Seconds  map[string]float64
			Accuracy map[string]float64
			Torch    string
			Threads  int
		}
		raw, _ := os.ReadFile(out)
		if err := json.Unmarshal(raw, &ref); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		times := map[string]time.Duration{}
		t0 := time.Now()
		sup, err := r.Supervise(ctx, weak)
		if err != nil {
			b.Fatal(err)
		}
		times["supervisor and its labels"] = time.Since(t0)
		t0 = time.Now()
		student, err := r.TrainStudent(ctx, strong, sup, "xent")
		if err != nil {
			b.Fatal(err)
		}
		times["student"] = time.Since(t0)
		t0 = time.Now()
		ceiling, err := r.TrainCeiling(ctx, strong)
		if err != nil {
			b.Fatal(err)
		}
		times["ceiling"] = time.Since(t0)
		t0 = time.Now()
		res, err := r.Compare(ctx, sup, student, ceiling)
		if err != nil {
			b.Fatal(err)
		}
		times["scoring"] = time.Since(t0)
		w2sWall := time.Since(start)
		fmt.Printf("%s, %s → %s, seed %d, scale cpu (%d test rows); PyTorch %s on %d threads\n", task, zoo.Short(weak), zoo.Short(strong), seed, res.Counts.Test, ref.Torch, ref.Threads)
		fmt.Printf("| | reference loop (PyTorch) | w2s | reference / w2s |\n|---|---|---|---|\n")
		fmt.Printf("| supervisor: training, labels | %.1f s | %.1f s | |\n", ref.Seconds["supervisor"]+ref.Seconds["labels"], times["supervisor and its labels"].Seconds())
		fmt.Printf("| student | %.1f s | %.1f s | |\n", ref.Seconds["student"], times["student"].Seconds())
		fmt.Printf("| ceiling | %.1f s | %.1f s | |\n", ref.Seconds["ceiling"], (times["ceiling"] + times["scoring"]).Seconds())
		fmt.Printf("| whole experiment (wall) | %.1f s | %.1f s | %.2f× |\n", refWall.Seconds(), w2sWall.Seconds(), refWall.Seconds()/w2sWall.Seconds())
		fmt.Printf("| test accuracy: weak / student / ceiling | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f | |\n",
			ref.Accuracy["weak"], ref.Accuracy["student"], ref.Accuracy["ceiling"], res.Weak.Accuracy, res.Student.Accuracy, res.Ceiling.Accuracy)
	}
}

// referenceData is the experiment as reference_run.py reads it: both
// checkpoint folders, the token ids and labels of A, B and the test set
// as w2s encodes them, and the budget's hyperparameters.
func referenceData(ctx context.Context, r *Runner, weak, strong string) ([]byte, error) {
	_, weakDir, err := r.modelRef(ctx, weak)
	if err != nil {
		return nil, err
	}
	_, strongDir, err := r.modelRef(ctx, strong)
	if err != nil {
		return nil, err
	}
	_, tok, err := r.loadBase(weakDir)
	if err != nil {
		return nil, err
	}
	type set struct {
		IDs    [][]int32 `json:"ids"`
		Labels []int     `json:"labels"`
	}
	sets := map[string]set{}
	for _, name := range []string{SetA, SetB, SetTest} {
		exs, err := r.set(ctx, name)
		if err != nil {
			return nil, err
		}
		e := encode(tok, exs, r.Budget.MaxLen, r.Budget.truncateSide())
		sets[name] = set{IDs: e.rows, Labels: e.labels}
	}
	hw, hs := r.Budget.HyperFor(weak), r.Budget.HyperFor(strong)
	return json.Marshal(map[string]any{
		"classes": r.TaskInfo().NumClasses(), "eos": tok.EOS(), "pool": r.Budget.Head(), "seed": r.Seed,
		"batch": r.Budget.Batch, "warmup": r.Budget.Warmup, "decay": r.Budget.WeightDecay, "clip": 1.0,
		"weak":   map[string]any{"folder": weakDir, "lr": hw.LR, "epochs": hw.Epochs},
		"strong": map[string]any{"folder": strongDir, "lr": hs.LR, "epochs": hs.Epochs},
		"sets":   sets,
	})
}

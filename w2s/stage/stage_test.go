package stage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/metrics"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/internal/tinymodels"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/train"
)

// tinyModels returns the weak (width 16) and strong (width 32) test models.
func tinyModels(t *testing.T) (weak, strong string) {
	t.Helper()
	datatest.Require(t)
	dirs, err := tinymodels.Get()
	if err != nil {
		t.Fatal(err)
	}
	return dirs[0], dirs[1]
}

func testRunner(t *testing.T, task string, root string, probe bool) (*Runner, *bytes.Buffer) {
	t.Helper()
	st, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	st.Log = &log
	b := Budget{Scale: "test", NDocs: 48, NVal: 16, NTest: 40, MaxLen: 32, Truncate: "left", Epochs: 2, Batch: 8,
		LR: 3e-3, ProbeLR: 3e-2, WeightDecay: 0.01, Warmup: 0.1, Evals: 2, Probe: probe}
	return &Runner{Task: task, Budget: b, Seed: 3, Store: st, Backend: backend.MustDefault(),
		Data: tasks.LoadOptions{NoDownload: true}, Log: &log}, &log
}

func checkResult(t *testing.T, r *Result) {
	t.Helper()
	// The tiny models are HF-layout checkpoints without a build record:
	// their sizes come from loading them.
	if r.WeakParams <= 0 || r.StrongParams <= r.WeakParams {
		t.Errorf("model sizes: weak %d, strong %d non-embedding parameters", r.WeakParams, r.StrongParams)
	}
	for name, v := range map[string]metrics.Float{"weak": r.Weak.Accuracy, "student": r.Student.Accuracy,
		"ceiling": r.Ceiling.Accuracy, "weak labels": r.WeakLabelAcc, "agreement": r.Agreement.All} {
		if !(v >= 0 && v <= 1) {
			t.Errorf("%s = %v", name, v)
		}
	}
	for name, v := range map[string]metrics.Float{"weak": r.TrainAcc.Weak, "student": r.TrainAcc.Student,
		"ceiling": r.TrainAcc.Ceiling, "student vs weak labels": r.TrainAcc.StudentFitsWeak} {
		if !(v >= 0 && v <= 1) {
			t.Errorf("training accuracy of the %s = %v", name, v)
		}
	}
	if r.PGR.Defined != r.PGR.Value.Defined() {
		t.Errorf("PGR %+v", r.PGR)
	}
	if r.Agreement.NRight+r.Agreement.NWrong != r.Counts.Test {
		t.Errorf("agreement covers %d of %d test examples", r.Agreement.NRight+r.Agreement.NWrong, r.Counts.Test)
	}
	if len(r.Hits.Agree) != r.Counts.Test || r.Hits.Agree.Accuracy() != float64(r.Agreement.All) {
		t.Errorf("per-row agreement: %d rows agreeing on %.4f, agreement %.4f over %d test rows",
			len(r.Hits.Agree), r.Hits.Agree.Accuracy(), float64(r.Agreement.All), r.Counts.Test)
	}
	if len(r.StudentCurve) != 2 || !r.StudentCurve[0].ValAccWeak.Defined() || !r.StudentCurve[0].TestAcc.Defined() || !r.StudentCurve[0].ValLossWeak.Defined() {
		t.Errorf("student curve %+v", r.StudentCurve)
	}
}

func TestPipelineDeterministicAndStored(t *testing.T) {
	weak, strong := tinyModels(t)
	ctx := context.Background()
	r1, log1 := testRunner(t, "sst2", t.TempDir(), false)
	res1, err := r1.Run(ctx, weak, strong, "logconf")
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res1)
	if n := r1.Store.Made("trained"); n != 3 {
		t.Errorf("%d trainings, want 3 (supervisor, student, ceiling):\n%s", n, log1)
	}
	before := made(r1.Store)
	// Asking again returns the stored stages: nothing is trained or predicted.
	again, err := r1.Run(ctx, weak, strong, "logconf")
	if err != nil {
		t.Fatal(err)
	}
	if after := made(r1.Store); after != before {
		t.Errorf("second run recomputed: artifacts made %v, then %v", before, after)
	}
	if !sameResult(again, res1) {
		t.Error("stored result differs from the computed one")
	}
	// Same seed in a fresh store: identical metrics, computed on the
	// graphs the first run compiled (the same architectures, loss and
	// shapes): nothing is compiled again.
	r2, log2 := testRunner(t, "sst2", t.TempDir(), false)
	compiled := backend.Compiled()
	res2, err := r2.Run(ctx, weak, strong, "logconf")
	if err != nil {
		t.Fatal(err)
	}
	if !sameResult(res1, res2) {
		t.Errorf("same seed, different results:\n%+v\n%+v", res1, res2)
	}
	if c := backend.Compiled().Sub(compiled); c.Graphs != 0 {
		t.Errorf("the second run compiled %d graphs:\n%s", c.Graphs, log2)
	}
	if !strings.Contains(log2.String(), "compiled nothing, reused the graphs of an earlier training") {
		t.Errorf("the log does not say the graphs were reused:\n%s", log2)
	}
	// Another loss reuses the supervisor, its labels and the ceiling.
	if _, err := r1.Run(ctx, weak, strong, "xent"); err != nil {
		t.Fatal(err)
	}
	if n := r1.Store.Made("trained") - 3; n != 1 {
		t.Errorf("a new loss trained %d models, want only the student", n)
	}
}

// sameResult compares results as stored (JSON), where an undefined value
// (NaN) equals another.
func sameResult(a, b *Result) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ja, jb)
}

// made counts the artifacts a store computed, by kind.
func made(st *store.Store) [4]int {
	return [4]int{st.Made("trained"), st.Made("predictions"), st.Made("features"), st.Made("prompted")}
}

// TestKilledRunResumes interrupts the student's training halfway, then
// runs again: it resumes from the stored stages and the student's saved
// state, and ends with the same numbers as an uninterrupted run.
func TestKilledRunResumes(t *testing.T) {
	weak, strong := tinyModels(t)
	ctx := context.Background()
	ref, _ := testRunner(t, "sst2", t.TempDir(), false)
	want, err := ref.Run(ctx, weak, strong, "xent")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	r, log := testRunner(t, "sst2", root, false)
	cctx, cancel := context.WithCancel(ctx)
	r.Progress = func(desc string) train.Progress {
		if strings.Contains(desc, "/B") && strings.Contains(desc, filepath.Base(strong)) && !strings.Contains(log.String(), "trained "+strong) {
			return killAt{step: 5, cancel: cancel}
		}
		return nil
	}
	if _, err := r.Run(cctx, weak, strong, "xent"); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	work, _ := filepath.Glob(filepath.Join(root, "trained", ".work-*", "state", train.StateJSON))
	if len(work) != 1 {
		t.Fatalf("expected the student's saved state, found %v", work)
	}
	r2, log2 := testRunner(t, "sst2", root, false)
	got, err := r2.Run(ctx, weak, strong, "xent")
	if err != nil {
		t.Fatal(err)
	}
	if n := r2.Store.Made("trained"); n != 2 { // the student (resumed) and the ceiling
		t.Errorf("restart trained %d models, want 2:\n%s", n, log2)
	}
	if !sameResult(got, want) {
		t.Errorf("resumed run differs:\n%+v\n%+v", got, want)
	}
}

type killAt struct {
	step   int
	cancel func()
}

func (k killAt) Start(int, int) {}
func (k killAt) Update(done int, _ train.Point) {
	if done == k.step {
		k.cancel()
	}
}
func (k killAt) Done() {}

func TestProbeAndPreferencePipelines(t *testing.T) {
	weak, strong := tinyModels(t)
	ctx := context.Background()
	root := t.TempDir()
	r, log := testRunner(t, "sst2", root, true)
	res, err := r.Run(ctx, weak, strong, "xent")
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	if n := r.Store.Made("features"); n != 2 {
		t.Errorf("features computed %d times, want once per model:\n%s", n, log)
	}
	pr, _ := testRunner(t, "hh_harmless", root, false)
	pr.Budget.NDocs, pr.Budget.NTest = 32, 24
	res, err = pr.Run(ctx, weak, strong, "logconf")
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res)
	if !res.Ceiling.AUROC.Defined() {
		t.Error("pairwise AUROC missing")
	}
}

package analysis

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/internal/tinymodels"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
)

func models(t *testing.T) []string {
	t.Helper()
	datatest.Require(t)
	dirs, err := tinymodels.Get()
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func runnerFactory(t *testing.T, root string) NewRunner {
	st, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	st.Log = io.Discard
	return func(task, scale string, seed uint64) (*stage.Runner, error) {
		b := stage.Budget{Scale: "test", NDocs: 48, NVal: 16, NTest: 40, MaxLen: 32, Truncate: "left", Epochs: 2, Batch: 8,
			LR: 3e-3, ProbeLR: 3e-2, Warmup: 0.1, Evals: 3}
		return &stage.Runner{Task: task, Budget: b, Seed: seed, Store: st, Backend: backend.MustDefault(),
			Data: tasks.LoadOptions{NoDownload: true}, Log: io.Discard}, nil
	}
}

func TestSweepOutputs(t *testing.T) {
	ms := models(t)
	spec := SweepSpec{Task: "sst2", Scale: "test", Models: ms, Losses: []string{"xent", "logconf"}, Seeds: []uint64{0, 1}}
	rows := 0
	sw, err := RunSweep(context.Background(), spec, runnerFactory(t, t.TempDir()), func(*stage.Result) { rows++ })
	if err != nil {
		t.Fatal(err)
	}
	if rows != 3*2*2 || len(sw.Rows) != rows || len(sw.Summary) != 6 {
		t.Fatalf("%d rows, %d summary lines", rows, len(sw.Summary))
	}
	for _, s := range sw.Summary {
		if s.Seeds != 2 || s.PGR.N+s.UndefinedPGR != 2 {
			t.Errorf("summary %+v", s)
		}
	}
	var table bytes.Buffer
	sw.Table(&table)
	for _, want := range []string{"PGR [95% CI]", "agree|weak wrong", "logconf", "tiny-d16"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	dir := t.TempDir()
	if err := sw.WriteCSV(filepath.Join(dir, "r.csv")); err != nil {
		t.Fatal(err)
	}
	if err := sw.WriteJSON(filepath.Join(dir, "r.json")); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(filepath.Join(dir, "r.csv"))
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 13 || recs[0][7] != "weak_acc" {
		t.Errorf("csv: %d records, %v", len(recs), err)
	}
	var js map[string]any
	raw, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if err := json.Unmarshal(raw, &js); err != nil || js["Rows"] == nil || js["Spec"] == nil {
		t.Errorf("json: %v", err)
	}
}

func TestEarlyStoppingAndBootstrapping(t *testing.T) {
	ms := models(t)
	newRunner := runnerFactory(t, t.TempDir())
	r, _ := newRunner("sst2", "test", 0)
	es, err := RunEarlyStopping(context.Background(), r, ms[0], ms[2], "xent")
	if err != nil {
		t.Fatal(err)
	}
	if len(es.Curve) != 3 {
		t.Errorf("%d evaluations, want 3", len(es.Curve))
	}
	if es.Cheating.TestAcc < es.Final.TestAcc || es.Cheating.TestAcc < es.Honest.TestAcc {
		t.Errorf("cheating early stopping must be the best test accuracy: %+v", es)
	}
	r2, _ := newRunner("sst2", "test", 0)
	bs, err := RunBootstrapping(context.Background(), r2, ms, "xent")
	if err != nil {
		t.Fatal(err)
	}
	if len(bs.Links) != 2 || bs.Links[0].Set != "B1" || bs.Links[1].Set != "B2" {
		t.Errorf("links %+v", bs.Links)
	}
	for _, v := range []float64{bs.WeakAcc, bs.ChainAcc, bs.DirectAcc, bs.CeilingAcc} {
		if v < 0 || v > 1 {
			t.Errorf("accuracy %v", v)
		}
	}
	if _, err := RunBootstrapping(context.Background(), r2, ms[:2], "xent"); err == nil {
		t.Error("a two-model chain accepted")
	}
}

func TestPromptingAndGenerativeComparisons(t *testing.T) {
	ms := models(t)
	newRunner := runnerFactory(t, t.TempDir())
	r, _ := newRunner("sst2", "test", 0)
	pc, err := RunPromptingComparison(context.Background(), r, ms[0], ms[1:], 2, "xent")
	if err != nil {
		t.Fatal(err)
	}
	if len(pc.Rows) != 2 {
		t.Fatalf("%d rows", len(pc.Rows))
	}
	for _, row := range pc.Rows {
		for _, v := range []float64{row.ZeroShot, row.FewShotGold, row.FewShotWeak, row.FinetuneWeak, row.FinetuneGold} {
			if v < 0 || v > 1 {
				t.Errorf("row %+v", row)
			}
		}
		if row.DemosGold < 0 || row.DemosGold > 2 { // the tiny models' 32-token context fits few
			t.Errorf("demonstrations that fit: %v", row.DemosGold)
		}
	}
	var buf bytes.Buffer
	pc.Table(&buf)
	if !strings.Contains(buf.String(), "few-shot weak") {
		t.Error(buf.String())
	}
	r.Budget.GenEpochs, r.Budget.GenLR = 2, 3e-3
	gc, err := RunGenerativeComparison(context.Background(), r, ms[0], ms[1], "xent")
	if err != nil {
		t.Fatal(err)
	}
	// The generative finetune lowers the LM loss on its own text.
	if !(gc.StrongInfo.LossAfter < gc.StrongInfo.LossBefore) || !(gc.WeakInfo.LossAfter < gc.WeakInfo.LossBefore) {
		t.Errorf("generative finetuning did not lower the LM loss: %+v %+v", gc.WeakInfo, gc.StrongInfo)
	}
	if !strings.HasSuffix(gc.Generative.Strong, "+genft") {
		t.Errorf("generative run used %s", gc.Generative.Strong)
	}
	buf.Reset()
	gc.Table(&buf)
	if !strings.Contains(buf.String(), "cheating ES") {
		t.Error(buf.String())
	}
}

func TestMedianOverTasks(t *testing.T) {
	nan := math.NaN()
	sweep := func(task string, pgrs ...float64) *Sweep {
		sw := &Sweep{Spec: SweepSpec{Task: task}}
		for i, p := range pgrs {
			sw.Summary = append(sw.Summary, Summary{Weak: "zoo/ci/xs", Strong: "zoo/ci/m", Loss: []string{"xent", "logconf"}[i],
				Weak_: 0.6, Student: 0.6 + 0.1*p, Ceiling: 0.7, PGR: metrics.Interval{Estimate: p}, Agreement: 0.8, AgreeWrong: 0.5})
		}
		return sw
	}
	ms, err := MedianOverTasks([]*Sweep{sweep("sst2", 0.2, nan), sweep("imdb", 0.6, 0.5), sweep("boolq", 0.3, nan)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d rows", len(ms))
	}
	if x := ms[0]; x.PGR != 0.3 || x.PGRTasks != 3 || x.MinPGR != 0.2 || x.MaxPGR != 0.6 || x.StudentAboveWeak != 3 || x.Tasks[1] != "imdb" {
		t.Errorf("xent: %+v", x)
	}
	if x := ms[1]; x.PGR != 0.5 || x.PGRTasks != 1 || x.UndefinedPGRTasks != 2 || x.StudentAboveWeak != 1 {
		t.Errorf("logconf: %+v", x)
	}
	var b strings.Builder
	if err := TaskMedianTable(&b, ms); err != nil || !strings.Contains(b.String(), "(2 of 3 tasks undefined)") || !strings.Contains(b.String(), "tasks: sst2, imdb, boolq") {
		t.Errorf("table %v:\n%s", err, b.String())
	}
	if _, err := MedianOverTasks([]*Sweep{sweep("sst2", 0.2, 0.1), sweep("imdb", 0.6)}); err == nil || !strings.Contains(err.Error(), "imdb has no") {
		t.Errorf("a missing cell: %v", err)
	}
	if _, err := MedianOverTasks([]*Sweep{sweep("sst2", 0.2), sweep("sst2", 0.6)}); err == nil {
		t.Error("the same task twice")
	}
	path := filepath.Join(t.TempDir(), "medians.json")
	if err := WriteTaskMedians(path, ms); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(path); !strings.Contains(string(raw), "null") {
		t.Errorf("undefined PGR not written as null: %s", raw)
	}
}

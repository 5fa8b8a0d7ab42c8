package analysis

import (
	"context"
	"encoding/csv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/internal/tinymodels"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/testgate"
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

// testSession is a session at a tiny budget on a store in root.
func testSession(t *testing.T, root string) *stage.Session {
	st, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	st.Log = io.Discard
	b := stage.Budget{Scale: "test", NDocs: 48, NVal: 16, NTest: 40, NTune: 48, MaxLen: 32, Truncate: "left", Epochs: 2, Batch: 8,
		LR: 3e-3, ProbeLR: 3e-2, Warmup: 0.1, Evals: 3}
	return &stage.Session{Budget: b, Store: st, Backend: backend.MustDefault(), Data: tasks.LoadOptions{NoDownload: true}, Log: io.Discard}
}

// runners makes one runner per seed.
func runners(t *testing.T, sess *stage.Session, task string, seeds ...uint64) []*stage.Runner {
	rs, err := sess.Runners(task, seeds...)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestSweepOutputs(t *testing.T) {
	ms := models(t)
	spec := SweepSpec{Task: "sst2", Scale: "test", Models: ms, Losses: []losses.Spec{"xent", "logconf"}, Seeds: []uint64{0, 1}}
	rows := 0
	sw, err := RunSweep(context.Background(), testSession(t, t.TempDir()), spec, func(*stage.Result) { rows++ })
	if err != nil {
		t.Fatal(err)
	}
	if rows != 3*2*2 || len(sw.Rows) != rows || len(sw.Summary) != 6 {
		t.Fatalf("%d rows, %d summary lines", rows, len(sw.Summary))
	}
	for _, s := range sw.Summary {
		if s.Seeds != 2 || s.Examples != 40 || !s.WeakAcc.Estimate.Defined() {
			t.Errorf("summary %+v", s)
		}
		// The seed-averaged accuracies are the means of the rows'.
		var w float64
		for _, r := range sw.Rows {
			if r.WeakModel == s.WeakModel && r.StrongModel == s.StrongModel && r.Loss == s.Loss {
				w += float64(r.Weak.Accuracy) / 2
			}
		}
		if math.Abs(w-float64(s.WeakAcc.Estimate)) > 1e-12 {
			t.Errorf("weak accuracy %v, rows' mean %v", s.WeakAcc.Estimate, w)
		}
	}
	if _, ok := sw.Find(ms[0], ms[2], "logconf(alpha=0.5)"); !ok {
		t.Error("Find by an equivalent loss spec")
	}
	text := sw.Table().Text()
	for _, want := range []string{"PGR [95% interval]", "agree | weak wrong", "logconf", "tiny-d16", "40 test rows, seeds [0 1]", "majority class"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
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
	back, err := ReadSweep(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != len(sw.Rows) || back.Summary[0].PGR.Estimate.Defined() != sw.Summary[0].PGR.Estimate.Defined() ||
		len(back.Rows[0].Hits.Student) != 40 {
		t.Errorf("the JSON does not read back: %d rows", len(back.Rows))
	}
}

func TestEarlyStoppingAndChain(t *testing.T) {
	ms := models(t)
	sess := testSession(t, t.TempDir())
	for _, loss := range []losses.Spec{"xent", "logconf"} {
		es, err := RunEarlyStopping(context.Background(), runners(t, sess, "sst2", 0, 1), ms[0], ms[2], loss)
		if err != nil {
			t.Fatal(err)
		}
		if len(es.Seeds) != 2 || len(es.Seeds[0].Curve) != 3 || es.Evals != 3 {
			t.Errorf("%d seeds, %d evaluations, want 2 and 3", len(es.Seeds), len(es.Seeds[0].Curve))
		}
		for _, s := range es.Seeds {
			if s.Cheating.TestAcc < s.Final.TestAcc || s.Cheating.TestAcc < s.Honest.TestAcc {
				t.Errorf("cheating early stopping must be the best test accuracy: %+v", s)
			}
		}
		if !strings.Contains(es.Criterion, map[losses.Spec]string{"xent": "cross-entropy", "logconf": "logconf objective"}[loss]) {
			t.Errorf("%s: criterion %q", loss, es.Criterion)
		}
	}
	bs, err := RunChain(context.Background(), runners(t, sess, "sst2", 0, 1), ms, "xent")
	if err != nil {
		t.Fatal(err)
	}
	if len(bs.Links) != 2 || bs.Links[0].Set != "B1" || bs.Links[1].Set != "B2" || bs.Examples != 40 {
		t.Errorf("links %+v", bs.Links)
	}
	if c := bs.Caption(); !strings.Contains(c, "40 test rows, seeds [0 1]") {
		t.Errorf("caption %q does not name its rows and seeds", c)
	}
	for _, v := range []metrics.Float{bs.ChainPGR.WeakAcc.Estimate, bs.ChainPGR.StudentAcc.Estimate, bs.DirectPGR.StudentAcc.Estimate, bs.ChainPGR.CeilingAcc.Estimate} {
		if v < 0 || v > 1 {
			t.Errorf("accuracy %v", v)
		}
	}
	if d := bs.ChainPGR.StudentAcc.Estimate - bs.DirectPGR.StudentAcc.Estimate; math.Abs(float64(d-bs.ChainMinusDirect.Estimate)) > 1e-9 {
		t.Errorf("chain − direct %v, accuracies differ by %v", bs.ChainMinusDirect.Estimate, d)
	}
	if _, err := RunChain(context.Background(), runners(t, sess, "sst2", 0), ms[:2], "xent"); err == nil {
		t.Error("a two-model chain accepted")
	}
}

func TestPromptingAndGenerativeComparisons(t *testing.T) {
	ms := models(t)
	sess := testSession(t, t.TempDir())
	pc, err := RunPromptingComparison(context.Background(), runners(t, sess, "sst2", 0, 1), ms[0], ms[1:], 2, "xent")
	if err != nil {
		t.Fatal(err)
	}
	if len(pc.Rows) != 2 {
		t.Fatalf("%d rows", len(pc.Rows))
	}
	for _, row := range pc.Rows {
		for _, v := range []metrics.Interval{row.ZeroShot, row.FewShotGold, row.FewShotWeak, row.FinetuneWeak, row.FinetuneGold} {
			if v.Estimate < 0 || v.Estimate > 1 || v.N != 2 {
				t.Errorf("row %+v", row)
			}
		}
		if row.DemosGold < 0 || row.DemosGold > 2 { // the tiny models' 32-token context fits few
			t.Errorf("demonstrations that fit: %v", row.DemosGold)
		}
		if row.OneAnswer < 0.5 || row.OneAnswer > 1 {
			t.Errorf("most common answer %v", row.OneAnswer)
		}
	}
	if text := pc.Table().Text(); !strings.Contains(text, "few-shot weak") || !strings.Contains(text, "seeds [0 1]") {
		t.Error(text)
	}
	rs := runners(t, sess, "sst2", 0, 1)
	for _, r := range rs {
		r.Budget.GenEpochs, r.Budget.GenLR = 2, 3e-3
	}
	gc, err := RunGenerativeComparison(context.Background(), rs, ms[0], ms[1], "xent")
	if err != nil {
		t.Fatal(err)
	}
	// The generative finetune lowers the LM loss on its own text.
	if !(gc.StrongLossAfter < gc.StrongLossBefore) {
		t.Errorf("generative finetuning did not lower the LM loss: %+v", gc)
	}
	if !strings.HasSuffix(gc.Generative.StrongModel, "+genft") {
		t.Errorf("generative run used %s", gc.Generative.StrongModel)
	}
	// As in the paper's Fig. 10, only the strong side is finetuned
	// generatively: both runs share the supervisor, hence its accuracy.
	if gc.Generative.WeakModel != gc.Plain.WeakModel || gc.Generative.WeakAcc != gc.Plain.WeakAcc {
		t.Errorf("the generative run changed the supervisor: %s %v against %s %v",
			gc.Generative.WeakModel, gc.Generative.WeakAcc, gc.Plain.WeakModel, gc.Plain.WeakAcc)
	}
	// The paired difference is the difference of the two students' accuracies.
	if d := float64(gc.Generative.StudentAcc.Estimate - gc.Plain.StudentAcc.Estimate); math.Abs(float64(gc.StudentGain.Estimate)-d) > 1e-9 {
		t.Errorf("student gain %v, accuracies differ by %.4f", gc.StudentGain, d)
	}
	if text := gc.Table().Text(); !strings.Contains(text, "cheating stop") {
		t.Error(text)
	}
}

func TestMedianOverTasks(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	const n = 3000
	sweep := func(task string, xent, logconf [3]float64) *Sweep {
		sw := synthSweep(t, r, 5, n,
			pair{"zoo/ci/xs", "zoo/ci/m", 600_000, "xent", xent[0], xent[1], xent[2], 0},
			pair{"zoo/ci/xs", "zoo/ci/m", 600_000, "logconf", logconf[0], logconf[1], logconf[2], 0})
		sw.Spec.Task = task
		return sw
	}
	sst2 := sweep("sst2", [3]float64{0.6, 0.7, 0.8}, [3]float64{0.6, 0.6, 0.601})
	imdb := sweep("imdb", [3]float64{0.6, 0.75, 0.8}, [3]float64{0.6, 0.7, 0.8})
	// boolq: always answering "true" (63%) beats every ceiling.
	boolq := sweep("boolq", [3]float64{0.55, 0.58, 0.62}, [3]float64{0.55, 0.58, 0.62})
	for _, row := range boolq.Rows {
		row.Counts.ClassesTest = []int{37 * n / 100, 63 * n / 100}
	}
	if !sst2.Learnt() || boolq.Learnt() {
		t.Fatalf("learnt: sst2 %v (majority %.3f), boolq %v (majority %.3f)", sst2.Learnt(), sst2.Majority(), boolq.Learnt(), boolq.Majority())
	}
	ms, err := MedianOverTasks([]*Sweep{sst2, imdb, boolq})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d rows", len(ms))
	}
	x := ms[0]
	if x.PGRTasks != 2 || x.NTasks != 2 || len(x.NotLearnt) != 1 || x.NotLearnt[0] != "boolq" || x.Beat != 2 || x.Tasks[1] != "imdb" ||
		!(x.PGRInterval.Low < x.PGR && x.PGR < x.PGRInterval.High) || x.PGRInterval.Estimate != x.PGR {
		t.Errorf("xent: %+v", x)
	}
	if x := ms[1]; x.PGRTasks != 1 || x.NTasks != 2 {
		t.Errorf("logconf: %+v", x)
	}
	if text := MedianTable(ms).Text(); !strings.Contains(text, "(1 of 2 tasks)") || !strings.Contains(text, "left out: boolq") ||
		!strings.Contains(text, "test rows: sst2 3000, imdb 3000") {
		t.Errorf("table:\n%s", text)
	}
	sweep1 := func(task string) *Sweep {
		sw := synthSweep(t, r, 5, 200, pair{"zoo/ci/xs", "zoo/ci/m", 600_000, "xent", 0.6, 0.7, 0.8, 0})
		sw.Spec.Task = task
		return sw
	}
	other := sweep1("imdb")
	other.Summary[0].StrongModel = "zoo/ci/l"
	if _, err := MedianOverTasks([]*Sweep{sweep1("sst2"), other}); err == nil || !strings.Contains(err.Error(), "imdb has no") {
		t.Errorf("a missing cell: %v", err)
	}
	if _, err := MedianOverTasks([]*Sweep{sweep1("sst2"), sweep1("sst2")}); err == nil {
		t.Error("the same task twice")
	}
	other = sweep1("imdb")
	other.Spec.Seeds = []uint64{0, 1}
	if _, err := MedianOverTasks([]*Sweep{sweep1("sst2"), other}); err == nil || !strings.Contains(err.Error(), "seeds [0 1]") {
		t.Errorf("tasks over different seeds: %v", err)
	}
	path := filepath.Join(t.TempDir(), "medians.json")
	if err := WriteTaskMedians(path, ms); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(path); !strings.Contains(string(raw), "null") {
		t.Errorf("undefined PGR not written as null: %s", raw)
	}
}

// TestLabelErrorsRun trains a student on each label source with the tiny
// test models: every source's labels are exactly as accurate on half B as
// the supervisor's, the comparisons are paired against the hard
// supervisor's student, and the table names every source.
func TestLabelErrorsRun(t *testing.T) {
	ms := models(t)
	rs := runners(t, testSession(t, t.TempDir()), "sst2", 0, 1)
	le, err := RunLabelErrors(context.Background(), rs, ms[0], ms[1], "xent", DefaultLabelSources)
	if err != nil {
		t.Fatal(err)
	}
	if len(le.Sources) != len(DefaultLabelSources) {
		t.Fatalf("%d sources", len(le.Sources))
	}
	acc := le.Sources[0].LabelAcc.Estimate
	for _, s := range le.Sources {
		if s.LabelAcc.Estimate != acc || s.LabelAcc.N != 2 {
			t.Errorf("%s: label accuracy %v, the supervisor's %v", s.LabelSource, s.LabelAcc, acc)
		}
		if !s.Student.Estimate.Defined() || !s.VsSupervisorHard.Estimate.Defined() {
			t.Errorf("%s: student %v, vs hard supervisor %v", s.LabelSource, s.Student, s.VsSupervisorHard)
		}
	}
	if hard := le.Sources[1]; hard.VsSupervisorHard.Estimate != 0 {
		t.Errorf("the hard supervisor's student against itself: %v", hard.VsSupervisorHard)
	}
	if text := le.Table().Text(); !strings.Contains(text, "supervisor, hard") || !strings.Contains(text, "unsure") {
		t.Errorf("table:\n%s", text)
	}
}

// TestSweepEveryTask runs a tiny sweep (one pair, one seed) on every
// registered task: each one loads, splits, trains, predicts and
// summarises end to end, whatever its framing (pairs, multiple choice
// made binary, preferences, several classes).
func TestSweepEveryTask(t *testing.T) {
	testgate.Integration(t, "trains tiny models on every task (about a minute)")
	ms := models(t)
	sess := testSession(t, t.TempDir())
	for _, name := range tasks.Names() {
		spec := SweepSpec{Task: name, Scale: "test", Models: ms[:2], Losses: []losses.Spec{"xent"}, Seeds: []uint64{0}}
		sw, err := RunSweep(context.Background(), sess, spec, nil)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(sw.Summary) != 1 || sw.Summary[0].Examples == 0 || !sw.Summary[0].StudentAcc.Estimate.Defined() {
			t.Errorf("%s: summary %+v", name, sw.Summary)
			continue
		}
		if m := sw.Majority(); !(m > 0 && m < 1) {
			t.Errorf("%s: majority-class accuracy %v", name, m)
		}
		if text := sw.Table().Text(); !strings.Contains(text, name) {
			t.Errorf("%s: the table does not name its task:\n%s", name, text)
		}
	}
}

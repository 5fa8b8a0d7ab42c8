package analysis

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/split"
	"github.com/w2s-lab/w2s/w2s/stage"
)

// summaryOf makes the summary of synthetic per-example results.
func summaryOf(t *testing.T, r *rand.Rand, pw, ps, pc float64, seeds, n int) Summary {
	t.Helper()
	var hs []metrics.SeedHits
	draw := func(p float64) metrics.Hits {
		h := make(metrics.Hits, n)
		for i := range h {
			h[i] = r.Float64() < p
		}
		return h
	}
	for range seeds {
		hs = append(hs, metrics.SeedHits{Weak: draw(pw), Student: draw(ps), Ceiling: draw(pc)})
	}
	p, err := metrics.ComputePairedPGR(hs, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	return Summary{WeakModel: "zoo/cpu/xs", StrongModel: "zoo/cpu/xl", Loss: "xent", PairedPGR: p}
}

// pair is a synthetic weak→strong experiment: population accuracies of
// the supervisor, the student and the ceiling, and how often the student
// copies an error of its supervisor (0: its errors are independent).
type pair struct {
	weak, strong string
	params       int
	loss         losses.Spec
	pw, ps, pc   float64
	copyErr      float64
}

// synthSweep draws per-row results of the pairs over seeds, each
// supervisor's results shared by its students of a seed (as a real sweep's
// are), with two classes (agreement is both right or both wrong), and
// summarises them as RunSweep does.
func synthSweep(t *testing.T, r *rand.Rand, seeds, n int, pairs ...pair) *Sweep {
	t.Helper()
	sw := &Sweep{Spec: SweepSpec{Task: "sst2", Scale: "cpu"}}
	seenModel, seenLoss := map[string]bool{}, map[losses.Spec]bool{}
	for _, p := range pairs {
		for _, m := range []string{p.weak, p.strong} {
			if !seenModel[m] {
				seenModel[m] = true
				sw.Spec.Models = append(sw.Spec.Models, m)
			}
		}
		if !seenLoss[p.loss] {
			seenLoss[p.loss] = true
			sw.Spec.Losses = append(sw.Spec.Losses, p.loss)
		}
	}
	for seed := range uint64(seeds) {
		weak := map[string]metrics.Hits{}
		sw.Spec.Seeds = append(sw.Spec.Seeds, seed)
		for _, p := range pairs {
			w, ok := weak[p.weak]
			if !ok {
				w = make(metrics.Hits, n)
				for i := range w {
					w[i] = r.Float64() < p.pw
				}
				weak[p.weak] = w
			}
			q := p.ps / (p.pw + (1-p.pw)*(1-p.copyErr)) // the student's accuracy is ps overall
			st, ce, agree := make(metrics.Hits, n), make(metrics.Hits, n), make(metrics.Hits, n)
			for i := range st {
				st[i] = r.Float64() < q
				if !w[i] && r.Float64() < p.copyErr {
					st[i] = false
				}
				ce[i] = r.Float64() < p.pc
				agree[i] = st[i] == w[i]
			}
			sh := metrics.SeedHits{Weak: w, Student: st, Ceiling: ce, Agree: agree}
			sw.Rows = append(sw.Rows, &stage.Result{Task: "sst2", Scale: "cpu", WeakModel: p.weak, StrongModel: p.strong, Loss: p.loss, Seed: seed,
				Hits: sh, Counts: split.Counts{ClassesTest: []int{n / 2, n - n/2}}})
		}
	}
	var err error
	if sw.Summary, err = Summarize(sw.Rows); err != nil {
		t.Fatal(err)
	}
	for i := range sw.Summary {
		for _, p := range pairs {
			if sw.Summary[i].StrongModel == p.strong {
				sw.Summary[i].StrongParams = p.params
			}
		}
	}
	return sw
}

// mirror makes the results of pair (strong, loss) copies of those of pair
// (fromStrong, fromLoss), seed by seed — what fields says: the student's
// results and agreement, and with ceiling the ceiling's too — and
// summarises again: a difference that is exactly zero.
func mirror(t *testing.T, sw *Sweep, fromStrong string, fromLoss losses.Spec, strong string, loss losses.Spec, ceiling bool) *Sweep {
	t.Helper()
	from := map[uint64]*stage.Result{}
	for _, r := range sw.Rows {
		if r.StrongModel == fromStrong && r.Loss == fromLoss {
			from[r.Seed] = r
		}
	}
	for _, r := range sw.Rows {
		if r.StrongModel == strong && r.Loss == loss {
			f := from[r.Seed]
			r.Hits.Student, r.Hits.Agree = f.Hits.Student, f.Hits.Agree
			if ceiling {
				r.Hits.Ceiling = f.Hits.Ceiling
			}
		}
	}
	params := map[string]int{}
	for _, s := range sw.Summary {
		params[s.StrongModel] = s.StrongParams
	}
	var err error
	if sw.Summary, err = Summarize(sw.Rows); err != nil {
		t.Fatal(err)
	}
	for i := range sw.Summary {
		sw.Summary[i].StrongParams = params[sw.Summary[i].StrongModel]
	}
	return sw
}

// TestStudentSentenceBranches: one case per verdict, each sentence saying
// what its numbers say.
func TestStudentSentenceBranches(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		pw, ps, pc float64
		seeds      int
		want       string
	}{
		{0.60, 0.70, 0.80, 5, "it beat its supervisor and recovered"},
		{0.70, 0.60, 0.85, 5, "it did not beat its supervisor"},
		{0.70, 0.701, 0.85, 5, "no measurable difference"},
		{0.700, 0.700, 0.702, 5, "gap is too small to measure"},
		{0.80, 0.70, 0.70, 5, "no gap to recover"},
		{0.60, 0.70, 0.80, 1, "needs 2 or more seeds"},
	} {
		s := summaryOf(t, r, c.pw, c.ps, c.pc, c.seeds, 3000)
		got := StudentSentence(s)
		if !strings.Contains(got, c.want) {
			t.Errorf("weak %.3f student %.3f ceiling %.3f, %d seeds: %q, want %q", c.pw, c.ps, c.pc, c.seeds, got, c.want)
		}
	}
}

// TestSentencesNeverContradictTheirNumbers draws many random experiments,
// some with real differences and many within noise, and checks that
// whatever the sentence claims holds in the numbers it is built from.
func TestSentencesNeverContradictTheirNumbers(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for i := range 300 {
		pw := 0.5 + 0.3*r.Float64()
		pc := pw + 0.15*(r.Float64()-0.2)
		ps := pw + (pc-pw)*(1.6*r.Float64()-0.3)
		n := []int{200, 1000, 3000}[i%3]
		s := summaryOf(t, r, pw, ps, pc, 1+i%5, n)
		sent := StudentSentence(s)
		w, st, ce := s.WeakAcc.Estimate, s.StudentAcc.Estimate, s.CeilingAcc.Estimate
		switch {
		case strings.Contains(sent, "needs 2 or more seeds"):
			if s.Seeds >= 2 {
				t.Fatalf("%q with %d seeds", sent, s.Seeds)
			}
		case strings.Contains(sent, "it beat its supervisor"):
			if !(st > w) || !(s.StudentGain.Low > 0) || !s.Measurable {
				t.Fatalf("%q but student %.3f, weak %.3f, gain %v", sent, st, w, s.StudentGain)
			}
		case strings.Contains(sent, "did not beat"):
			if !(st < w) || !(s.StudentGain.High < 0) || !s.Measurable {
				t.Fatalf("%q but student %.3f, weak %.3f, gain %v", sent, st, w, s.StudentGain)
			}
		case strings.Contains(sent, "no measurable difference"):
			if !(s.StudentGain.Low <= 0 && s.StudentGain.High >= 0) {
				t.Fatalf("%q but gain %v", sent, s.StudentGain)
			}
		case strings.Contains(sent, "too small to measure"):
			if s.Measurable || !(ce > w) || strings.Contains(sent, "recovered") {
				t.Fatalf("%q but ceiling %.3f, weak %.3f, measurable %v", sent, ce, w, s.Measurable)
			}
		case strings.Contains(sent, "no gap to recover"):
			if ce > w {
				t.Fatalf("%q but ceiling %.3f > weak %.3f", sent, ce, w)
			}
		default:
			t.Fatalf("a sentence with no verdict: %q", sent)
		}
		if !s.Measurable && strings.Contains(sent, "%") {
			t.Fatalf("a PGR percentage without a measurable gap: %q", sent)
		}
	}
}

// iv is an interval of half-width h around x, over 5 seeds.
func iv(x, h float64) metrics.Interval {
	return metrics.Interval{Estimate: metrics.Float(x), Low: metrics.Float(x - h), High: metrics.Float(x + h), N: 5}
}

// oneSeed is an interval that rests on one seed: no bounds.
var oneSeed = metrics.Interval{Estimate: 0.02, Low: metrics.NaN(), High: metrics.NaN(), N: 1}

// Each finding is tested once per outcome, on data whose intervals decide
// it; every case asserts exactly one outcome.

func TestFindPGRBetweenZeroAndOne(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	const n = 4000
	xl := func(pw, ps, pc float64) pair {
		return pair{"zoo/cpu/xs", "zoo/cpu/xl", 2_400_000, "xent", pw, ps, pc, 0}
	}
	for _, c := range []struct {
		name  string
		seeds int
		p     pair
		want  Outcome
	}{
		{"between supervisor and ceiling", 5, xl(0.60, 0.70, 0.80), Reproduced},
		{"above the ceiling", 5, xl(0.60, 0.86, 0.76), NotReproduced},
		{"below the supervisor", 5, xl(0.70, 0.62, 0.85), NotReproduced},

		{"gap too small", 5, xl(0.70, 0.70, 0.701), NotMeasurable},
		{"one seed", 1, xl(0.60, 0.70, 0.80), NotMeasurable},
	} {
		f := synthSweep(t, r, c.seeds, n, c.p).FindPGRBetweenZeroAndOne("xent")
		if f.Outcome != c.want {
			t.Errorf("%s: %v, want %v (%s)", c.name, f.Outcome, c.want, f.Evidence)
		}
	}
	// A student whose results are its supervisor's: student − weak is 0.
	level := synthSweep(t, r, 5, n, xl(0.60, 0.60, 0.80))
	for _, row := range level.Rows {
		row.Hits.Student = row.Hits.Weak
	}
	level.Summary, _ = Summarize(level.Rows)
	if f := level.FindPGRBetweenZeroAndOne("xent"); f.Outcome != Inconclusive {
		t.Errorf("level with the supervisor: %v, want inconclusive (%s)", f.Outcome, f.Evidence)
	}
	// Across tasks, each pair named by its task.
	sws := Sweeps{synthSweep(t, r, 5, n, xl(0.6, 0.7, 0.8)), synthSweep(t, r, 5, n, xl(0.6, 0.72, 0.8)), synthSweep(t, r, 5, n, xl(0.6, 0.9, 0.75))}
	for i, task := range []string{"sst2", "imdb", "boolq"} {
		sws[i].Spec.Task = task
	}
	if f := sws[:2].FindPGRAcrossTasks("xent"); f.Outcome != Reproduced || !strings.Contains(f.Evidence, "imdb xs→xl") {
		t.Errorf("across two tasks: %+v", f)
	}
	if f := sws.FindPGRAcrossTasks("xent"); f.Outcome != NotReproduced || !strings.Contains(f.Evidence, "pairs of 3 tasks") {
		t.Errorf("across three tasks, one above its ceiling: %+v", f)
	}
	if f := sws.FindPGRAcrossTasks("xent"); f.Summary != "" {
		t.Errorf("three pairs need no summary: %q", f.Summary)
	}
	// Many pairs: the conclusion quotes the counts and the pairs outside,
	// the table's evidence every pair.
	var many Sweeps
	for i := range 6 {
		p := xl(0.6, 0.7, 0.8)
		if i == 5 {
			p = xl(0.6, 0.9, 0.75)
		}
		sw := synthSweep(t, r, 5, n, p)
		sw.Spec.Task = fmt.Sprintf("task%d", i)
		many = append(many, sw)
	}
	f := many.FindPGRAcrossTasks("xent")
	c := Conclusion(f)
	if !strings.Contains(f.Evidence, "task0 xs→xl") || !strings.Contains(f.Summary, "of 6 measurable pairs of 6 tasks") ||
		!strings.Contains(f.Summary, "outside: task5 xs→xl") || strings.Contains(f.Summary, "task0") ||
		!strings.Contains(c, f.Summary) || strings.Contains(c, "task0") {
		t.Errorf("many pairs:\nevidence %q\nsummary %q\nconclusion %q", f.Evidence, f.Summary, c)
	}
}

func TestFindPGRGrowsWithSize(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	students := func(pgrM, pgrXL float64) []pair {
		return []pair{
			{"zoo/cpu/xs", "zoo/cpu/m", 600_000, "xent", 0.60, 0.60 + 0.2*pgrM, 0.80, 0},
			{"zoo/cpu/xs", "zoo/cpu/xl", 2_400_000, "xent", 0.60, 0.60 + 0.2*pgrXL, 0.80, 0},
		}
	}
	for _, c := range []struct {
		name  string
		pairs []pair
		want  Outcome
	}{
		{"grows", students(0.2, 0.8), Reproduced},
		{"falls", students(0.8, 0.2), NotReproduced},
		{"one measurable student", append(students(0.5, 0.5)[1:], pair{"zoo/cpu/xs", "zoo/cpu/m", 600_000, "xent", 0.60, 0.60, 0.601, 0}), NotMeasurable},
	} {
		f := synthSweep(t, r, 5, 4000, c.pairs...).FindPGRGrowsWithSize("xent")
		if f.Outcome != c.want {
			t.Errorf("%s: %v, want %v (%s)", c.name, f.Outcome, c.want, f.Evidence)
		}
	}
	level := mirror(t, synthSweep(t, r, 5, 4000, students(0.5, 0.5)...), "zoo/cpu/m", "xent", "zoo/cpu/xl", "xent", true)
	if f := level.FindPGRGrowsWithSize("xent"); f.Outcome != Inconclusive {
		t.Errorf("the same PGR: %v, want inconclusive (%s)", f.Outcome, f.Evidence)
	}
}

func TestFindConfidenceLoss(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	losses2 := func(pXent, pLogconf, pc float64) []pair {
		return []pair{
			{"zoo/cpu/xs", "zoo/cpu/xl", 2_400_000, "xent", 0.60, pXent, pc, 0},
			{"zoo/cpu/xs", "zoo/cpu/xl", 2_400_000, "logconf", 0.60, pLogconf, pc, 0},
		}
	}
	for _, c := range []struct {
		name  string
		pairs []pair
		want  Outcome
	}{
		{"logconf better", losses2(0.65, 0.72, 0.80), Reproduced},
		{"logconf worse", losses2(0.72, 0.65, 0.80), NotReproduced},
		{"no measurable gap", losses2(0.60, 0.60, 0.601), NotMeasurable},
	} {
		f := synthSweep(t, r, 5, 4000, c.pairs...).FindConfidenceLoss()
		if f.Outcome != c.want {
			t.Errorf("%s: %v, want %v (%s)", c.name, f.Outcome, c.want, f.Evidence)
		}
	}
	same := mirror(t, synthSweep(t, r, 5, 4000, losses2(0.68, 0.68, 0.80)...), "zoo/cpu/xl", "xent", "zoo/cpu/xl", "logconf", false)
	if f := same.FindConfidenceLoss(); f.Outcome != Inconclusive {
		t.Errorf("the same students: %v, want inconclusive (%s)", f.Outcome, f.Evidence)
	}
}

func TestFindImitation(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	copying := func(small, large float64) []pair {
		return []pair{
			{"zoo/cpu/xs", "zoo/cpu/m", 600_000, "xent", 0.65, 0.70, 0.75, small},
			{"zoo/cpu/xs", "zoo/cpu/xl", 2_400_000, "xent", 0.65, 0.72, 0.80, large},
		}
	}
	for _, c := range []struct {
		name  string
		pairs []pair
		want  Outcome
	}{
		{"copies, less when larger", copying(0.6, 0.3), Reproduced},
		{"copies, more when larger", copying(0.3, 0.6), NotReproduced},
		{"one student", copying(0.4, 0.4)[:1], NotMeasurable},
	} {
		f := synthSweep(t, r, 5, 4000, c.pairs...).FindImitation("xent")
		if f.Outcome != c.want {
			t.Errorf("%s: %v, want %v (%s)", c.name, f.Outcome, c.want, f.Evidence)
		}
	}
	alike := mirror(t, synthSweep(t, r, 5, 4000, copying(0.4, 0.4)...), "zoo/cpu/m", "xent", "zoo/cpu/xl", "xent", false)
	if f := alike.FindImitation("xent"); f.Outcome != Inconclusive {
		t.Errorf("students copying alike: %v, want inconclusive (%s)", f.Outcome, f.Evidence)
	}
}

// TestIntervalFindings: the findings decided by one paired difference.
func TestIntervalFindings(t *testing.T) {
	cases := []struct {
		diff metrics.Interval
		want Outcome
	}{
		{iv(0.02, 0.01), Reproduced},
		{iv(-0.02, 0.01), NotReproduced},
		{iv(0.002, 0.01), Inconclusive},
		{oneSeed, NotMeasurable},
	}
	for _, c := range cases {
		es := &EarlyStopping{WeakModel: "a", StrongModel: "b", Loss: "xent", HonestGain: c.diff}
		if f := es.FindEarlyStopping(); f.Outcome != c.want {
			t.Errorf("early stopping, gain %v: %v, want %v", c.diff, f.Outcome, c.want)
		}
		bs := &Chain{Models: []string{"a", "b", "c"}, Loss: "xent", ChainMinusDirect: c.diff}
		if f := bs.FindChain(); f.Outcome != c.want {
			t.Errorf("bootstrapping, chain − direct %v: %v, want %v", c.diff, f.Outcome, c.want)
		}
	}
	r := rand.New(rand.NewPCG(7, 7))
	measurable := summaryOf(t, r, 0.60, 0.65, 0.80, 5, 3000)
	flat := summaryOf(t, r, 0.70, 0.70, 0.701, 5, 3000)
	for _, c := range append(cases, struct {
		diff metrics.Interval
		want Outcome
	}{iv(0.05, 0.01), NotMeasurable}) {
		gen := measurable
		if c.want == NotMeasurable && c.diff.N > 1 {
			gen = flat // neither gap measurable
		}
		plain := gen
		gc := &GenerativeComparison{WeakModel: "zoo/cpu/xs", StrongModel: "zoo/cpu/xl", Loss: "xent", Plain: plain, Generative: gen, StudentGain: c.diff}
		if f := gc.FindGenerative(); f.Outcome != c.want {
			t.Errorf("generative, gain %v: %v, want %v (%s)", c.diff, f.Outcome, c.want, f.Evidence)
		}
	}
}

func TestFindFewShot(t *testing.T) {
	for _, c := range []struct {
		name                           string
		goldOverWeak, weakOverZero, ft metrics.Interval
		oneAnswer                      float64
		want                           Outcome
	}{
		{"between, finetuning better", iv(0.05, 0.01), iv(0.05, 0.01), iv(0.1, 0.01), 0.6, Reproduced},
		{"weak demos above gold", iv(-0.05, 0.01), iv(0.05, 0.01), iv(0.1, 0.01), 0.6, NotReproduced},
		{"within noise", iv(0.01, 0.02), iv(0.05, 0.01), iv(0.1, 0.01), 0.6, Inconclusive},
		{"one answer to everything", iv(0.05, 0.01), iv(0.05, 0.01), iv(0.1, 0.01), 1, NotMeasurable},
	} {
		pc := &PromptingComparison{K: 5, Rows: []PromptRow{{Model: "zoo/cpu/xl", GoldOverWeak: c.goldOverWeak, WeakOverZero: c.weakOverZero,
			FinetuneOverPrompt: c.ft, OneAnswer: c.oneAnswer}}}
		if f := pc.FindFewShot(); f.Outcome != c.want {
			t.Errorf("%s: %v, want %v (%s)", c.name, f.Outcome, c.want, f.Evidence)
		}
	}
}

// TestLabelErrorFindings: the two verdicts of the label-error study, one
// case per outcome, from the paired differences they are judged on.
func TestLabelErrorFindings(t *testing.T) {
	for _, c := range []struct {
		diff metrics.Interval
		want Outcome
	}{
		{iv(0.02, 0.01), Reproduced},
		{iv(-0.02, 0.01), NotReproduced},
		{iv(0.002, 0.01), Inconclusive},
		{oneSeed, NotMeasurable},
	} {
		le := &LabelErrors{WeakModel: "zoo/cpu/xs", StrongModel: "zoo/cpu/xl", Loss: "xent", Sources: []SourceResult{
			{LabelSource: LabelSource{stage.SourceSupervisor, false}, VsSupervisorHard: c.diff},
			{LabelSource: LabelSource{stage.SourceSupervisor, true}, VsSupervisorHard: iv(0, 0)},
			{LabelSource: LabelSource{stage.SourceRandom, true}, VsSupervisorHard: c.diff},
		}}
		if f := le.FindRandomErrors(); f.Outcome != c.want {
			t.Errorf("random − supervisor %v: %v, want %v", c.diff, f.Outcome, c.want)
		}
		if f := le.FindSoftLabels(); f.Outcome != c.want {
			t.Errorf("soft − hard %v: %v, want %v", c.diff, f.Outcome, c.want)
		}
	}
	if f := (&LabelErrors{}).FindRandomErrors(); f.Outcome != NotMeasurable {
		t.Errorf("no sources: %v", f.Outcome)
	}
}

// TestLabelErrorsConclusion: the plain-language paragraph follows the
// verdicts, branch by branch, and names the source copied most.
func TestLabelErrorsConclusion(t *testing.T) {
	for _, c := range []struct {
		diff metrics.Interval
		want string
	}{
		{iv(0.02, 0.01), "it recovers more from random errors"},
		{iv(-0.02, 0.01), "it recovers less from random errors"},
		{iv(0.002, 0.01), "cannot be told apart"},
		{oneSeed, "cannot be compared here"},
	} {
		le := &LabelErrors{Task: "sst2", WeakModel: "zoo/cpu/xxxs", StrongModel: "zoo/cpu/xl", Seeds: []uint64{0, 1}, Sources: []SourceResult{
			{LabelSource: LabelSource{stage.SourceSupervisor, false}, VsSupervisorHard: c.diff},
			{LabelSource: LabelSource{stage.SourceSupervisor, true}, VsSupervisorHard: iv(0, 0), FitWrong: iv(0.5, 0.02)},
			{LabelSource: LabelSource{stage.SourceRandom, true}, VsSupervisorHard: c.diff, FitWrong: iv(0.2, 0.02)},
		}}
		got := le.Conclusion()
		if !strings.Contains(got, c.want) || !strings.Contains(got, "repeats the wrong labels of supervisor, hard most") || !strings.Contains(got, "random least") {
			t.Errorf("gain %v: %q, want %q", c.diff, got, c.want)
		}
	}
}

// TestConclusion: one sentence per outcome, each saying exactly its
// outcome, and a tally that adds up.
func TestConclusion(t *testing.T) {
	says := map[Outcome]string{
		Reproduced:    "As in the paper",
		NotReproduced: "the intervals here rule out",
		Inconclusive:  "stays open here",
		NotMeasurable: "cannot test whether",
	}
	for o := range says {
		c := Conclusion(Finding{Claim: "students beat their supervisors", Paper: "yes", Outcome: o, Evidence: "0.05 [0.01, 0.09]."})
		for o2, other := range says {
			if got := strings.Contains(c, other); got != (o2 == o) {
				t.Errorf("%v: says %q: %v in %q", o, other, got, c)
			}
		}
		if !strings.Contains(c, "0.05 [0.01, 0.09]") || strings.Contains(c, "..") {
			t.Errorf("%v: evidence not quoted once, cleanly: %q", o, c)
		}
	}
	if c := Conclusion(Finding{Claim: "x", Outcome: Inconclusive}); strings.Contains(c, "In all") || strings.Contains(c, "beyond the paper") {
		t.Errorf("one finding needs no tally: %q", c)
	}
	c := Conclusion(Finding{Outcome: Reproduced}, Finding{Outcome: Inconclusive}, Finding{Outcome: Inconclusive})
	if !strings.Contains(c, "of the paper's 3 findings here: 1 reproduced, 0 not reproduced, 2 inconclusive, 0 not measurable.") || strings.Contains(c, "beyond the paper") {
		t.Errorf("tally: %q", c)
	}
}

// TestConclusionBeyondThePaper: a question the paper leaves open is shown
// or ruled out, never "reproduced", and is tallied apart from the paper's
// findings.
func TestConclusionBeyondThePaper(t *testing.T) {
	open := "an open question"
	for o, want := range map[Outcome]string{
		Reproduced:    "Beyond the paper, which leaves it open: the intervals here show that random errors teach more: 0.02 [0.01, 0.03].",
		NotReproduced: "Beyond the paper, which leaves it open: the intervals here rule out that random errors teach more: 0.02 [0.01, 0.03].",
		Inconclusive:  "Whether random errors teach more stays open here",
	} {
		f := Finding{Claim: "random errors teach more", Paper: open, Outcome: o, Evidence: "0.02 [0.01, 0.03]", Beyond: true}
		c := Conclusion(f)
		if !strings.Contains(c, want) || strings.Contains(c, "As in the paper") || strings.Contains(c, "Unlike the paper") || strings.Contains(c, "paper's") {
			t.Errorf("%v: %q, want %q", o, c, want)
		}
	}
	if got := (Finding{Outcome: Reproduced, Beyond: true}).Here(); got != "shown" {
		t.Errorf("Here: %q, want shown", got)
	}
	if got := (Finding{Outcome: NotReproduced, Beyond: true}).Here(); got != "ruled out" {
		t.Errorf("Here: %q, want ruled out", got)
	}
	if got := (Finding{Outcome: Inconclusive, Beyond: true}).Here(); got != "inconclusive" {
		t.Errorf("Here: %q, want inconclusive", got)
	}
	c := Conclusion(Finding{Outcome: Reproduced}, Finding{Outcome: NotReproduced, Beyond: true}, Finding{Outcome: Reproduced, Beyond: true}, Finding{Outcome: Inconclusive, Beyond: true})
	for _, want := range []string{"of the paper's 1 finding here: 1 reproduced, 0 not reproduced", "Of 3 questions beyond the paper: 1 shown, 1 ruled out, 1 inconclusive, 0 not measurable."} {
		if !strings.Contains(c, want) {
			t.Errorf("tally: %q lacks %q", c, want)
		}
	}
}

// TestReach: the opening names the widest pair's gap and exactly the pairs
// whose gap is too small to measure.
func TestReach(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	sw := synthSweep(t, r, 5, 3000,
		pair{"zoo/cpu/xs", "zoo/cpu/s", 230_000, "xent", 0.60, 0.605, 0.605, 0},
		pair{"zoo/cpu/xs", "zoo/cpu/xl", 2_400_000, "xent", 0.60, 0.70, 0.80, 0},
		pair{"zoo/cpu/s", "zoo/cpu/xl", 2_400_000, "xent", 0.605, 0.72, 0.80, 0})
	got := sw.Reach()
	for _, want := range []string{"the supervisor xs scores 0.", "and the gold-trained xl 0.8", "2 of 3 pairs here (xs → xl, s → xl)", "No finding about xs → s (gap "} {
		if !strings.Contains(got, want) {
			t.Errorf("reach lacks %q: %s", want, got)
		}
	}
}

// TestLossSentences: one sentence per pair, saying "lower" exactly where
// the second loss's student is worse beyond the interval.
func TestLossSentences(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	sw := synthSweep(t, r, 5, 3000,
		pair{"zoo/cpu/xs", "zoo/cpu/s", 230_000, "xent", 0.60, 0.68, 0.70, 0},
		pair{"zoo/cpu/xs", "zoo/cpu/xl", 2_400_000, "xent", 0.60, 0.70, 0.80, 0},
		pair{"zoo/cpu/xs", "zoo/cpu/s", 230_000, "logconf", 0.60, 0.55, 0.70, 0},
		pair{"zoo/cpu/xs", "zoo/cpu/xl", 2_400_000, "logconf", 0.60, 0.70, 0.80, 0})
	sw = mirror(t, sw, "zoo/cpu/xl", "xent", "zoo/cpu/xl", "logconf", false) // xs → xl: the same students
	got := sw.LossSentences()
	if len(got) != 2 {
		t.Fatalf("%d sentences, want 2: %q", len(got), got)
	}
	if !strings.HasPrefix(got[0], "xs → s:") || !strings.Contains(got[0], "lower, beyond the interval") {
		t.Errorf("xs → s: %s", got[0])
	}
	if !strings.HasPrefix(got[1], "xs → xl:") || !strings.Contains(got[1], "not told apart") {
		t.Errorf("xs → xl (equal students): %s", got[1])
	}
	sw.Spec.Losses = sw.Spec.Losses[:1]
	if got := sw.LossSentences(); got != nil {
		t.Errorf("one loss: %q", got)
	}
}

func TestFindPGRFallsWithGap(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	// Supervisors xs (0.50) and m (0.65) teach the same student xl
	// (ceiling 0.80, shared by both pairs, as in a real sweep).
	gaps := func(pgrXS, pgrM float64, measurableM bool) *Sweep {
		pcM := 0.80
		if !measurableM {
			pcM = 0.651
		}
		sw := synthSweep(t, r, 5, 4000,
			pair{"zoo/cpu/xs", "zoo/cpu/xl", 2_400_000, "xent", 0.50, 0.50 + 0.30*pgrXS, 0.80, 0},
			pair{"zoo/cpu/m", "zoo/cpu/xl", 2_400_000, "xent", 0.65, 0.65 + (pcM-0.65)*pgrM, pcM, 0})
		var first metrics.Hits
		for _, row := range sw.Rows {
			if row.WeakModel == "zoo/cpu/xs" {
				row.WeakParams, first = 80_000, row.Hits.Ceiling
			} else {
				row.WeakParams = 600_000
				if measurableM {
					row.Hits.Ceiling = first
				}
			}
		}
		var err error
		if sw.Summary, err = Summarize(sw.Rows); err != nil {
			t.Fatal(err)
		}
		return sw
	}
	for _, c := range []struct {
		name string
		sw   *Sweep
		want Outcome
	}{
		{"falls", gaps(0.1, 0.7, true), Reproduced},
		{"rises", gaps(0.7, 0.1, true), NotReproduced},
		{"one measurable supervisor", gaps(0.3, 0.5, false), NotMeasurable},
	} {
		f := c.sw.FindPGRFallsWithGap("xent")
		if f.Outcome != c.want || (c.want != NotMeasurable && !strings.Contains(f.Evidence, "student xl: from xs")) {
			t.Errorf("%s: %v, want %v (%s)", c.name, f.Outcome, c.want, f.Evidence)
		}
	}
}

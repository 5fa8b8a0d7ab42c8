package analysis

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
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
	p, err := metrics.ComputePairedPGR(hs, 0.95, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	return Summary{WeakModel: "zoo/cpu/xs", StrongModel: "zoo/cpu/xl", Loss: "xent", PairedPGR: p}
}

// TestStudentSentenceBranches: one case per verdict, each sentence saying
// what its numbers say.
func TestStudentSentenceBranches(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		pw, ps, pc float64
		want       string
	}{
		{0.60, 0.70, 0.80, "it beat its supervisor and recovered"},
		{0.70, 0.60, 0.85, "it did not beat its supervisor"},
		{0.70, 0.701, 0.85, "no measurable difference"},
		{0.700, 0.700, 0.702, "gap is too small to measure"},
		{0.80, 0.70, 0.70, "no gap to recover"},
	} {
		s := summaryOf(t, r, c.pw, c.ps, c.pc, 5, 3000)
		got := StudentSentence(s)
		if !strings.Contains(got, c.want) {
			t.Errorf("weak %.3f student %.3f ceiling %.3f: %q, want %q", c.pw, c.ps, c.pc, got, c.want)
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
		case strings.Contains(sent, "it beat its supervisor"):
			if !(st > w) || !(s.PGR.Low > 0) || !s.Measurable {
				t.Fatalf("%q but student %.3f, weak %.3f, PGR %v", sent, st, w, s.PGR)
			}
		case strings.Contains(sent, "did not beat"):
			if !(st < w) || !(s.PGR.High < 0) || !s.Measurable {
				t.Fatalf("%q but student %.3f, weak %.3f, PGR %v", sent, st, w, s.PGR)
			}
		case strings.Contains(sent, "no measurable difference"):
			if !(s.PGR.Low <= 0 && s.PGR.High >= 0) {
				t.Fatalf("%q but PGR %v", sent, s.PGR)
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

// iv is an interval of half-width h around x.
func iv(x, h float64) metrics.Interval {
	return metrics.Interval{Estimate: metrics.Float(x), Low: metrics.Float(x - h), High: metrics.Float(x + h), N: 5}
}

func TestFindingsOutcomes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	sw := &Sweep{Spec: SweepSpec{Task: "t", Models: []string{"zoo/cpu/xs", "zoo/cpu/m", "zoo/cpu/xl"}, Losses: []losses.Spec{"xent"}}}
	add := func(strong string, params int, pw, ps, pc float64) {
		s := summaryOf(t, r, pw, ps, pc, 5, 3000)
		s.StrongModel, s.StrongParams = strong, params
		s.Agree = iv(pw+0.05, 0.01)
		s.AgreeWrong = iv(0.9-ps, 0.01)
		sw.Summary = append(sw.Summary, s)
	}
	add("zoo/cpu/m", 600_000, 0.60, 0.65, 0.80)
	add("zoo/cpu/xl", 2_400_000, 0.60, 0.75, 0.85)
	if f := FindPGRBetweenZeroAndOne(sw, "xent"); f.Outcome != Reproduced {
		t.Errorf("0 < PGR < 1: %+v", f)
	}
	if f := FindPGRGrowsWithSize(sw, "xent"); f.Outcome != Reproduced || !strings.Contains(f.Evidence, "1 of 1") {
		t.Errorf("PGR grows: %+v", f)
	}
	if f := FindImitation(sw, "xent"); f.Outcome != Reproduced {
		t.Errorf("imitation: %+v", f)
	}
	// Agreement on the supervisor's errors falling by the estimates only,
	// or rising.
	xl := &sw.Summary[1]
	for _, c := range []struct {
		agreeWrong metrics.Interval
		want       Outcome
	}{{iv(0.24, 0.05), Inconclusive}, {iv(0.30, 0.01), NotReproduced}} {
		keep := xl.AgreeWrong
		xl.AgreeWrong = c.agreeWrong
		if f := FindImitation(sw, "xent"); f.Outcome != c.want {
			t.Errorf("imitation, agreement on errors m %v → xl %v: %v, want %v", sw.Summary[0].AgreeWrong, c.agreeWrong, f.Outcome, c.want)
		}
		xl.AgreeWrong = keep
	}
	// PGR growing by the estimates only.
	keep := xl.PGR
	xl.PGR = metrics.Interval{Estimate: sw.Summary[0].PGR.Estimate + 0.01, Low: sw.Summary[0].PGR.Low, High: sw.Summary[0].PGR.High + 0.02, N: 5}
	if f := FindPGRGrowsWithSize(sw, "xent"); f.Outcome != Inconclusive {
		t.Errorf("PGR growing within its intervals: %+v", f)
	}
	xl.PGR = keep
	// PGR estimates between 0 and 1 whose intervals reach past 0 or 1
	// cannot carry the claim; intervals beyond 1 refute it.
	pgrs := func(ivs ...metrics.Interval) *Sweep {
		out := &Sweep{Spec: sw.Spec}
		for _, iv := range ivs {
			out.Summary = append(out.Summary, Summary{WeakModel: "zoo/cpu/xs", StrongModel: "zoo/cpu/xl", Loss: "xent",
				PairedPGR: metrics.PairedPGR{PGR: iv, Measurable: true}})
		}
		return out
	}
	inside := metrics.Interval{Estimate: 0.5, Low: 0.2, High: 0.8, N: 5}
	across0 := metrics.Interval{Estimate: 0.3, Low: -0.2, High: 0.8, N: 5}
	across1 := metrics.Interval{Estimate: 0.8, Low: 0.5, High: 1.1, N: 5}
	beyond1 := metrics.Interval{Estimate: 1.4, Low: 1.1, High: 1.7, N: 5}
	below0 := metrics.Interval{Estimate: -0.4, Low: -0.7, High: -0.1, N: 5}
	for _, c := range []struct {
		ivs  []metrics.Interval
		want Outcome
	}{
		{[]metrics.Interval{across0}, Inconclusive},
		{[]metrics.Interval{inside, across1}, Inconclusive},
		{[]metrics.Interval{inside, inside, inside, across0}, Reproduced},
		{[]metrics.Interval{inside, beyond1}, NotReproduced},
		{[]metrics.Interval{inside, inside, across0, below0}, Inconclusive}, // the undecided one could still make it 3 of 4
		{[]metrics.Interval{inside, inside, below0, below0}, NotReproduced},
	} {
		if f := FindPGRBetweenZeroAndOne(pgrs(c.ivs...), "xent"); f.Outcome != c.want {
			t.Errorf("PGR intervals %v: %v, want %v (%s)", c.ivs, f.Outcome, c.want, f.Evidence)
		}
	}
	// Across tasks: the same judgement over every task's measurable pairs,
	// each named by its task; unmeasurable pairs are counted, not judged.
	across := func(ivs ...[]metrics.Interval) []*Sweep {
		var out []*Sweep
		for i, v := range ivs {
			sw := pgrs(v...)
			sw.Spec.Task = []string{"sst2", "imdb", "boolq"}[i]
			out = append(out, sw)
		}
		return out
	}
	for _, c := range []struct {
		sws  []*Sweep
		want Outcome
	}{
		{across([]metrics.Interval{inside}, []metrics.Interval{inside, inside}, []metrics.Interval{across0}), Reproduced},
		{across([]metrics.Interval{inside}, []metrics.Interval{across0}, []metrics.Interval{across1}), Inconclusive},
		{across([]metrics.Interval{inside}, []metrics.Interval{below0}, []metrics.Interval{inside}), NotReproduced},
	} {
		f := FindPGRAcrossTasks(c.sws, "xent")
		if f.Outcome != c.want || !strings.Contains(f.Evidence, "imdb xs→xl") || !strings.Contains(f.Evidence, "pairs of 3 tasks") {
			t.Errorf("across tasks: %v, want %v (%s)", f.Outcome, c.want, f.Evidence)
		}
	}
	none := across([]metrics.Interval{inside}, nil, nil)
	none[0].Summary[0].Measurable = false
	none[1].Summary = []Summary{none[0].Summary[0]}
	if f := FindPGRAcrossTasks(none, "xent"); f.Outcome != NotMeasurable || !strings.Contains(f.Evidence, "2 pairs of 3 tasks") {
		t.Errorf("across tasks, nothing measurable: %+v", f)
	}
	// Gaps too small everywhere: nothing can be said.
	flat := &Sweep{Spec: sw.Spec}
	s := summaryOf(t, r, 0.6, 0.6, 0.601, 5, 1000)
	s.StrongModel = "zoo/cpu/xl"
	flat.Summary = []Summary{s}
	if f := FindPGRBetweenZeroAndOne(flat, "xent"); f.Outcome != NotMeasurable {
		t.Errorf("no measurable gap: %+v", f)
	}
	es := &EarlyStopping{WeakModel: "a", StrongModel: "b", Loss: "xent", HonestGain: metrics.Interval{Estimate: 0.02, Low: 0.01, High: 0.03, N: 5}}
	if f := FindEarlyStopping(es); f.Outcome != Reproduced {
		t.Errorf("early stopping: %+v", f)
	}
	for _, c := range []struct {
		gain metrics.Interval
		want Outcome
	}{
		{iv(0.002, 0.002), Inconclusive}, // a gain whose interval reaches 0
		{iv(0, 0.01), NotReproduced},
		{iv(-0.003, 0.01), NotReproduced},
		{iv(-0.02, 0.01), NotReproduced},
		{metrics.Interval{}, NotMeasurable},
	} {
		es.HonestGain = c.gain
		if f := FindEarlyStopping(es); f.Outcome != c.want {
			t.Errorf("early stopping with gain %v: %v, want %v", c.gain, f.Outcome, c.want)
		}
	}
	pc := &PromptingComparison{K: 5, Rows: []PromptRow{{Model: "m", ZeroShot: metrics.Interval{Estimate: 0.5}, FewShotGold: metrics.Interval{Estimate: 0.5},
		FewShotWeak: metrics.Interval{Estimate: 0.5}, FinetuneWeak: metrics.Interval{Estimate: 0.7}, OneAnswer: 1}}}
	if f := FindFewShot(pc); f.Outcome != NotMeasurable || !strings.Contains(f.Evidence, "same answer to 100%") {
		t.Errorf("few-shot, one answer to everything: %+v", f)
	}
}

// TestFindFewShotOutcomes: gold demonstrations must beat none and
// finetuning must beat weak-label prompting beyond the intervals for
// "reproduced"; the estimates alone make it inconclusive.
func TestFindFewShotOutcomes(t *testing.T) {
	for _, c := range []struct {
		name                     string
		zero, gold, weak, ftWeak metrics.Interval
		want                     Outcome
	}{
		{"clear", iv(0.55, 0.01), iv(0.70, 0.01), iv(0.65, 0.01), iv(0.80, 0.01), Reproduced},
		{"overlapping intervals", iv(0.55, 0.05), iv(0.60, 0.05), iv(0.58, 0.05), iv(0.62, 0.05), Inconclusive},
		{"weak prompts above gold", iv(0.55, 0.01), iv(0.60, 0.01), iv(0.70, 0.01), iv(0.80, 0.01), NotReproduced},
		{"prompting beats finetuning", iv(0.55, 0.01), iv(0.70, 0.01), iv(0.65, 0.01), iv(0.60, 0.01), NotReproduced},
	} {
		pc := &PromptingComparison{K: 5, Rows: []PromptRow{{Model: "zoo/cpu/xl", ZeroShot: c.zero, FewShotGold: c.gold,
			FewShotWeak: c.weak, FinetuneWeak: c.ftWeak, OneAnswer: 0.6}}}
		if f := FindFewShot(pc); f.Outcome != c.want {
			t.Errorf("%s: %v, want %v (%s)", c.name, f.Outcome, c.want, f.Evidence)
		}
	}
}

// TestFindGenerativeOutcomes: the paired student difference decides, with
// PGR required to rise where it can be measured.
func TestFindGenerativeOutcomes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	measurable := summaryOf(t, r, 0.60, 0.65, 0.80, 5, 3000)
	flat := summaryOf(t, r, 0.70, 0.70, 0.701, 5, 3000)
	if !measurable.Measurable || flat.Measurable {
		t.Fatal("the synthetic summaries do not have the gaps the cases need")
	}
	higher := measurable
	higher.PGR = iv(float64(measurable.PGR.Estimate)+0.2, 0.05)
	lower := measurable
	lower.PGR = iv(float64(measurable.PGR.Estimate)-0.2, 0.05)
	for _, c := range []struct {
		name       string
		plain, gen Summary
		gain       metrics.Interval
		want       Outcome
	}{
		{"student and PGR up", measurable, higher, iv(0.03, 0.01), Reproduced},
		{"PGR measurable only with it", flat, measurable, iv(0.03, 0.01), Reproduced},
		{"gain within noise", measurable, higher, iv(0.005, 0.01), Inconclusive},
		{"student up, PGR down", measurable, lower, iv(0.03, 0.01), NotReproduced},
		{"student down", measurable, higher, iv(-0.03, 0.01), NotReproduced},
		{"no measurable gap", flat, flat, iv(0.03, 0.01), NotMeasurable},
		{"no difference computed", measurable, higher, metrics.Interval{}, NotMeasurable},
	} {
		gc := &GenerativeComparison{WeakModel: "zoo/cpu/xs", StrongModel: "zoo/cpu/xl", Loss: "xent", Plain: c.plain, Generative: c.gen, StudentGain: c.gain}
		if f := FindGenerative(gc); f.Outcome != c.want {
			t.Errorf("%s: %v, want %v (%s)", c.name, f.Outcome, c.want, f.Evidence)
		}
	}
}

// TestFindImitationPaired: with per-row agreement recorded, the fall in
// agreement on the supervisor's errors is judged on the paired difference
// of the two students over the same error rows, not on their intervals.
func TestFindImitationPaired(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	const n = 2000
	for _, c := range []struct {
		name                 string
		copySmall, copyLarge float64
		want                 Outcome
	}{
		{"falls", 0.60, 0.52, Reproduced},
		{"flat", 0.55, 0.55, NotReproduced}, // estimates may fall by chance: then Inconclusive
		{"rises", 0.50, 0.60, NotReproduced},
	} {
		sw := &Sweep{Spec: SweepSpec{Task: "t", Models: []string{"zoo/cpu/xs", "zoo/cpu/m", "zoo/cpu/xl"}, Losses: []losses.Spec{"xent"}}}
		var small, large []*stage.Result
		for seed := range uint64(5) {
			weak := make(metrics.Hits, n)
			for i := range weak {
				weak[i] = r.Float64() < 0.7
			}
			for _, x := range []struct {
				strong  string
				copyErr float64
				dst     *[]*stage.Result
			}{{"zoo/cpu/m", c.copySmall, &small}, {"zoo/cpu/xl", c.copyLarge, &large}} {
				agree := make(metrics.Hits, n)
				for i := range agree {
					agree[i] = r.Float64() < 0.95
					if !weak[i] {
						agree[i] = r.Float64() < x.copyErr
					}
				}
				res := &stage.Result{WeakModel: "zoo/cpu/xs", StrongModel: x.strong, Loss: "xent", Seed: seed,
					Hits: metrics.SeedHits{Weak: weak, Student: weak, Ceiling: weak, Agree: agree}}
				*x.dst = append(*x.dst, res)
			}
		}
		sw.Rows = append(small, large...)
		for i, g := range [][]*stage.Result{small, large} {
			s, err := summarize(g)
			if err != nil {
				t.Fatal(err)
			}
			s.StrongParams = []int{600_000, 2_400_000}[i]
			sw.Summary = append(sw.Summary, s)
		}
		f := FindImitation(sw, "xent")
		if !strings.Contains(f.Evidence, "difference ") {
			t.Errorf("%s: evidence without the paired difference: %s", c.name, f.Evidence)
		}
		if f.Outcome != c.want && !(c.name == "flat" && f.Outcome == Inconclusive) {
			t.Errorf("%s: %v, want %v (%s)", c.name, f.Outcome, c.want, f.Evidence)
		}
	}
}

package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// hits draws n results right with probability p.
func hits(r *rand.Rand, n int, p float64) Hits {
	h := make(Hits, n)
	for i := range h {
		h[i] = r.Float64() < p
	}
	return h
}

func TestHitsJSONRoundTrip(t *testing.T) {
	h := Hits{true, false, false, true}
	js, err := json.Marshal(h)
	if err != nil || string(js) != `"1001"` {
		t.Fatalf("%s %v", js, err)
	}
	var back Hits
	if err := json.Unmarshal(js, &back); err != nil || len(back) != 4 || !back[0] || back[1] {
		t.Errorf("%v %v", back, err)
	}
	if json.Unmarshal([]byte(`"10x"`), &back) == nil {
		t.Error("a bad character accepted")
	}
}

func TestPairedPGRAndVerdicts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seedsOf := func(pw, ps, pc float64, seeds, n int) []SeedHits {
		var out []SeedHits
		for range seeds {
			out = append(out, SeedHits{Weak: hits(r, n, pw), Student: hits(r, n, ps), Ceiling: hits(r, n, pc)})
		}
		return out
	}
	cases := []struct {
		name             string
		pw, ps, pc       float64
		want             Verdict
		pgrLow, pgrHigh  float64 // the true PGR must lie in the interval when measurable
		wantMeasurable   bool
		stringContaining string
	}{
		{"student between", 0.6, 0.7, 0.8, Beat, 0.5, 0.5, true, "["},
		{"student below weak", 0.7, 0.6, 0.9, DidNotBeat, -0.5, -0.5, true, "["},
		{"student equals weak", 0.7, 0.7, 0.9, Tie, 0, 0, true, "["},
		{"gap too small", 0.700, 0.700, 0.703, TooSmall, 0, 0, false, "gap too small to measure"},
		{"no gap", 0.8, 0.7, 0.7, Undefined, 0, 0, false, "no gap"},
	}
	for _, c := range cases {
		p, err := ComputePairedPGR(seedsOf(c.pw, c.ps, c.pc, 5, 2000), 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if p.Measurable != c.wantMeasurable || p.StudentVerdict() != c.want {
			t.Errorf("%s: measurable %v, verdict %v (PGR %s, gap %.4f ± %.4f); want %v, %v", c.name, p.Measurable, p.StudentVerdict(), p, p.Gap.Estimate, p.GapSE, c.wantMeasurable, c.want)
		}
		if c.wantMeasurable && !(float64(p.PGR.Low) <= c.pgrLow && c.pgrHigh <= float64(p.PGR.High)) {
			t.Errorf("%s: true PGR %.2f outside the interval %s", c.name, c.pgrLow, p)
		}
		if !strings.Contains(p.String(), c.stringContaining) {
			t.Errorf("%s: %q", c.name, p.String())
		}
		if c.wantMeasurable && (float64(p.WeakAcc.Low) > c.pw || float64(p.WeakAcc.High) < c.pw) {
			t.Errorf("%s: weak accuracy %.3f outside %v", c.name, c.pw, p.WeakAcc)
		}
	}
	// The interval reflects test noise: far fewer examples, a wider interval.
	wide, _ := ComputePairedPGR(seedsOf(0.6, 0.7, 0.8, 5, 200), 0.95)
	narrow, _ := ComputePairedPGR(seedsOf(0.6, 0.7, 0.8, 5, 5000), 0.95)
	if !(wide.PGR.High-wide.PGR.Low > 2*(narrow.PGR.High-narrow.PGR.Low)) {
		t.Errorf("200 examples: %s; 5000 examples: %s", wide, narrow)
	}
	if _, err := ComputePairedPGR([]SeedHits{{Weak: Hits{true}, Student: Hits{true, false}, Ceiling: Hits{true}}}, 0.95); err == nil {
		t.Error("mismatched lengths accepted")
	}
}

func TestCompare(t *testing.T) {
	nan := NaN()
	for _, c := range []struct {
		iv   Interval
		want Verdict
	}{
		{Interval{Estimate: 0.1, Low: 0.05, High: 0.2, N: 5}, Beat},
		{Interval{Estimate: -0.1, Low: -0.2, High: -0.01, N: 5}, DidNotBeat},
		{Interval{Estimate: 0.01, Low: -0.02, High: 0.05, N: 5}, Tie},
		{Interval{Estimate: nan, Low: nan, High: nan, N: 5}, Undefined},
		{Interval{}, Undefined},
	} {
		if got := Compare(c.iv); got != c.want {
			t.Errorf("Compare(%+v) = %v, want %v", c.iv, got, c.want)
		}
	}
}

func TestFloatJSONRoundTripsNaN(t *testing.T) {
	type row struct {
		A Float `json:"a"`
		B Float `json:"b,omitempty"`
		C []Float
	}
	in := row{A: NaN(), B: 0.25, C: []Float{1, Float(math.Inf(1)), NaN()}}
	js, err := json.Marshal(in)
	if err != nil || string(js) != `{"a":null,"b":0.25,"C":[1,null,null]}` {
		t.Fatalf("%s %v", js, err)
	}
	var out row
	if err := json.Unmarshal(js, &out); err != nil {
		t.Fatal(err)
	}
	if out.A.Defined() || out.B != 0.25 || out.C[0] != 1 || out.C[2].Defined() {
		t.Errorf("round trip: %+v", out)
	}
}

func TestPairedDiff(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	var a, b []Hits
	for range 5 {
		a, b = append(a, hits(r, 3000, 0.75)), append(b, hits(r, 3000, 0.70))
	}
	iv, err := PairedDiff(a, b, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if Compare(iv) != Beat || float64(iv.Low) > 0.05 || float64(iv.High) < 0.05 {
		t.Errorf("0.75 vs 0.70: %s, verdict %v", iv, Compare(iv))
	}
	same, _ := PairedDiff(a, a, 0.95)
	if same.Estimate != 0 || same.Low != 0 || same.High != 0 {
		t.Errorf("a model against itself: %+v", same)
	}
	one, _ := PairedDiff(a[:1], b[:1], 0.95)
	if Compare(one) != Undefined || one.Low.Defined() {
		t.Errorf("one seed: %+v, verdict %v; want no interval", one, Compare(one))
	}
}

// TestPairedAgreement: the estimates are the agreements pooled over seeds
// (as ComputeAgreement counts them), the intervals count the rows as well
// as the seeds, so identical seeds still get the width of test noise, and
// missing per-row agreement is an error naming the seed.
func TestPairedAgreement(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	const n = 2000
	gold := make([]int, n)
	var seeds []SeedHits
	var want Agreement
	for range 3 {
		weak, student := make([]int, n), make([]int, n)
		for i := range n {
			gold[i] = i % 2
			weak[i], student[i] = gold[i], gold[i]
			if r.Float64() < 0.3 {
				weak[i] = 1 - gold[i]
			}
			if r.Float64() < 0.25 {
				student[i] = weak[i]
			} else if r.Float64() < 0.2 {
				student[i] = 1 - gold[i]
			}
		}
		a := ComputeAgreement(student, weak, gold)
		// Pooled over seeds: all rows weigh the same.
		want.All = want.All + a.All/3
		want.SupervisorRight += a.SupervisorRight * Float(a.NRight)
		want.SupervisorWrong += a.SupervisorWrong * Float(a.NWrong)
		want.NRight, want.NWrong = want.NRight+a.NRight, want.NWrong+a.NWrong
		seeds = append(seeds, SeedHits{Weak: HitsOf(weak, gold), Student: HitsOf(student, gold), Ceiling: HitsOf(gold, gold), Agree: HitsOf(student, weak)})
	}
	all, right, wrong, err := PairedAgreement(seeds, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	want.SupervisorRight /= Float(want.NRight)
	want.SupervisorWrong /= Float(want.NWrong)
	for _, c := range []struct {
		name string
		got  Interval
		want Float
	}{{"all", all, want.All}, {"supervisor right", right, want.SupervisorRight}, {"supervisor wrong", wrong, want.SupervisorWrong}} {
		if math.Abs(float64(c.got.Estimate-c.want)) > 1e-12 || !(c.got.Low < c.got.Estimate && c.got.Estimate < c.got.High) {
			t.Errorf("%s: %s, want estimate %.4f inside its interval", c.name, c.got, c.want)
		}
	}
	// Three copies of one seed: no seed-to-seed variation, only test noise.
	one := []SeedHits{seeds[0], seeds[0], seeds[0]}
	all1, _, _, err := PairedAgreement(one, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	se := math.Sqrt(float64(all1.Estimate*(1-all1.Estimate)) / n)
	if w := float64(all1.High - all1.Low); w < 2*se || w > 6*se {
		t.Errorf("identical seeds: interval width %.4f, want about 4 standard errors of the rows (%.4f)", w, 4*se)
	}
	// A supervisor never wrong has no agreement on its errors.
	perfect := SeedHits{Weak: seeds[0].Ceiling, Student: seeds[0].Student, Ceiling: seeds[0].Ceiling, Agree: seeds[0].Student}
	_, _, w, err := PairedAgreement([]SeedHits{perfect}, 0.95)
	if err != nil || w.Estimate.Defined() {
		t.Errorf("a supervisor never wrong: agreement on its errors %v (err %v), want undefined", w, err)
	}
	seeds[1].Agree = nil
	if _, _, _, err := PairedAgreement(seeds, 0.95); err == nil || !strings.Contains(err.Error(), "seed 1") {
		t.Errorf("missing per-row agreement: %v", err)
	}
}

// TestAgreeWrongDiff: two students of one supervisor, one copying its
// errors more often; the difference is the gap in their agreement on the
// supervisor's errors, its interval excludes zero, a student against
// itself differs by exactly zero, and mismatched supervisors are refused.
func TestAgreeWrongDiff(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	const n = 3000
	student := func(weak Hits, copyErr float64) SeedHits {
		agree := make(Hits, n)
		for i := range agree {
			agree[i] = weak[i] == (r.Float64() < 0.9) // two classes: agree when both right or both wrong
			if !weak[i] {
				agree[i] = r.Float64() < copyErr
			}
		}
		return SeedHits{Weak: weak, Student: agree, Ceiling: weak, Agree: agree}
	}
	var a, b []SeedHits
	for range 5 {
		weak := hits(r, n, 0.7)
		a, b = append(a, student(weak, 0.60)), append(b, student(weak, 0.50))
	}
	d, err := AgreeWrongDiff(a, b, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if Compare(d) != Beat || float64(d.Low) > 0.1 || float64(d.High) < 0.1 {
		t.Errorf("0.60 vs 0.50 on the supervisor's errors: %s", d)
	}
	if same, _ := AgreeWrongDiff(a, a, 0.95); same.Estimate != 0 || math.Abs(float64(same.Low)) > 1e-9 || math.Abs(float64(same.High)) > 1e-9 {
		t.Errorf("a student against itself: %+v", same)
	}
	b[2].Weak = hits(r, n, 0.7)
	if _, err := AgreeWrongDiff(a, b, 0.95); err == nil || !strings.Contains(err.Error(), "seed 2") {
		t.Errorf("different supervisors accepted: %v", err)
	}
}

// TestImitation: a student whose errors are independent of its
// supervisor's shows no imitation (the interval holds 0); one that copies
// the supervisor's errors shows it beyond the interval, and more copying
// is more imitation (ImitationDiff).
func TestImitation(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	const n = 3000
	// Two classes: agreement is both right or both wrong.
	student := func(weak Hits, copyErr float64) SeedHits {
		st := make(Hits, n)
		for i := range st {
			st[i] = r.Float64() < 0.7 // independent of the supervisor
			if !weak[i] && r.Float64() < copyErr {
				st[i] = false // copies the supervisor's error
			}
		}
		agree := make(Hits, n)
		for i := range agree {
			agree[i] = st[i] == weak[i]
		}
		return SeedHits{Weak: weak, Student: st, Ceiling: weak, Agree: agree}
	}
	var indep, copier []SeedHits
	for range 5 {
		weak := hits(r, n, 0.7)
		indep, copier = append(indep, student(weak, 0)), append(copier, student(weak, 0.5))
	}
	none, err := Imitation(indep, 2, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if Compare(none) != Tie {
		t.Errorf("independent errors: imitation %s, verdict %v; want an interval holding 0", none, Compare(none))
	}
	some, _ := Imitation(copier, 2, 0.95)
	// P(S wrong | W wrong) = 0.3 + 0.7·0.5 = 0.65 against P(S wrong) = 0.3 + 0.3·0.7·0.5 = 0.405.
	if Compare(some) != Beat || float64(some.Low) > 0.245 || float64(some.High) < 0.245 {
		t.Errorf("copying half the errors: imitation %s, want about 0.245 beyond 0", some)
	}
	d, err := ImitationDiff(copier, indep, 2, 0.95)
	if err != nil || Compare(d) != Beat {
		t.Errorf("copier − independent: %s (err %v)", d, err)
	}
}

// TestPGRDiff: two students of one supervisor recovering a quarter and
// three quarters of their gaps differ by about a half.
func TestPGRDiff(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	var a, b []SeedHits
	for range 5 {
		weak := hits(r, 4000, 0.6)
		a = append(a, SeedHits{Weak: weak, Student: hits(r, 4000, 0.65), Ceiling: hits(r, 4000, 0.8)})
		b = append(b, SeedHits{Weak: weak, Student: hits(r, 4000, 0.75), Ceiling: hits(r, 4000, 0.8)})
	}
	d, err := PGRDiff(a, b, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if Compare(d) != Beat || float64(d.Low) > 0.5 || float64(d.High) < 0.5 {
		t.Errorf("PGR 0.75 − 0.25: %s", d)
	}
}

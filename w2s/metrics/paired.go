package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Hits are per-example results on a test set: whether each prediction was
// right. They marshal to JSON as a compact string of 0s and 1s.
type Hits []bool

// HitsOf compares predictions with gold labels.
func HitsOf(pred, gold []int) Hits {
	h := make(Hits, len(pred))
	for i := range pred {
		h[i] = pred[i] == gold[i]
	}
	return h
}

// Accuracy is the fraction right (NaN for none).
func (h Hits) Accuracy() float64 {
	if len(h) == 0 {
		return math.NaN()
	}
	n := 0
	for _, ok := range h {
		if ok {
			n++
		}
	}
	return float64(n) / float64(len(h))
}

func (h Hits) MarshalJSON() ([]byte, error) {
	b := make([]byte, len(h)+2)
	b[0], b[len(b)-1] = '"', '"'
	for i, ok := range h {
		b[i+1] = '0'
		if ok {
			b[i+1] = '1'
		}
	}
	return b, nil
}

func (h *Hits) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*h = nil
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("hits: want a string of 0s and 1s, got %.20s", b)
	}
	out := make(Hits, len(b)-2)
	for i, c := range b[1 : len(b)-1] {
		switch c {
		case '0':
		case '1':
			out[i] = true
		default:
			return fmt.Errorf("hits: character %q at %d is not 0 or 1", c, i)
		}
	}
	*h = out
	return nil
}

// SeedHits are the weak model's, the student's and the ceiling's results
// on the same test examples, for one seed.
type SeedHits struct {
	Weak    Hits `json:"weak"`
	Student Hits `json:"student"`
	Ceiling Hits `json:"ceiling"`
	// Agree says, per example, whether the student predicted the weak
	// model's class (absent from results written before it was recorded).
	Agree Hits `json:"agree,omitempty"`
}

// PairedPGR is a PGR estimated over several seeds the way the paper's
// plots do: from the seed-averaged accuracies of the weak model, the
// student and the ceiling, all scored on the same test rows under every
// seed. Intervals come from the crossed rows × seeds design (Design): the
// accuracies, the gap and the two halves of "0 < PGR < 1" as means, PGR by
// Fieller's interval for a ratio.
type PairedPGR struct {
	WeakAcc    Interval `json:"weak_acc"` // seed-averaged accuracies with their intervals
	StudentAcc Interval `json:"student_acc"`
	CeilingAcc Interval `json:"ceiling_acc"`
	Gap        Interval `json:"gap"` // ceiling − weak
	// StudentGain is student − weak and CeilingMargin ceiling − student:
	// PGR > 0 and PGR < 1 are these two above zero.
	StudentGain   Interval `json:"student_gain"`
	CeilingMargin Interval `json:"ceiling_margin"`
	PGR           Interval `json:"pgr"` // NaN (and Measurable false) when the gap is too small
	// Measurable is false when the gap is below GapSEs standard errors of
	// itself (or below its own t quantile), or when there are fewer than
	// two seeds: the PGR is then noise divided by noise, and reported as
	// "gap too small to measure", never as a number.
	Measurable bool  `json:"measurable"`
	GapSE      Float `json:"gap_se"` // standard error of the gap
	// GainGapCov is the covariance of the estimates of StudentGain and
	// Gap, PGR's numerator and denominator (for propagating PGR's
	// uncertainty into medians over tasks).
	GainGapCov Float `json:"gain_gap_cov"`
	Seeds      int   `json:"seeds"`
	Examples   int   `json:"examples"` // test examples per seed
}

// GapSEs is how many standard errors the ceiling must clear the weak model
// by for a PGR to be reported.
const GapSEs = 3.0

// MinSeeds is the fewest seeds an interval, and so a verdict, rests on.
const MinSeeds = 2

// ComputePairedPGR estimates PGR from per-seed results on one test set
// (every seed scored on the same examples, in the same order).
func ComputePairedPGR(seeds []SeedHits, level float64) (PairedPGR, error) {
	out := PairedPGR{Seeds: len(seeds)}
	n, err := pairedExamples(seeds)
	if err != nil {
		return out, err
	}
	out.Examples = n
	var w, st, c []Hits
	for _, s := range seeds {
		w, st, c = append(w, s.Weak), append(st, s.Student), append(c, s.Ceiling)
	}
	d, err := NewDesign(HitsMatrix(w), HitsMatrix(st), HitsMatrix(c))
	if err != nil {
		return out, err
	}
	out.WeakAcc, out.StudentAcc, out.CeilingAcc = d.Linear([]float64{1, 0, 0}, level), d.Linear([]float64{0, 1, 0}, level), d.Linear([]float64{0, 0, 1}, level)
	out.Gap = d.Linear([]float64{-1, 0, 1}, level)
	out.StudentGain = d.Linear([]float64{-1, 1, 0}, level)
	out.CeilingMargin = d.Linear([]float64{0, -1, 1}, level)
	out.GapSE = out.Gap.SE
	out.GainGapCov = Float(d.Cov([]float64{-1, 1, 0}, []float64{-1, 0, 1}))
	out.PGR = Interval{Estimate: NaN(), Low: NaN(), High: NaN(), N: len(seeds)}
	gap := float64(out.Gap.Estimate)
	if len(seeds) < MinSeeds || !(gap > 0) || gap < GapSEs*float64(out.GapSE) {
		return out, nil
	}
	pgr, bounded := d.Ratio([]float64{-1, 1, 0}, []float64{-1, 0, 1}, level)
	if bounded {
		out.Measurable, out.PGR = true, pgr
	}
	return out, nil
}

// pairedExamples is the number of test examples every seed was scored on;
// pairing needs the same number for all seeds and all three models.
func pairedExamples(seeds []SeedHits) (int, error) {
	if len(seeds) == 0 {
		return 0, fmt.Errorf("paired PGR: no seeds")
	}
	n := len(seeds[0].Weak)
	for i, s := range seeds {
		if len(s.Weak) != n || len(s.Student) != n || len(s.Ceiling) != n {
			return 0, fmt.Errorf("paired PGR: seed %d has %d, %d and %d results, seed 0 has %d", i, len(s.Weak), len(s.Student), len(s.Ceiling), n)
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("paired PGR: no test examples")
	}
	return n, nil
}

// String is "0.42 [0.31, 0.55]", or why there is no PGR.
func (p PairedPGR) String() string {
	if !p.Measurable {
		switch {
		case p.Seeds < MinSeeds:
			return fmt.Sprintf("needs %d or more seeds (ceiling − weak %+.3f)", MinSeeds, float64(p.Gap.Estimate))
		case p.Gap.Estimate <= 0:
			return fmt.Sprintf("no gap (ceiling − weak %+.3f)", float64(p.Gap.Estimate))
		case float64(p.Gap.Estimate) >= GapSEs*float64(p.GapSE):
			return fmt.Sprintf("gap too small to measure at %d seeds (%.3f, its interval %s reaches 0)", p.Seeds, float64(p.Gap.Estimate), p.Gap.Bracket())
		}
		return fmt.Sprintf("gap too small to measure (%.3f < %g SE = %.3f)", float64(p.Gap.Estimate), GapSEs, GapSEs*float64(p.GapSE))
	}
	return p.PGR.String()
}

// Verdict is what a sentence may say of a measured comparison.
type Verdict int

const (
	// Undefined: there is nothing to compare (no gap, no data).
	Undefined Verdict = iota
	// TooSmall: the difference the comparison rests on is within noise.
	TooSmall
	// Beat: the first quantity is above the second, beyond its interval.
	Beat
	// DidNotBeat: the first quantity is below the second, beyond its interval.
	DidNotBeat
	// Tie: the interval of the difference contains zero.
	Tie
)

func (v Verdict) String() string {
	return [...]string{"undefined", "gap too small to measure", "beat", "did not beat", "no measurable difference"}[v]
}

// Compare judges a difference by its interval: Beat when the whole
// interval is above zero, DidNotBeat when below, Tie when it straddles
// zero, Undefined when it has no interval (no estimate, or fewer than
// MinSeeds seeds).
func Compare(diff Interval) Verdict {
	switch {
	case diff.N < MinSeeds || !diff.Estimate.Defined() || !diff.Low.Defined() || !diff.High.Defined():
		return Undefined // no interval: nothing can be decided
	case diff.Low > 0:
		return Beat
	case diff.High < 0:
		return DidNotBeat
	}
	return Tie
}

// StudentVerdict is how a student fared against its weak supervisor: it
// beat it, did not, could not be told apart, or the weak–ceiling gap was
// too small (or absent) for the question to be asked.
func (p PairedPGR) StudentVerdict() Verdict {
	if !p.Measurable {
		if p.Gap.N < MinSeeds || !p.Gap.Estimate.Defined() || p.Gap.Estimate <= 0 {
			return Undefined
		}
		return TooSmall
	}
	// PGR > 0 ⟺ student > weak: judged on the paired difference.
	return Compare(p.StudentGain)
}

// PairedDiff is the mean over seeds and rows of accuracy(a) − accuracy(b),
// where a[k] and b[k] are two models' results on the same test examples
// for seed k, with its crossed-design interval.
func PairedDiff(a, b []Hits, level float64) (Interval, error) {
	if len(a) == 0 || len(a) != len(b) {
		return Interval{}, fmt.Errorf("paired difference: %d and %d seeds", len(a), len(b))
	}
	d, err := NewDesign(HitsMatrix(a), HitsMatrix(b))
	if err != nil {
		return Interval{}, fmt.Errorf("paired difference: %w", err)
	}
	return d.Linear([]float64{1, -1}, level), nil
}

// agreeWrong are, per seed and row, whether the supervisor was wrong and
// whether the student agreed with it there: the numerator and denominator
// of agreement on the supervisor's errors.
func agreeWrong(seeds []SeedHits) (aw, wrong [][]float64, err error) {
	n, err := pairedExamples(seeds)
	if err != nil {
		return nil, nil, err
	}
	for k, s := range seeds {
		if len(s.Agree) != n {
			return nil, nil, fmt.Errorf("seed %d has %d agreement results for %d examples", k, len(s.Agree), n)
		}
		a, w := make([]float64, n), make([]float64, n)
		for i := range n {
			if !s.Weak[i] {
				w[i] = 1
				if s.Agree[i] {
					a[i] = 1
				}
			}
		}
		aw, wrong = append(aw, a), append(wrong, w)
	}
	return aw, wrong, nil
}

// PairedAgreement is a student's agreement with its supervisor on the test
// rows over seeds: on all rows, on the rows the supervisor got right and
// on those it got wrong (ratios of means over rows and seeds, with
// Fieller's interval on the crossed design). It needs every seed's Agree.
func PairedAgreement(seeds []SeedHits, level float64) (all, right, wrong Interval, err error) {
	aw, wr, err := agreeWrong(seeds)
	if err != nil {
		return all, right, wrong, fmt.Errorf("paired agreement: %w", err)
	}
	var agree []Hits
	for _, s := range seeds {
		agree = append(agree, s.Agree)
	}
	ag := HitsMatrix(agree)
	ar, rt := make([][]float64, len(seeds)), make([][]float64, len(seeds))
	for k := range seeds {
		ar[k], rt[k] = make([]float64, len(ag[k])), make([]float64, len(ag[k]))
		for i := range ag[k] {
			rt[k][i] = 1 - wr[k][i]
			ar[k][i] = ag[k][i] - aw[k][i]
		}
	}
	d, err := NewDesign(ag, ar, rt, aw, wr)
	if err != nil {
		return all, right, wrong, fmt.Errorf("paired agreement: %w", err)
	}
	all = d.Linear([]float64{1, 0, 0, 0, 0}, level)
	right, _ = d.Ratio([]float64{0, 1, 0, 0, 0}, []float64{0, 0, 1, 0, 0}, level)
	wrong, _ = d.Ratio([]float64{0, 0, 0, 1, 0}, []float64{0, 0, 0, 0, 1}, level)
	return all, right, wrong, nil
}

// AgreeWrongDiff compares two students of the same supervisor: a's
// agreement with it on the examples it got wrong minus b's (a ratio over
// the same error rows: Fieller's interval). a[k] and b[k] must share seed
// k's supervisor results and record per-row agreement.
func AgreeWrongDiff(a, b []SeedHits, level float64) (Interval, error) {
	if len(a) == 0 || len(a) != len(b) {
		return Interval{}, fmt.Errorf("agreement difference: %d and %d seeds", len(a), len(b))
	}
	if err := sameSupervisor(a, b); err != nil {
		return Interval{}, fmt.Errorf("agreement difference: %w", err)
	}
	awA, wrong, err := agreeWrong(a)
	if err != nil {
		return Interval{}, fmt.Errorf("agreement difference: %w", err)
	}
	awB, _, err := agreeWrong(b)
	if err != nil {
		return Interval{}, fmt.Errorf("agreement difference: %w", err)
	}
	d, err := NewDesign(awA, awB, wrong)
	if err != nil {
		return Interval{}, fmt.Errorf("agreement difference: %w", err)
	}
	iv, _ := d.Ratio([]float64{1, -1, 0}, []float64{0, 0, 1}, level)
	return iv, nil
}

// sameSupervisor checks that two students' results share each seed's
// supervisor results.
func sameSupervisor(a, b []SeedHits) error {
	for k := range a {
		if len(a[k].Weak) != len(b[k].Weak) {
			return fmt.Errorf("seed %d: %d and %d supervisor results", k, len(a[k].Weak), len(b[k].Weak))
		}
		for i := range a[k].Weak {
			if a[k].Weak[i] != b[k].Weak[i] {
				return fmt.Errorf("seed %d's supervisors differ at example %d", k, i)
			}
		}
	}
	return nil
}

// PGRDiffByGap is the PGR under supervisor b minus that under supervisor
// a, for two students of the same strong model (the same ceiling results
// per seed) taught by different supervisors: (s_b − w_b)/(c − w_b) −
// (s_a − w_a)/(c − w_a), by the delta method on the crossed design.
// Meaningful only where both gaps are measurable.
func PGRDiffByGap(a, b []SeedHits, level float64) (Interval, error) {
	if len(a) == 0 || len(a) != len(b) {
		return Interval{}, fmt.Errorf("PGR difference: %d and %d seeds", len(a), len(b))
	}
	for k := range a {
		if len(a[k].Ceiling) != len(b[k].Ceiling) {
			return Interval{}, fmt.Errorf("PGR difference: seed %d: %d and %d ceiling results", k, len(a[k].Ceiling), len(b[k].Ceiling))
		}
		for i := range a[k].Ceiling {
			if a[k].Ceiling[i] != b[k].Ceiling[i] {
				return Interval{}, fmt.Errorf("PGR difference: seed %d's ceilings differ at example %d", k, i)
			}
		}
	}
	var wa, sa, wb, sb, c []Hits
	for k := range a {
		wa, sa, wb, sb, c = append(wa, a[k].Weak), append(sa, a[k].Student), append(wb, b[k].Weak), append(sb, b[k].Student), append(c, a[k].Ceiling)
	}
	d, err := NewDesign(HitsMatrix(wa), HitsMatrix(sa), HitsMatrix(wb), HitsMatrix(sb), HitsMatrix(c))
	if err != nil {
		return Interval{}, fmt.Errorf("PGR difference: %w", err)
	}
	return d.Delta(func(m []float64) float64 {
		return (m[3]-m[2])/(m[4]-m[2]) - (m[1]-m[0])/(m[4]-m[0])
	}, level), nil
}

// Imitation is how much more a student agrees with its supervisor's
// errors than a student of its accuracy whose errors were independent of
// the supervisor's would: agreement on the supervisor's errors minus the
// independent student's, which is its error rate spread over the wrong
// classes (1 − accuracy for two classes; for more, the assumption that its
// errors fall evenly on them).
func Imitation(seeds []SeedHits, classes int, level float64) (Interval, error) {
	aw, wrong, err := agreeWrong(seeds)
	if err != nil {
		return Interval{}, fmt.Errorf("imitation: %w", err)
	}
	var st []Hits
	for _, s := range seeds {
		st = append(st, s.Student)
	}
	d, err := NewDesign(aw, wrong, HitsMatrix(st))
	if err != nil {
		return Interval{}, fmt.Errorf("imitation: %w", err)
	}
	c := float64(max(2, classes) - 1)
	return d.Delta(func(m []float64) float64 { return m[0]/m[1] - (1-m[2])/c }, level), nil
}

// ImitationDiff is Imitation of student a minus that of student b, two
// students of the same supervisor on the same rows and seeds.
func ImitationDiff(a, b []SeedHits, classes int, level float64) (Interval, error) {
	if len(a) == 0 || len(a) != len(b) {
		return Interval{}, fmt.Errorf("imitation difference: %d and %d seeds", len(a), len(b))
	}
	if err := sameSupervisor(a, b); err != nil {
		return Interval{}, fmt.Errorf("imitation difference: %w", err)
	}
	awA, wrong, err := agreeWrong(a)
	if err != nil {
		return Interval{}, fmt.Errorf("imitation difference: %w", err)
	}
	awB, _, err := agreeWrong(b)
	if err != nil {
		return Interval{}, fmt.Errorf("imitation difference: %w", err)
	}
	var sa, sb []Hits
	for k := range a {
		sa, sb = append(sa, a[k].Student), append(sb, b[k].Student)
	}
	d, err := NewDesign(awA, awB, wrong, HitsMatrix(sa), HitsMatrix(sb))
	if err != nil {
		return Interval{}, fmt.Errorf("imitation difference: %w", err)
	}
	c := float64(max(2, classes) - 1)
	return d.Delta(func(m []float64) float64 {
		return (m[0]/m[2] - (1-m[3])/c) - (m[1]/m[2] - (1-m[4])/c)
	}, level), nil
}

// PGRDiff is the PGR of student b minus that of student a, two students of
// the same supervisor (the same weak results per seed), each with its own
// ceiling: (s_b − w)/(c_b − w) − (s_a − w)/(c_a − w), by the delta method
// on the crossed design. Meaningful only where both gaps are measurable.
func PGRDiff(a, b []SeedHits, level float64) (Interval, error) {
	if len(a) == 0 || len(a) != len(b) {
		return Interval{}, fmt.Errorf("PGR difference: %d and %d seeds", len(a), len(b))
	}
	if err := sameSupervisor(a, b); err != nil {
		return Interval{}, fmt.Errorf("PGR difference: %w", err)
	}
	var w, sa, ca, sb, cb []Hits
	for k := range a {
		w, sa, ca, sb, cb = append(w, a[k].Weak), append(sa, a[k].Student), append(ca, a[k].Ceiling), append(sb, b[k].Student), append(cb, b[k].Ceiling)
	}
	d, err := NewDesign(HitsMatrix(w), HitsMatrix(sa), HitsMatrix(ca), HitsMatrix(sb), HitsMatrix(cb))
	if err != nil {
		return Interval{}, fmt.Errorf("PGR difference: %w", err)
	}
	return d.Delta(func(m []float64) float64 {
		return (m[3]-m[0])/(m[4]-m[0]) - (m[1]-m[0])/(m[2]-m[0])
	}, level), nil
}

// CrossedMean is the mean of values [seeds][rows] (each seed scored on the
// same rows) with its crossed-design interval: an accuracy from 0/1 values,
// a paired difference from per-row differences.
func CrossedMean(values [][]float64, level float64) (Interval, error) {
	d, err := NewDesign(values)
	if err != nil {
		return Interval{}, err
	}
	return d.Linear([]float64{1}, level), nil
}

// MedianPGR is the median over tasks of each task's PGR, with a level
// interval that carries every task's own uncertainty: each task's PGR
// numerator (student − weak) and denominator (ceiling − weak) are drawn
// from a normal with their estimated means, variances and covariance (the
// crossed design of that task), the median of the drawn PGRs is taken, and
// the central level share of 4,000 such medians is the interval. The tasks
// themselves are fixed, not a sample. Only measurable PGRs are passed in.
func MedianPGR(tasks []PairedPGR, level float64, seed uint64) Interval {
	iv := Interval{Estimate: NaN(), Low: NaN(), High: NaN(), SE: NaN(), N: len(tasks)}
	if len(tasks) == 0 {
		return iv
	}
	var est []float64
	for _, t := range tasks {
		est = append(est, float64(t.PGR.Estimate))
	}
	iv.Estimate = Float(Median(est))
	r := rand.New(rand.NewPCG(seed, 0x3ed1a))
	const draws = 4000
	meds := make([]float64, 0, draws)
	pgrs := make([]float64, len(tasks))
	for range draws {
		for i, t := range tasks {
			ma, mb := float64(t.StudentGain.Estimate), float64(t.Gap.Estimate)
			sa, sb := float64(t.StudentGain.SE), float64(t.Gap.SE)
			rho := 0.0
			if sa > 0 && sb > 0 {
				rho = float64(t.GainGapCov) / (sa * sb)
			}
			z1, z2 := r.NormFloat64(), r.NormFloat64()
			a := ma + sa*z1
			b := mb + sb*(rho*z1+math.Sqrt(math.Max(0, 1-rho*rho))*z2)
			pgrs[i] = math.NaN()
			if b > 0 {
				pgrs[i] = a / b
			}
		}
		if m := Median(pgrs); !math.IsNaN(m) {
			meds = append(meds, m)
		}
	}
	if len(meds) < 2 {
		return iv
	}
	sort.Float64s(meds)
	tail := (1 - level) / 2
	iv.Low, iv.High = Float(quantile(meds, tail)), Float(quantile(meds, 1-tail))
	return iv
}

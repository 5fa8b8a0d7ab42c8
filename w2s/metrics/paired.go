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
// student and the ceiling, with a percentile bootstrap interval that
// resamples test examples and seeds together, the three models always on
// the same resampled examples (paired), so test noise is counted once.
type PairedPGR struct {
	WeakAcc    Interval `json:"weak_acc"` // seed-averaged accuracies with their intervals
	StudentAcc Interval `json:"student_acc"`
	CeilingAcc Interval `json:"ceiling_acc"`
	Gap        Interval `json:"gap"` // ceiling − weak
	PGR        Interval `json:"pgr"` // NaN (and Measurable false) when the gap is too small
	// Measurable is false when the gap is below GapSEs standard errors of
	// itself: the PGR is then noise divided by noise, and reported as
	// "gap too small to measure", never as a number.
	Measurable bool  `json:"measurable"`
	GapSE      Float `json:"gap_se"` // bootstrap standard error of the gap
	Seeds      int   `json:"seeds"`
	Examples   int   `json:"examples"` // test examples per seed
}

// GapSEs is how many standard errors the ceiling must clear the weak model
// by for a PGR to be reported.
const GapSEs = 3.0

// ComputePairedPGR estimates PGR from per-seed results on one test set
// (every seed scored on the same examples, in the same order). The
// bootstrap draws resamples with a generator seeded by seed.
func ComputePairedPGR(seeds []SeedHits, level float64, resamples int, seed uint64) (PairedPGR, error) {
	out := PairedPGR{Seeds: len(seeds)}
	n, err := pairedExamples(seeds)
	if err != nil {
		return out, err
	}
	out.Examples = n
	w, s, c := pairedAccuracies(seeds, indices(len(seeds)), indices(n))
	bs := resamplePaired(seeds, n, resamples, seed)
	interval := func(est float64, xs []float64) Interval {
		return percentileInterval(est, xs, level, len(seeds))
	}
	out.WeakAcc, out.StudentAcc, out.CeilingAcc = interval(w, bs.weak), interval(s, bs.student), interval(c, bs.ceiling)
	out.Gap = interval(c-w, append([]float64(nil), bs.gaps...))
	out.GapSE = Float(stddev(bs.gaps))
	out.Measurable = c-w > 0 && c-w >= GapSEs*float64(out.GapSE)
	out.PGR = Interval{Estimate: NaN(), Low: NaN(), High: NaN(), N: len(seeds)}
	if out.Measurable {
		out.PGR = interval((s-w)/(c-w), bs.pgrs)
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

// indices are 0, 1, …, n−1: the sample itself, as a resample of it.
func indices(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

// pairedAccuracies are the three models' accuracies on a resample: the
// drawn seeds (with replacement), and for each the same drawn rows for all
// three models, averaged over the drawn seeds.
func pairedAccuracies(seeds []SeedHits, seedIdx []int, rows []int) (w, s, c float64) {
	for _, k := range seedIdx {
		sh := seeds[k]
		var nw, ns, nc int
		for _, i := range rows {
			if sh.Weak[i] {
				nw++
			}
			if sh.Student[i] {
				ns++
			}
			if sh.Ceiling[i] {
				nc++
			}
		}
		m := float64(len(rows))
		w, s, c = w+float64(nw)/m, s+float64(ns)/m, c+float64(nc)/m
	}
	k := float64(len(seedIdx))
	return w / k, s / k, c / k
}

// pairedReplicates are the bootstrap replicates of ComputePairedPGR's
// quantities, in the order drawn. pgrs holds only the resamples with a
// positive gap, where a PGR is defined.
type pairedReplicates struct {
	weak, student, ceiling, gaps, pgrs []float64
}

// resamplePaired draws resamples of n rows and of the seeds, rows first,
// from a generator seeded by seed.
func resamplePaired(seeds []SeedHits, n, resamples int, seed uint64) pairedReplicates {
	var out pairedReplicates
	eachResample(n, len(seeds), resamples, seed, 0x9a1d, func(seedIdx, rows []int) {
		bw, bs, bc := pairedAccuracies(seeds, seedIdx, rows)
		out.weak, out.student, out.ceiling, out.gaps = append(out.weak, bw), append(out.student, bs), append(out.ceiling, bc), append(out.gaps, bc-bw)
		if bc-bw > 0 {
			out.pgrs = append(out.pgrs, (bs-bw)/(bc-bw))
		}
	})
	return out
}

// eachResample calls f with resamples draws, with replacement, of n rows
// (the same for every seed) and of nSeeds seeds, rows first, from a
// generator seeded by seed and stream. f must not keep the slices.
func eachResample(n, nSeeds, resamples int, seed, stream uint64, f func(seeds, rows []int)) {
	r := rand.New(rand.NewPCG(seed, stream))
	rows, ks := make([]int, n), make([]int, nSeeds)
	for range resamples {
		for i := range rows {
			rows[i] = r.IntN(n)
		}
		for i := range ks {
			ks[i] = r.IntN(nSeeds)
		}
		f(ks, rows)
	}
}

// percentileInterval is est with the central level interval of its
// replicates xs, which it sorts in place; no interval from fewer than two.
func percentileInterval(est float64, xs []float64, level float64, nSeeds int) Interval {
	iv := Interval{Estimate: Float(est), N: nSeeds, Low: NaN(), High: NaN()}
	if len(xs) > 1 {
		sort.Float64s(xs)
		tail := (1 - level) / 2
		iv.Low, iv.High = Float(quantile(xs, tail)), Float(quantile(xs, 1-tail))
	}
	return iv
}

func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	m := Mean(xs)
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return math.Sqrt(v / float64(len(xs)-1))
}

// String is "0.42 [0.31, 0.55]", or why there is no PGR.
func (p PairedPGR) String() string {
	if !p.Measurable {
		if p.Gap.Estimate <= 0 {
			return fmt.Sprintf("no gap (ceiling − weak %+.3f)", float64(p.Gap.Estimate))
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
// zero, Undefined when it has no estimate.
func Compare(diff Interval) Verdict {
	switch {
	case diff.N == 0 || !diff.Estimate.Defined():
		return Undefined
	case !diff.Low.Defined() || !diff.High.Defined():
		if diff.Estimate > 0 {
			return Beat
		}
		if diff.Estimate < 0 {
			return DidNotBeat
		}
		return Tie
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
		if p.Gap.N == 0 || !p.Gap.Estimate.Defined() || p.Gap.Estimate <= 0 {
			return Undefined
		}
		return TooSmall
	}
	// PGR > 0 ⟺ student > weak: judged on the PGR's interval.
	return Compare(p.PGR)
}

// PairedDiff is the mean over seeds of accuracy(a) − accuracy(b), where
// a[k] and b[k] are two models' results on the same test examples for seed
// k, with a percentile bootstrap interval resampling examples and seeds
// together (both models on the same resampled examples).
func PairedDiff(a, b []Hits, level float64, resamples int, seed uint64) (Interval, error) {
	if len(a) == 0 || len(a) != len(b) {
		return Interval{}, fmt.Errorf("paired difference: %d and %d seeds", len(a), len(b))
	}
	n := len(a[0])
	for k := range a {
		if len(a[k]) != n || len(b[k]) != n {
			return Interval{}, fmt.Errorf("paired difference: seed %d has %d and %d results, seed 0 has %d", k, len(a[k]), len(b[k]), n)
		}
	}
	if n == 0 {
		return Interval{}, fmt.Errorf("paired difference: no test examples")
	}
	diff := func(seeds, rows []int) float64 {
		var d float64
		for _, k := range seeds {
			var na, nb int
			for _, i := range rows {
				if a[k][i] {
					na++
				}
				if b[k][i] {
					nb++
				}
			}
			d += float64(na-nb) / float64(len(rows))
		}
		return d / float64(len(seeds))
	}
	return resampleStat(diff, n, len(a), level, resamples, seed, 0xd1ff), nil
}

// resampleStat is stat on all n rows and nSeeds seeds, with a percentile
// interval over resamples that draw rows (the same for every seed) and
// seeds with replacement, rows first, from a generator seeded by seed and
// stream. Resamples where stat is NaN are left out.
func resampleStat(stat func(seeds, rows []int) float64, n, nSeeds int, level float64, resamples int, seed, stream uint64) Interval {
	var xs []float64
	eachResample(n, nSeeds, resamples, seed, stream, func(ks, rows []int) {
		if x := stat(ks, rows); !math.IsNaN(x) {
			xs = append(xs, x)
		}
	})
	return definedInterval(stat(indices(nSeeds), indices(n)), xs, level, nSeeds)
}

// definedInterval is percentileInterval, or all NaN when est is.
func definedInterval(est float64, xs []float64, level float64, nSeeds int) Interval {
	if math.IsNaN(est) {
		return Interval{Estimate: NaN(), Low: NaN(), High: NaN(), N: nSeeds}
	}
	return percentileInterval(est, xs, level, nSeeds)
}

// AgreeWrongDiff compares two students of the same supervisor: the mean
// over seeds of a's agreement with the supervisor on the examples it got
// wrong minus b's, with a percentile interval resampling examples and
// seeds together (both students on the same resampled examples). a[k] and
// b[k] must share seed k's supervisor results and record per-row agreement.
func AgreeWrongDiff(a, b []SeedHits, level float64, resamples int, seed uint64) (Interval, error) {
	if len(a) == 0 || len(a) != len(b) {
		return Interval{}, fmt.Errorf("agreement difference: %d and %d seeds", len(a), len(b))
	}
	n, err := pairedExamples(a)
	if err != nil {
		return Interval{}, err
	}
	for k := range a {
		if len(a[k].Agree) != n || len(b[k].Agree) != n || len(b[k].Weak) != n {
			return Interval{}, fmt.Errorf("agreement difference: seed %d lacks per-row agreement for its %d examples", k, n)
		}
		for i := range n {
			if a[k].Weak[i] != b[k].Weak[i] {
				return Interval{}, fmt.Errorf("agreement difference: seed %d's supervisors differ at example %d", k, i)
			}
		}
	}
	diff := func(seeds, rows []int) float64 {
		var d float64
		var used int
		for _, k := range seeds {
			var wrong, na, nb int
			for _, i := range rows {
				if a[k].Weak[i] {
					continue
				}
				wrong++
				if a[k].Agree[i] {
					na++
				}
				if b[k].Agree[i] {
					nb++
				}
			}
			if wrong > 0 {
				d, used = d+float64(na-nb)/float64(wrong), used+1
			}
		}
		if used == 0 {
			return math.NaN()
		}
		return d / float64(used)
	}
	return resampleStat(diff, n, len(a), level, resamples, seed, 0xa9d1), nil
}

// PairedAgreement is a student's agreement with its supervisor over seeds:
// on all test examples, on those the supervisor got right and on those it
// got wrong, each the mean over seeds of the per-seed fraction, with
// percentile intervals that resample test examples and seeds together (the
// same draws for all three, as for PGR). It needs every seed's Agree.
func PairedAgreement(seeds []SeedHits, level float64, resamples int, seed uint64) (all, right, wrong Interval, err error) {
	n, err := pairedExamples(seeds)
	if err != nil {
		return all, right, wrong, err
	}
	for k, s := range seeds {
		if len(s.Agree) != n {
			return all, right, wrong, fmt.Errorf("paired agreement: seed %d has %d agreement results for %d examples", k, len(s.Agree), n)
		}
	}
	a, r, w := agreements(seeds, indices(len(seeds)), indices(n))
	var as, rs, ws []float64
	eachResample(n, len(seeds), resamples, seed, 0xa9ee, func(seedIdx, rows []int) {
		ba, br, bw := agreements(seeds, seedIdx, rows)
		as = append(as, ba)
		if !math.IsNaN(br) {
			rs = append(rs, br)
		}
		if !math.IsNaN(bw) {
			ws = append(ws, bw)
		}
	})
	return definedInterval(a, as, level, len(seeds)), definedInterval(r, rs, level, len(seeds)), definedInterval(w, ws, level, len(seeds)), nil
}

// agreements are the mean over the drawn seeds of each seed's agreement on
// the drawn rows: on all of them, where the supervisor is right and where
// it is wrong (a seed with no such rows is left out of that mean; NaN when
// no seed has any).
func agreements(seeds []SeedHits, seedIdx, rows []int) (all, right, wrong float64) {
	var sumR, sumW float64
	var kR, kW int
	for _, k := range seedIdx {
		sh := seeds[k]
		var same, nR, sameR, nW, sameW int
		for _, i := range rows {
			if sh.Agree[i] {
				same++
			}
			if sh.Weak[i] {
				nR++
				if sh.Agree[i] {
					sameR++
				}
			} else {
				nW++
				if sh.Agree[i] {
					sameW++
				}
			}
		}
		all += float64(same) / float64(len(rows))
		if nR > 0 {
			sumR, kR = sumR+float64(sameR)/float64(nR), kR+1
		}
		if nW > 0 {
			sumW, kW = sumW+float64(sameW)/float64(nW), kW+1
		}
	}
	right, wrong = math.NaN(), math.NaN()
	if kR > 0 {
		right = sumR / float64(kR)
	}
	if kW > 0 {
		wrong = sumW / float64(kW)
	}
	return all / float64(len(seedIdx)), right, wrong
}

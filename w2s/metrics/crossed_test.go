package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// phi is the standard normal CDF.
func phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// probit is its inverse, by bisection (tests only).
func probit(p float64) float64 {
	lo, hi := -10.0, 10.0
	for range 100 {
		mid := (lo + hi) / 2
		if phi(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// crossedWorld simulates test hits of a weak model, a student and a
// ceiling on the same rows under the same seeds: a row effect shared by
// the three models (difficulty), a seed effect per model, a row × seed
// effect per model (the student's correlated with the weak model's, as a
// student copies its supervisor), and the Bernoulli draw of each hit. The
// population accuracies, which intervals must cover, are known exactly.
type crossedWorld struct {
	acc                            [3]float64 // weak, student, ceiling
	sdRow, sdSeed, sdCell, imitate float64
}

func (w crossedWorld) scale() float64 {
	return math.Sqrt(1 + w.sdRow*w.sdRow + w.sdSeed*w.sdSeed + w.sdCell*w.sdCell)
}

func (w crossedWorld) draw(r *rand.Rand, n, k int) [3][][]float64 {
	var mu [3]float64
	for m := range mu {
		mu[m] = probit(w.acc[m]) * w.scale()
	}
	var out [3][][]float64
	for m := range out {
		out[m] = make([][]float64, k)
	}
	row := make([]float64, n)
	for i := range row {
		row[i] = w.sdRow * r.NormFloat64()
	}
	for s := range k {
		var seed [3]float64
		for m := range seed {
			seed[m] = w.sdSeed * r.NormFloat64()
			out[m][s] = make([]float64, n)
		}
		for i := range n {
			ew := r.NormFloat64()
			cells := [3]float64{ew, w.imitate*ew + math.Sqrt(1-w.imitate*w.imitate)*r.NormFloat64(), r.NormFloat64()}
			for m := range 3 {
				if r.Float64() < phi(mu[m]+row[i]+seed[m]+w.sdCell*cells[m]) {
					out[m][s][i] = 1
				}
			}
		}
	}
	return out
}

// TestCrossedIntervalsCover: on simulated crossed data the 95% intervals
// of an accuracy, a paired difference and PGR (Fieller) cover the true
// values 93–97% of the time, at 5 and at 10 seeds.
func TestCrossedIntervalsCover(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	world := crossedWorld{acc: [3]float64{0.66, 0.70, 0.78}, sdRow: 0.8, sdSeed: 0.12, sdCell: 0.6, imitate: 0.6}
	truePGR := (world.acc[1] - world.acc[0]) / (world.acc[2] - world.acc[0])
	const reps, rows = 1500, 600
	for _, k := range []int{5, 10} {
		r := rand.New(rand.NewPCG(uint64(k), 77))
		var accIn, diffIn, pgrIn, pgrN int
		for range reps {
			v := world.draw(r, rows, k)
			d, err := NewDesign(v[0], v[1], v[2])
			if err != nil {
				t.Fatal(err)
			}
			if iv := d.Linear([]float64{0, 1, 0}, 0.95); float64(iv.Low) <= world.acc[1] && world.acc[1] <= float64(iv.High) {
				accIn++
			}
			diff := world.acc[1] - world.acc[0]
			if iv := d.Linear([]float64{-1, 1, 0}, 0.95); float64(iv.Low) <= diff && diff <= float64(iv.High) {
				diffIn++
			}
			if iv, ok := d.Ratio([]float64{-1, 1, 0}, []float64{-1, 0, 1}, 0.95); ok {
				pgrN++
				if float64(iv.Low) <= truePGR && truePGR <= float64(iv.High) {
					pgrIn++
				}
			}
		}
		cover := func(name string, in, n int) {
			c := float64(in) / float64(n)
			t.Logf("%d seeds, %d rows: %s intervals cover %.3f of %d", k, rows, name, c, n)
			if c < 0.93 || c > 0.97 {
				t.Errorf("%d seeds: 95%% intervals of the %s cover %.3f, want 0.93-0.97", k, name, c)
			}
		}
		cover("accuracy", accIn, reps)
		cover("paired difference", diffIn, reps)
		cover("PGR", pgrIn, pgrN)
		if pgrN < reps*97/100 { // the gap clears its t quantile in nearly every dataset
			t.Errorf("%d seeds: PGR bounded in only %d of %d datasets", k, pgrN, reps)
		}
	}
}

// TestDesignByHand checks the estimator on a table small enough to work
// out: 3 rows × 2 seeds.
func TestDesignByHand(t *testing.T) {
	y := [][]float64{{1, 0, 1}, {1, 1, 0}}
	d, err := NewDesign(y)
	if err != nil {
		t.Fatal(err)
	}
	// Grand mean 4/6. Row means 1, .5, .5; seed means 2/3, 2/3.
	// MS_row = 2·((1/3)² + 2·(1/6)²)/2 = 1/6; MS_seed = 0;
	// residuals y − row mean (seed means equal the grand mean): 0, ∓½, ±½
	// under each seed, SS_int = 1 over (3−1)(2−1) = 2 degrees: MS_int = ½.
	ms := d.meanSquares([]float64{1})
	want := [3]float64{1.0 / 6, 0, 0.5}
	for e := range ms {
		if math.Abs(ms[e]-want[e]) > 1e-12 {
			t.Errorf("mean square %d = %g, want %g", e, ms[e], want[e])
		}
	}
	// Both components below the interaction: Var = MS_int/(nK).
	v, _ := d.variance([]float64{1})
	if math.Abs(v-0.5/6) > 1e-12 {
		t.Errorf("variance %g, want %g", v, 0.5/6)
	}
	one, _ := NewDesign([][]float64{{1, 0, 1}})
	if iv := one.Linear([]float64{1}, 0.95); iv.Low.Defined() || iv.N != 1 {
		t.Errorf("one seed gave an interval: %+v", iv)
	}
	if _, err := NewDesign(y, [][]float64{{1, 0}, {1, 1}}); err == nil {
		t.Error("variables of different shapes accepted")
	}
}

package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Every model of an experiment is scored on the same test rows under every
// seed: rows and seeds are crossed. A mean over both (an accuracy, a
// paired difference, an agreement) varies with the rows drawn, with the
// seeds drawn, and with their interaction. Design estimates that variance
// with the two-way random-effects analysis of variance (one value per row
// and seed, so the interaction is confounded with the residual):
//
//	Var(mean) = σ²_row/n + σ²_seed/K + σ²_row×seed/(nK)
//	          ≈ (MS_row + MS_seed − MS_row×seed) / (nK),
//
// each variance component estimated from the mean squares and kept at or
// above zero, with Satterthwaite's degrees of freedom for a t quantile.
// Several variables measured on the same cells (the weak model's, the
// student's and the ceiling's hits) have mean cross-products as well, so
// any linear combination of their means gets its variance the same way;
// ratios (PGR, agreement on the supervisor's errors) get Fieller's
// interval, and smooth functions the delta method, both on the same
// components. Resampling rows and seeds independently, as this package
// once did, counts the interaction 2.4–2.6 times at 5 seeds; resampling
// seeds alone ignores the rows.

// Design is several variables, each measured on the same n rows under the
// same K seeds: Var(j)[k][i] is variable j on row i under seed k.
type Design struct {
	n, k  int
	means []float64
	// Mean cross-products of every pair of variables, for rows, seeds and
	// their interaction: mcp[r][a][b].
	mcp [3][][]float64
}

// Components of a Design's mean squares.
const (
	rowEffect = iota
	seedEffect
	interaction
)

// NewDesign prepares the variables (each [seeds][rows], all of the same
// shape) for intervals. It needs at least one seed and one row; intervals
// need two of each.
func NewDesign(vars ...[][]float64) (*Design, error) {
	if len(vars) == 0 || len(vars[0]) == 0 || len(vars[0][0]) == 0 {
		return nil, fmt.Errorf("crossed design: no values")
	}
	k, n := len(vars[0]), len(vars[0][0])
	for j, v := range vars {
		if len(v) != k {
			return nil, fmt.Errorf("crossed design: variable %d has %d seeds, variable 0 has %d", j, len(v), k)
		}
		for s, row := range v {
			if len(row) != n {
				return nil, fmt.Errorf("crossed design: variable %d, seed %d has %d rows, want %d", j, s, len(row), n)
			}
		}
	}
	m := len(vars)
	d := &Design{n: n, k: k, means: make([]float64, m)}
	rowMeans := make([][]float64, m)  // [var][row]
	seedMeans := make([][]float64, m) // [var][seed]
	for j, v := range vars {
		rowMeans[j], seedMeans[j] = make([]float64, n), make([]float64, k)
		var total float64
		for s, row := range v {
			for i, x := range row {
				rowMeans[j][i] += x
				seedMeans[j][s] += x
			}
			total += seedMeans[j][s]
			seedMeans[j][s] /= float64(n)
		}
		for i := range rowMeans[j] {
			rowMeans[j][i] /= float64(k)
		}
		d.means[j] = total / float64(n*k)
	}
	for e := range d.mcp {
		d.mcp[e] = make([][]float64, m)
		for a := range m {
			d.mcp[e][a] = make([]float64, m)
		}
	}
	for a := range m {
		for b := a; b < m; b++ {
			var r, s, in float64
			for i := range n {
				r += (rowMeans[a][i] - d.means[a]) * (rowMeans[b][i] - d.means[b])
			}
			for t := range k {
				s += (seedMeans[a][t] - d.means[a]) * (seedMeans[b][t] - d.means[b])
			}
			for t := range k {
				va, vb := vars[a][t], vars[b][t]
				for i := range n {
					ea := va[i] - rowMeans[a][i] - seedMeans[a][t] + d.means[a]
					eb := vb[i] - rowMeans[b][i] - seedMeans[b][t] + d.means[b]
					in += ea * eb
				}
			}
			vals := [3]float64{nan(), nan(), nan()}
			if n > 1 {
				vals[rowEffect] = float64(k) * r / float64(n-1)
			}
			if k > 1 {
				vals[seedEffect] = float64(n) * s / float64(k-1)
			}
			if n > 1 && k > 1 {
				vals[interaction] = in / float64((n-1)*(k-1))
			}
			for e := range d.mcp {
				d.mcp[e][a][b], d.mcp[e][b][a] = vals[e], vals[e]
			}
		}
	}
	return d, nil
}

func nan() float64 { return math.NaN() }

// Rows and Seeds are the design's size.
func (d *Design) Rows() int  { return d.n }
func (d *Design) Seeds() int { return d.k }

// Means are the grand means of the variables.
func (d *Design) Means() []float64 { return append([]float64(nil), d.means...) }

// meanSquares of the combination Σ w_j·variable_j.
func (d *Design) meanSquares(w []float64) [3]float64 {
	var out [3]float64
	for e := range out {
		for a, wa := range w {
			for b, wb := range w {
				if wa != 0 && wb != 0 {
					out[e] += wa * wb * d.mcp[e][a][b]
				}
			}
		}
	}
	return out
}

// variance of the grand mean of Σ w_j·variable_j, with its Satterthwaite
// degrees of freedom; NaN for fewer than two rows or seeds.
func (d *Design) variance(w []float64) (v, df float64) {
	if d.n < 2 || d.k < 2 {
		return nan(), nan()
	}
	ms := d.meanSquares(w)
	nk := float64(d.n * d.k)
	// Var = Σ coef_e·MS_e / nK: the interaction always counts once; the
	// row and seed components add (MS − MS_interaction) when positive.
	coef := [3]float64{0, 0, 1}
	if ms[rowEffect] > ms[interaction] {
		coef[rowEffect]++
		coef[interaction]--
	}
	if ms[seedEffect] > ms[interaction] {
		coef[seedEffect]++
		coef[interaction]--
	}
	dfs := [3]float64{float64(d.n - 1), float64(d.k - 1), float64((d.n - 1) * (d.k - 1))}
	var num, den float64
	for e := range ms {
		term := coef[e] * ms[e]
		num += term
		den += term * term / dfs[e]
	}
	v = num / nk
	if v <= 0 || den <= 0 {
		return math.Max(v, 0), math.Inf(1)
	}
	return v, num * num / den
}

// Cov is the covariance of the grand means of Σ w1_j·variable_j and
// Σ w2_j·variable_j (the cross-product analogue of variance, kept within
// the Cauchy–Schwarz bound of the two variances); NaN for fewer than two
// rows or seeds.
func (d *Design) Cov(w1, w2 []float64) float64 {
	v1, _ := d.variance(w1)
	v2, _ := d.variance(w2)
	if math.IsNaN(v1) || math.IsNaN(v2) {
		return nan()
	}
	var c float64
	for e, sign := range [3]float64{1, 1, -1} {
		for a, wa := range w1 {
			for b, wb := range w2 {
				if wa != 0 && wb != 0 {
					c += sign * wa * wb * d.mcp[e][a][b]
				}
			}
		}
	}
	c /= float64(d.n * d.k)
	bound := math.Sqrt(v1 * v2)
	return math.Max(-bound, math.Min(bound, c))
}

// tQuantile is the two-sided level quantile of Student's t with df
// degrees of freedom (the normal's for infinite df).
func tQuantile(level, df float64) float64 {
	q := 1 - (1-level)/2
	if math.IsInf(df, 1) || df > 1e6 {
		return distuv.UnitNormal.Quantile(q)
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: math.Max(df, 1)}.Quantile(q)
}

// Linear is the mean of Σ w_j·variable_j with its level interval
// (estimate ± t·SE) and standard error: an accuracy (w = [1]), a paired
// difference (w = [1, −1]), a gap. Fewer than two seeds give no interval.
func (d *Design) Linear(w []float64, level float64) Interval {
	est := 0.0
	for j, x := range w {
		est += x * d.means[j]
	}
	iv := Interval{Estimate: Float(est), Low: NaN(), High: NaN(), SE: NaN(), N: d.k}
	v, df := d.variance(w)
	if math.IsNaN(v) {
		return iv
	}
	se := math.Sqrt(v)
	h := tQuantile(level, df) * se
	iv.Low, iv.High, iv.SE, iv.DF = Float(est-h), Float(est+h), Float(se), Float(df)
	return iv
}

// Delta is f of the variables' means with a delta-method interval: the
// variance of the linear combination with f's gradient at the means as
// weights (a smooth function of several means: a difference of ratios).
func (d *Design) Delta(f func(means []float64) float64, level float64) Interval {
	est := f(d.means)
	w := make([]float64, len(d.means))
	for j := range w {
		h := 1e-6 * math.Max(1, math.Abs(d.means[j]))
		up, down := d.Means(), d.Means()
		up[j] += h
		down[j] -= h
		w[j] = (f(up) - f(down)) / (2 * h)
	}
	iv := d.Linear(w, level)
	iv.Estimate = Float(est)
	if iv.SE.Defined() {
		h := float64(iv.High-iv.Low) / 2
		iv.Low, iv.High = Float(est-h), Float(est+h)
	}
	if math.IsNaN(est) {
		iv.Low, iv.High = NaN(), NaN()
	}
	return iv
}

// Ratio is (Σ num_j·mean_j) / (Σ den_j·mean_j) with Fieller's level
// interval: the values ρ for which the mean of num − ρ·den is within t
// standard errors of zero. bounded is false when the denominator is not
// clearly away from zero (its own interval reaches zero): the set of
// such ρ is then unbounded and the ratio's interval undefined. SE is the
// delta method's, for display.
func (d *Design) Ratio(num, den []float64, level float64) (iv Interval, bounded bool) {
	dot := func(w []float64) float64 {
		s := 0.0
		for j, x := range w {
			s += x * d.means[j]
		}
		return s
	}
	a, b := dot(num), dot(den)
	iv = Interval{Estimate: Float(a / b), Low: NaN(), High: NaN(), SE: NaN(), N: d.k}
	if b == 0 {
		iv.Estimate = NaN()
	}
	if d.n < 2 || d.k < 2 || b == 0 {
		return iv, false
	}
	rho := a / b
	combo := func(r float64) []float64 {
		w := make([]float64, len(num))
		for j := range w {
			w[j] = num[j] - r*den[j]
		}
		return w
	}
	v0, df := d.variance(combo(rho))
	t := tQuantile(level, df)
	iv.SE, iv.DF = Float(math.Sqrt(v0)/math.Abs(b)), Float(df)
	vb, _ := d.variance(den)
	if b*b <= t*t*vb {
		return iv, false
	}
	// f(r) ≤ 0 inside the interval; f grows like r²(b² − t²·Var(den)) far
	// away, so each side has a root.
	f := func(r float64) float64 {
		v, _ := d.variance(combo(r))
		return (a-r*b)*(a-r*b) - t*t*v
	}
	root := func(dir float64) float64 {
		step := math.Max(1e-3, 1e-3*math.Abs(rho))
		inside, outside := rho, rho+dir*step
		for f(outside) <= 0 {
			inside, step = outside, 2*step
			outside = rho + dir*step
			if step > 1e12 {
				return dir * math.Inf(1)
			}
		}
		for range 100 {
			mid := (inside + outside) / 2
			if f(mid) <= 0 {
				inside = mid
			} else {
				outside = mid
			}
		}
		return (inside + outside) / 2
	}
	iv.Low, iv.High = Float(root(-1)), Float(root(1))
	return iv, true
}

// HitsMatrix turns per-seed hits into a design variable: 1 where right.
func HitsMatrix(seeds []Hits) [][]float64 {
	out := make([][]float64, len(seeds))
	for k, h := range seeds {
		out[k] = make([]float64, len(h))
		for i, ok := range h {
			if ok {
				out[k][i] = 1
			}
		}
	}
	return out
}

// SeedMean is the mean of one value per seed, each from its own rows (a
// nested design: the rows differ by seed, so each seed's value carries its
// rows' noise), with a t interval on K − 1 degrees of freedom. Fewer than
// two seeds give no interval.
func SeedMean(xs []float64, level float64) Interval {
	iv := Interval{Estimate: Float(Mean(xs)), Low: NaN(), High: NaN(), SE: NaN(), N: len(xs)}
	if len(xs) < MinSeeds {
		return iv
	}
	m := Mean(xs)
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	se := math.Sqrt(v / float64(len(xs)-1) / float64(len(xs)))
	df := float64(len(xs) - 1)
	h := tQuantile(level, df) * se
	iv.Low, iv.High, iv.SE, iv.DF = Float(m-h), Float(m+h), Float(se), Float(df)
	return iv
}

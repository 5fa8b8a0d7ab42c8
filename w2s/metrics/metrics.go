// Package metrics computes what weak-to-strong experiments report:
// accuracy and AUROC, performance gap recovered (PGR) with its undefined
// case reported rather than divided, medians, confidence intervals over the
// crossed test rows × seeds design (Design), and the agreement between a
// student and its supervisor, overall and split by whether the supervisor
// was right.
package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Argmax of each row of probabilities.
func Argmax(probs [][]float64) []int {
	out := make([]int, len(probs))
	for i, row := range probs {
		best := 0
		for c, p := range row {
			if p > row[best] {
				best = c
			}
		}
		out[i] = best
	}
	return out
}

// Accuracy is the fraction of predictions equal to the labels.
func Accuracy(pred, labels []int) float64 {
	if len(pred) == 0 {
		return math.NaN()
	}
	n := 0
	for i := range pred {
		if pred[i] == labels[i] {
			n++
		}
	}
	return float64(n) / float64(len(pred))
}

// AUROC is the area under the ROC curve of scores for the positive class
// (labels 1), with ties counted half: the probability that a random
// positive scores above a random negative. NaN when a class is absent.
func AUROC(scores []float64, labels []int) float64 {
	type pt struct {
		s   float64
		pos bool
	}
	pts := make([]pt, len(scores))
	var nPos, nNeg float64
	for i, s := range scores {
		pts[i] = pt{s, labels[i] == 1}
		if pts[i].pos {
			nPos++
		} else {
			nNeg++
		}
	}
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].s < pts[j].s })
	// Sum of positive ranks (1-based, average rank for ties).
	var rankSum float64
	for i := 0; i < len(pts); {
		j := i
		for j < len(pts) && pts[j].s == pts[i].s {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1 … j
		for k := i; k < j; k++ {
			if pts[k].pos {
				rankSum += avg
			}
		}
		i = j
	}
	return (rankSum - nPos*(nPos+1)/2) / (nPos * nNeg)
}

// PGR is a performance gap recovered.
type PGR struct {
	Value   Float `json:"value"`   // (student − weak) / (ceiling − weak); NaN when undefined
	Defined bool  `json:"defined"` // false when ceiling ≤ weak: there is no gap to recover
	Gap     Float `json:"gap"`     // ceiling − weak
}

// ComputePGR returns the PGR of a student, undefined when the ceiling does
// not beat the weak model.
func ComputePGR(weak, student, ceiling float64) PGR {
	gap := ceiling - weak
	if !(gap > 0) {
		return PGR{Value: NaN(), Gap: Float(gap)}
	}
	return PGR{Value: Float((student - weak) / gap), Defined: true, Gap: Float(gap)}
}

func (p PGR) String() string {
	if !p.Defined {
		return fmt.Sprintf("undefined (gap %+.3f)", float64(p.Gap))
	}
	return fmt.Sprintf("%.3f", p.Value)
}

// Median of the non-NaN values (NaN if none).
func Median(xs []float64) float64 {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Mean of the non-NaN values.
func Mean(xs []float64) float64 {
	var s float64
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

// Interval is a point estimate with a confidence interval.
type Interval struct {
	Estimate Float `json:"estimate"`
	Low      Float `json:"low"`
	High     Float `json:"high"`
	N        int   `json:"n"` // values it rests on (seeds)
	// SE is the estimate's standard error and DF the degrees of freedom
	// of its t quantile, for intervals of a crossed design (Design);
	// absent otherwise.
	SE Float `json:"se,omitempty"`
	DF Float `json:"df,omitempty"`
}

func (i Interval) String() string {
	if i.N == 0 || !i.Estimate.Defined() {
		return "n/a"
	}
	if i.N == 1 {
		return fmt.Sprintf("%.3f (1 seed)", i.Estimate)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", i.Estimate, i.Low, i.High)
}

// Bracket is "[low, high]", or "[n/a]" without an interval.
func (i Interval) Bracket() string {
	if !i.Low.Defined() || !i.High.Defined() {
		return "[n/a]"
	}
	return fmt.Sprintf("[%.3f, %.3f]", i.Low, i.High)
}

// quantile of sorted values, linearly interpolated.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

// Agreement between a student's and its supervisor's predictions.
type Agreement struct {
	All Float `json:"all"` // fraction of inputs where they predict the same class
	// On inputs where the supervisor is right, and where it is wrong (NaN
	// when there are none).
	SupervisorRight Float `json:"supervisor_right"`
	SupervisorWrong Float `json:"supervisor_wrong"`
	NRight          int   `json:"n_right"`
	NWrong          int   `json:"n_wrong"`
}

// ComputeAgreement compares student and supervisor predictions against gold.
func ComputeAgreement(student, supervisor, gold []int) Agreement {
	var same, sameR, sameW, nR, nW int
	for i := range student {
		agree := student[i] == supervisor[i]
		if agree {
			same++
		}
		if supervisor[i] == gold[i] {
			nR++
			if agree {
				sameR++
			}
		} else {
			nW++
			if agree {
				sameW++
			}
		}
	}
	frac := func(a, n int) Float {
		if n == 0 {
			return NaN()
		}
		return Float(a) / Float(n)
	}
	return Agreement{All: frac(same, len(student)), SupervisorRight: frac(sameR, nR), SupervisorWrong: frac(sameW, nW), NRight: nR, NWrong: nW}
}

// ECEBins is the number of equal-width confidence bins of ECE.
const ECEBins = 10

// ECE is the expected calibration error of class probabilities against
// gold labels: predictions are binned by their confidence (the largest
// probability) into ECEBins equal bins, and ECE is the mean over rows of
// |accuracy − mean confidence| of their bin. 0 is perfectly calibrated;
// NaN for no rows.
func ECE(probs [][]float64, gold []int) float64 {
	if len(probs) == 0 {
		return math.NaN()
	}
	var n, right [ECEBins]int
	var conf [ECEBins]float64
	for i, p := range probs {
		c, best := 0, 0.0
		for k, x := range p {
			if x > best {
				c, best = k, x
			}
		}
		b := min(ECEBins-1, int(best*ECEBins))
		n[b]++
		conf[b] += best
		if c == gold[i] {
			right[b]++
		}
	}
	var e float64
	for b := range n {
		if n[b] > 0 {
			e += math.Abs(float64(right[b])-conf[b]) / float64(len(probs))
		}
	}
	return e
}

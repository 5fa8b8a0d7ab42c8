package losses

import (
	"fmt"
	"math"
)

// Validation is a loss's own value on a held-out set: the criterion of
// honest early stopping, computed from the student's probabilities probs
// and the weak labels weak of the weak-labelled validation slice (rows of
// class probabilities). It is the training objective at the end of
// training, over the whole set at once: cross-entropy against the weak
// labels for xent; against their argmax for hard_xent; for logconf,
// (1 − α)·CE(p, y) + α·CE(p, ĥ) with α at its maximum and ĥ the
// predictions hardened to the weak labels' class balance over the set, so
// the disagreement with weak labels that logconf asks for is not counted
// against it; for product, CE against normalise(p^β ⊙ y^α).
func Validation(spec Spec, probs, weak [][]float64) (float64, error) {
	if len(probs) == 0 || len(probs) != len(weak) {
		return math.NaN(), fmt.Errorf("losses: %d predictions for %d weak labels", len(probs), len(weak))
	}
	l, err := New(string(spec))
	if err != nil {
		return math.NaN(), err
	}
	C := len(probs[0])
	target := func(i int) []float64 { return weak[i] }
	switch l := l.(type) {
	case HardXEnt:
		target = func(i int) []float64 { return oneHot(argmax(weak[i]), C) }
	case Product:
		target = func(i int) []float64 {
			t := make([]float64, C)
			var sum float64
			for c := range C {
				t[c] = math.Exp(l.Beta*math.Log(math.Max(probs[i][c], 1e-12)) + l.Alpha*math.Log(math.Max(weak[i][c], 1e-12)))
				sum += t[c]
			}
			for c := range t {
				t[c] /= sum
			}
			return t
		}
	case *LogConf:
		hard := harden(probs, weak)
		a := l.AlphaMax
		target = func(i int) []float64 {
			t := make([]float64, C)
			for c := range C {
				t[c] = (1-a)*weak[i][c] + a*hard[i][c]
			}
			return t
		}
	}
	var sum float64
	for i, p := range probs {
		for c, y := range target(i) {
			sum -= y * math.Log(math.Max(p[c], 1e-12))
		}
	}
	return sum / float64(len(probs)), nil
}

// harden turns predictions into one-hot labels whose class balance follows
// the weak labels (LogConf's rule over a whole set): for two classes the
// round(n·mean w₀) examples with the highest p₀ become class 0; with more,
// the argmax after the prior adjustment log p − log mean(p) + log mean(y).
func harden(probs, weak [][]float64) [][]float64 {
	n, C := len(probs), len(probs[0])
	meanY, meanP := make([]float64, C), make([]float64, C)
	for i := range probs {
		for c := range C {
			meanY[c] += weak[i][c] / float64(n)
			meanP[c] += probs[i][c] / float64(n)
		}
	}
	out := make([][]float64, n)
	if C == 2 {
		// As LogConf.Build: an example's rank by p₀ counts those above it
		// and half its ties; the k0 = round(n·mean w₀) first become class 0.
		k0 := math.Round(meanY[0] * float64(n))
		for i, p := range probs {
			var above, ties float64
			for _, q := range probs {
				switch {
				case q[0] > p[0]:
					above++
				case q[0] == p[0]:
					ties++
				}
			}
			if above+(ties-1)/2 < k0 {
				out[i] = []float64{1, 0}
			} else {
				out[i] = []float64{0, 1}
			}
		}
		return out
	}
	for i, p := range probs {
		best, bestScore := 0, math.Inf(-1)
		for c := range C {
			s := math.Log(math.Max(p[c], 1e-12)) - math.Log(math.Max(meanP[c], 1e-12)) + math.Log(math.Max(meanY[c], 1e-12))
			if s > bestScore {
				best, bestScore = c, s
			}
		}
		out[i] = oneHot(best, C)
	}
	return out
}

func argmax(p []float64) int {
	best := 0
	for c := range p {
		if p[c] > p[best] {
			best = c
		}
	}
	return best
}

func oneHot(c, n int) []float64 {
	out := make([]float64, n)
	out[c] = 1
	return out
}

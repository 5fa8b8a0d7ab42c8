package bow

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// reviews makes texts whose label shows only through a few words among noise.
func reviews(n int, seed uint64) ([]string, []int) {
	r := rand.New(rand.NewPCG(seed, 3))
	pos := []string{"great", "wonderful", "moving", "fine"}
	neg := []string{"dull", "awful", "boring", "messy"}
	noise := strings.Fields("the a film movie story actor plot scene it is was and of with very")
	var texts []string
	var labels []int
	for range n {
		y := r.IntN(2)
		var words []string
		for range 8 {
			words = append(words, noise[r.IntN(len(noise))])
		}
		cue := pos
		if y == 0 {
			cue = neg
		}
		if r.Float64() < 0.9 { // 10% carry no cue
			words[r.IntN(len(words))] = cue[r.IntN(len(cue))]
		}
		texts = append(texts, strings.Join(words, " "))
		labels = append(labels, y)
	}
	return texts, labels
}

func accuracy(m *Model, texts []string, labels []int) float64 {
	right := 0
	for i, p := range m.Predict(texts) {
		best := 0
		for c := range p {
			if p[c] > p[best] {
				best = c
			}
		}
		if best == labels[i] {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}

func TestLearnsCueWords(t *testing.T) {
	train, ytrain := reviews(400, 1)
	test, ytest := reviews(400, 2)
	for _, bigrams := range []bool{false, true} {
		m, err := Train(train, ytrain, 2, Options{Bigrams: bigrams})
		if err != nil {
			t.Fatal(err)
		}
		acc := accuracy(m, test, ytest)
		t.Logf("bigrams %v: %d features, test accuracy %.3f", bigrams, m.Features(), acc)
		// 90% carry a cue (always right), 10% are a coin flip: about 0.95.
		if acc < 0.9 {
			t.Errorf("bigrams %v: accuracy %.3f, want ≥ 0.9", bigrams, acc)
		}
	}
}

func TestOptimumHasZeroGradient(t *testing.T) {
	texts, labels := reviews(100, 5)
	m, err := Train(texts, labels, 2, Options{C: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Re-evaluate the objective's gradient at the solution by differences.
	xs := make([]sparse, len(texts))
	for i, tx := range texts {
		xs[i] = m.features(tx)
	}
	dim := len(m.idf)
	obj := func(w []float64) float64 {
		p := make([]float64, 2)
		f := 0.0
		for n, x := range xs {
			scores(w, x, 2, dim, p)
			softmax(p)
			f -= 3 * math.Log(p[labels[n]])
		}
		for c := range 2 {
			for i := range dim {
				f += 0.5 * w[c*(dim+1)+i] * w[c*(dim+1)+i]
			}
		}
		return f
	}
	for _, i := range []int{0, 1, dim, dim + 1, 2*dim + 1} {
		w := append([]float64(nil), m.w...)
		h := 1e-5
		w[i] += h
		fp := obj(w)
		w[i] -= 2 * h
		fm := obj(w)
		if g := (fp - fm) / (2 * h); g > 1e-3 || g < -1e-3 {
			t.Errorf("gradient %.3g at weight %d: not a minimum", g, i)
		}
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		texts  []string
		labels []int
		want   string
	}{
		{nil, nil, "0 texts"},
		{[]string{"a b"}, []int{2}, "outside"},
		{[]string{"a b", "c d"}, []int{0}, "2 texts and 1 labels"},
	} {
		_, err := Train(c.texts, c.labels, 2, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v/%v: %v, want %q", c.texts, c.labels, err, c.want)
		}
	}
}

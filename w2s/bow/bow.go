// Package bow is the bag-of-words baseline a pretrained ladder must reach:
// TF-IDF features of word unigrams and bigrams with an L2-regularised
// multinomial logistic regression (the classic text classifier), trained on
// the same gold rows the models see. If frozen features of a language model
// cannot beat it, the model has learnt less about the task than word
// counts carry.
package bow

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"gonum.org/v1/gonum/optimize"
)

// Options of the baseline.
type Options struct {
	Bigrams bool    // add word bigrams to the unigrams
	C       float64 // inverse regularisation strength, as scikit-learn's LogisticRegression (default 1)
	MinDF   int     // drop terms in fewer training documents (default 1)
}

var wordRE = regexp.MustCompile(`\w\w+`)

// terms splits text as scikit-learn's default analyser does (lowercase,
// words of two or more word characters), plus bigrams when asked.
func terms(text string, bigrams bool) []string {
	words := wordRE.FindAllString(strings.ToLower(text), -1)
	out := words
	if bigrams {
		out = append([]string(nil), words...)
		for i := 1; i < len(words); i++ {
			out = append(out, words[i-1]+" "+words[i])
		}
	}
	return out
}

type sparse struct {
	idx []int
	val []float64
}

// Model is a trained TF-IDF logistic regression.
type Model struct {
	opt     Options
	vocab   map[string]int
	idf     []float64
	classes int
	w       []float64 // [classes][features+1], the last column the bias
}

// Train fits the baseline on texts with labels in [0, classes).
func Train(texts []string, labels []int, classes int, opt Options) (*Model, error) {
	if len(texts) == 0 || len(texts) != len(labels) {
		return nil, fmt.Errorf("bow: %d texts and %d labels", len(texts), len(labels))
	}
	if classes < 2 {
		return nil, errors.New("bow: need at least two classes")
	}
	for i, y := range labels {
		if y < 0 || y >= classes {
			return nil, fmt.Errorf("bow: label %d of row %d is outside [0, %d)", y, i, classes)
		}
	}
	if opt.C == 0 {
		opt.C = 1
	}
	if opt.MinDF == 0 {
		opt.MinDF = 1
	}
	m := &Model{opt: opt, vocab: map[string]int{}, classes: classes}
	df := map[string]int{}
	for _, t := range texts {
		seen := map[string]bool{}
		for _, term := range terms(t, opt.Bigrams) {
			if !seen[term] {
				seen[term] = true
				df[term]++
			}
		}
	}
	names := make([]string, 0, len(df))
	for term, n := range df {
		if n >= opt.MinDF {
			names = append(names, term)
		}
	}
	sort.Strings(names) // deterministic feature order
	n := float64(len(texts))
	m.idf = make([]float64, len(names))
	for i, term := range names {
		m.vocab[term] = i
		m.idf[i] = math.Log((1+n)/(1+float64(df[term]))) + 1 // smooth idf, as scikit-learn
	}
	xs := make([]sparse, len(texts))
	for i, t := range texts {
		xs[i] = m.features(t)
	}
	m.w = fit(xs, labels, classes, len(names), opt.C)
	return m, nil
}

// features is the L2-normalised TF-IDF vector of text.
func (m *Model) features(text string) sparse {
	tf := map[int]float64{}
	for _, term := range terms(text, m.opt.Bigrams) {
		if i, ok := m.vocab[term]; ok {
			tf[i]++
		}
	}
	var x sparse
	norm := 0.0
	for i, c := range tf {
		v := c * m.idf[i]
		x.idx = append(x.idx, i)
		x.val = append(x.val, v)
		norm += v * v
	}
	if norm > 0 {
		norm = math.Sqrt(norm)
		for k := range x.val {
			x.val[k] /= norm
		}
	}
	return x
}

// scores are the class logits of x under weights w.
func scores(w []float64, x sparse, classes, dim int, out []float64) {
	for c := range classes {
		row := w[c*(dim+1) : (c+1)*(dim+1)]
		s := row[dim]
		for k, i := range x.idx {
			s += row[i] * x.val[k]
		}
		out[c] = s
	}
}

func softmax(s []float64) {
	mx := math.Inf(-1)
	for _, v := range s {
		mx = math.Max(mx, v)
	}
	sum := 0.0
	for i, v := range s {
		s[i] = math.Exp(v - mx)
		sum += s[i]
	}
	for i := range s {
		s[i] /= sum
	}
}

// fit minimises C·Σ cross-entropy + ½‖W‖² (biases unregularised), the
// objective of scikit-learn's multinomial LogisticRegression, with L-BFGS.
func fit(xs []sparse, labels []int, classes, dim int, C float64) []float64 {
	stride := dim + 1
	p := make([]float64, classes)
	loss := func(w, grad []float64) float64 {
		if grad != nil {
			clear(grad)
		}
		f := 0.0
		for n, x := range xs {
			scores(w, x, classes, dim, p)
			softmax(p)
			f -= C * math.Log(math.Max(p[labels[n]], 1e-300))
			if grad == nil {
				continue
			}
			for c := range classes {
				g := C * p[c]
				if c == labels[n] {
					g -= C
				}
				row := grad[c*stride : (c+1)*stride]
				row[dim] += g
				for k, i := range x.idx {
					row[i] += g * x.val[k]
				}
			}
		}
		for c := range classes {
			for i := range dim {
				v := w[c*stride+i]
				f += 0.5 * v * v
				if grad != nil {
					grad[c*stride+i] += v
				}
			}
		}
		return f
	}
	prob := optimize.Problem{
		Func: func(w []float64) float64 { return loss(w, nil) },
		Grad: func(grad, w []float64) { loss(w, grad) },
	}
	w0 := make([]float64, classes*stride)
	res, err := optimize.Minimize(prob, w0, &optimize.Settings{GradientThreshold: 1e-6, MajorIterations: 1000}, &optimize.LBFGS{})
	if err != nil && res == nil {
		return w0
	}
	return res.X
}

// Predict returns each text's class probabilities.
func (m *Model) Predict(texts []string) [][]float64 {
	dim := len(m.idf)
	out := make([][]float64, len(texts))
	for i, t := range texts {
		p := make([]float64, m.classes)
		scores(m.w, m.features(t), m.classes, dim, p)
		softmax(p)
		out[i] = p
	}
	return out
}

// Features is the number of terms the model kept.
func (m *Model) Features() int { return len(m.idf) }

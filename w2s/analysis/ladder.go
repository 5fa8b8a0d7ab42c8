package analysis

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"github.com/w2s-lab/w2s/w2s/bow"
	"github.com/w2s-lab/w2s/w2s/ladder"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// Spread is a statistic over seeds: its mean, and the lowest and highest
// seed.
type Spread struct {
	Mean, Min, Max float64
	N              int
}

// SpreadOf summarises xs.
func SpreadOf(xs []float64) Spread {
	s := Spread{Min: math.Inf(1), Max: math.Inf(-1), N: len(xs)}
	if len(xs) == 0 {
		return Spread{Mean: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	for _, x := range xs {
		s.Mean += x / float64(len(xs))
		s.Min, s.Max = math.Min(s.Min, x), math.Max(s.Max, x)
	}
	return s
}

// String is "0.712 [0.701, 0.720]".
func (s Spread) String() string {
	if s.N == 0 {
		return "–"
	}
	if s.N == 1 {
		return fmt.Sprintf("%.3f", s.Mean)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", s.Mean, s.Min, s.Max)
}

// LadderRung is one size of a ladder as a probe sees it.
type LadderRung struct {
	Model              string
	NonEmbeddingParams int
	Tokens             int
	ValidLoss, BPB     float64
	Probe              map[string]Spread // by pooling ("last", "mean"): test accuracy over seeds
}

// LadderReport is what `w2s zoo probe` shows: each size's validation loss
// beside the n-gram baselines, and linear-probe accuracy on frozen features
// over split seeds beside a TF-IDF logistic regression on the same rows.
type LadderReport struct {
	Scale, Task     string
	Seeds           []uint64
	TrainRows       int // gold rows each probe (and the baseline) trains on
	TestRows        int
	Baselines       *zoo.Baselines
	Rungs           []LadderRung
	TFIDF           Spread // TF-IDF (word unigrams and bigrams) logistic regression on the same rows
	Pools           []string
	MonotoneBy      map[string]bool // pooling → probe means rise with size
	TopBeatsTFIDF   map[string]bool // pooling → the largest model's mean probe ≥ the TF-IDF mean
	BeatsNGrams     []bool          // per rung: below both the bigram and the Kneser–Ney trigram loss
	TrainRowsPerSet string
}

// ProbeLadder measures a built ladder: linear probes (frozen features,
// logistic regression on gold half B) with each pooling, on the task's test
// set, for every split seed, and the TF-IDF baseline on the same rows.
// newRunner makes the runner of one seed (its budget decides the rows).
// baselines (may be nil) are the ladder's n-gram baselines.
func ProbeLadder(ctx context.Context, scale, task string, seeds []uint64, pools []string, baselines *zoo.Baselines, newRunner func(seed uint64) (*stage.Runner, error)) (*LadderReport, error) {
	s, err := zoo.GetScale(scale)
	if err != nil {
		return nil, err
	}
	entries, err := zoo.List(ctx, s.Name, "")
	if err != nil {
		return nil, err
	}
	rep := &LadderReport{Scale: s.Name, Task: task, Seeds: seeds, Pools: pools, Baselines: baselines,
		MonotoneBy: map[string]bool{}, TopBeatsTFIDF: map[string]bool{}}
	for _, e := range entries {
		if e.Record == nil {
			return nil, fmt.Errorf("%s is not built (w2s zoo build --scale %s)", zoo.Name(s.Name, e.Size.Name), s.Name)
		}
		rep.Rungs = append(rep.Rungs, LadderRung{Model: zoo.Name(s.Name, e.Size.Name), NonEmbeddingParams: e.Record.NonEmbeddingParams,
			Tokens: e.Record.Tokens, ValidLoss: e.Record.ValidLoss, BPB: e.Record.ValidBitsPerByte, Probe: map[string]Spread{}})
	}
	var tfidf []float64
	probes := map[string][][]float64{} // pool → rung → seed accuracies
	for _, seed := range seeds {
		r, err := newRunner(seed)
		if err != nil {
			return nil, err
		}
		sp, err := r.Splits(ctx)
		if err != nil {
			return nil, err
		}
		rep.TrainRows, rep.TestRows = len(sp.B), len(sp.Test)
		acc, err := tfidfAccuracy(sp.B, sp.Test, r.TaskInfo().NumClasses())
		if err != nil {
			return nil, err
		}
		tfidf = append(tfidf, acc)
		for _, pool := range pools {
			r.Budget.Probe, r.Budget.Pool = true, pool
			if probes[pool] == nil {
				probes[pool] = make([][]float64, len(rep.Rungs))
			}
			for i, rung := range rep.Rungs {
				t, err := r.TrainCeiling(ctx, rung.Model)
				if err != nil {
					return nil, err
				}
				h, err := testHits(ctx, r, t)
				if err != nil {
					return nil, err
				}
				probes[pool][i] = append(probes[pool][i], h.Accuracy())
			}
		}
	}
	rep.TFIDF = SpreadOf(tfidf)
	for _, pool := range pools {
		mono := true
		for i := range rep.Rungs {
			rep.Rungs[i].Probe[pool] = SpreadOf(probes[pool][i])
			if i > 0 && rep.Rungs[i].Probe[pool].Mean <= rep.Rungs[i-1].Probe[pool].Mean {
				mono = false
			}
		}
		rep.MonotoneBy[pool] = mono
		if n := len(rep.Rungs); n > 0 {
			rep.TopBeatsTFIDF[pool] = rep.Rungs[n-1].Probe[pool].Mean >= rep.TFIDF.Mean
		}
	}
	if rep.Baselines != nil {
		bi, kn := rep.Baselines.Loss("bigram"), rep.Baselines.Loss("kneser-ney trigram")
		for _, rung := range rep.Rungs {
			rep.BeatsNGrams = append(rep.BeatsNGrams, rung.ValidLoss < bi && rung.ValidLoss < kn)
		}
	}
	return rep, nil
}

// ProbeBuiltLadder is ProbeLadder on the ladder of the session's scale
// where zoo.List finds it, beside the ladder's n-gram baselines (read from
// its folder, or computed and stored), with the session's runners.
func ProbeBuiltLadder(ctx context.Context, sess *stage.Session, task string, seeds []uint64, pools []string) (*LadderReport, error) {
	s, err := zoo.GetScale(sess.Scale())
	if err != nil {
		return nil, err
	}
	entries, err := zoo.List(ctx, s.Name, "")
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 || entries[0].Dir == "" {
		return nil, fmt.Errorf("the %s ladder is not built (w2s zoo build --scale %s)", s.Name, s.Name)
	}
	bl, err := ladder.LadderBaselines(ctx, s, filepath.Dir(entries[0].Dir), tasks.LoadOptions{})
	if err != nil {
		return nil, err
	}
	return ProbeLadder(ctx, s.Name, task, seeds, pools, bl, func(seed uint64) (*stage.Runner, error) { return sess.Runner(task, seed) })
}

// tfidfAccuracy trains the TF-IDF baseline on train's texts and gold labels
// and returns its test accuracy.
func tfidfAccuracy(train, test []tasks.Example, classes int) (float64, error) {
	texts, labels := make([]string, len(train)), make([]int, len(train))
	for i, e := range train {
		texts[i], labels[i] = e.Text, e.Label
	}
	m, err := bow.Train(texts, labels, classes, bow.Options{Bigrams: true})
	if err != nil {
		return 0, err
	}
	testTexts, gold := make([]string, len(test)), make([]int, len(test))
	for i, e := range test {
		testTexts[i], gold[i] = e.Text, e.Label
	}
	return metrics.Accuracy(metrics.Argmax(m.Predict(testTexts)), gold), nil
}

// Table is the ladder's report: validation loss beside the n-gram
// baselines, probes beside the TF-IDF baseline.
func (rep *LadderReport) Table() *table.Table {
	t := &table.Table{Header: []string{"model", "non-emb params", "tokens", "valid loss", "bits/byte", "beats n-grams"}}
	for _, p := range rep.Pools {
		t.Header = append(t.Header, fmt.Sprintf("%s probe, %s token(s) [min, max]", rep.Task, p))
	}
	if b := rep.Baselines; b != nil {
		for _, m := range b.Models {
			row := []string{m.Model, "", fmt.Sprint(b.TrainTokens), fmt.Sprintf("%.4f", m.Loss), fmt.Sprintf("%.3f", m.BitsPerByte), ""}
			for range rep.Pools {
				row = append(row, "")
			}
			t.Add(row...)
		}
	}
	for i, r := range rep.Rungs {
		beats := ""
		if i < len(rep.BeatsNGrams) {
			beats = map[bool]string{true: "yes", false: "NO"}[rep.BeatsNGrams[i]]
		}
		row := []string{r.Model, fmt.Sprint(r.NonEmbeddingParams), fmt.Sprint(r.Tokens), fmt.Sprintf("%.4f", r.ValidLoss), fmt.Sprintf("%.3f", r.BPB), beats}
		for _, p := range rep.Pools {
			row = append(row, r.Probe[p].String())
		}
		t.Add(row...)
	}
	row := []string{"TF-IDF logistic regression", "", "", "", "", ""}
	for range rep.Pools {
		row = append(row, rep.TFIDF.String())
	}
	t.Add(row...)
	t.Caption = fmt.Sprintf("probes: logistic regression on frozen features, trained on the %d gold rows of half B, tested on %d rows, split seeds %v; n-grams trained on one pass over the training documents, scored on the same validation tokens as the models",
		rep.TrainRows, rep.TestRows, rep.Seeds)
	for _, p := range rep.Pools {
		t.Notes = append(t.Notes, fmt.Sprintf("%s pooling: probes rise with size: %s; the largest model's probe ≥ TF-IDF: %s", p, yesNo(rep.MonotoneBy[p]), yesNo(rep.TopBeatsTFIDF[p])))
	}
	return t
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

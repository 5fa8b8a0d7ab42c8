package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/w2s-lab/w2s/w2s/bow"
	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// LadderCeilings is what a ladder shows on one task: the test accuracy of
// every rung finetuned on gold labels (the ceiling stage of every sweep,
// half B), over the same test rows and seeds, beside always answering the
// majority class; the span from the bottom rung to the top with its
// paired interval; and whether accuracy rises with compute.
type LadderCeilings struct {
	Task     string             `json:"task"`
	Scale    string             `json:"scale"`
	Head     string             `json:"head"` // what the classification head reads
	Seeds    []uint64           `json:"seeds"`
	TestRows int                `json:"test_rows"`
	Models   []string           `json:"models"` // from weakest to strongest
	Params   []int              `json:"params"` // non-embedding parameters
	Acc      []metrics.Interval `json:"acc"`    // each model's ceiling, over rows and seeds
	Majority float64            `json:"majority"`
	// BoW is the bag-of-words baseline (TF-IDF logistic regression)
	// trained on the same gold rows of half B, scored on the same test rows
	// and seeds.
	BoW metrics.Interval `json:"bow"`
	// Span is the top rung's accuracy minus the bottom rung's (paired).
	Span metrics.Interval `json:"span"`
	// Dips lists neighbouring rungs where the larger is below the smaller
	// by more than one standard error of their paired difference.
	Dips []string `json:"dips,omitempty"`
}

// RunLadderCeilings trains (or reads from the store) every model's gold
// ceiling under each runner (one per seed, one task) and measures it.
func RunLadderCeilings(ctx context.Context, runners []*stage.Runner, models []string) (*LadderCeilings, error) {
	if len(runners) == 0 || len(models) == 0 {
		return nil, fmt.Errorf("ladder ceilings: need seeds and models")
	}
	lc := &LadderCeilings{Task: runners[0].Task, Scale: runners[0].Budget.Scale, Head: runners[0].Budget.Head(), Models: models, Majority: math.NaN()}
	hits := make([][]metrics.Hits, len(models))
	var bowHits []metrics.Hits
	lc.Params = make([]int, len(models))
	for _, r := range runners {
		lc.Seeds = append(lc.Seeds, r.Seed)
		s, err := r.Splits(ctx)
		if err != nil {
			return nil, err
		}
		lc.Majority = majority(s.Counts.ClassesTest)
		bh, err := tfidfHits(s.B, s.Test, r.TaskInfo().NumClasses())
		if err != nil {
			return nil, err
		}
		bowHits = append(bowHits, bh)
		for i, m := range models {
			t, err := r.TrainCeiling(ctx, m)
			if err != nil {
				return nil, err
			}
			p, err := r.Evaluate(ctx, t)
			if err != nil {
				return nil, err
			}
			h := stage.Hits(p.Sets[stage.SetTest])
			hits[i] = append(hits[i], h)
			lc.TestRows, lc.Params[i] = len(h), t.Info.NonEmbeddingParams
		}
	}
	for i := range models {
		acc, err := metrics.CrossedMean(metrics.HitsMatrix(hits[i]), Level)
		if err != nil {
			return nil, err
		}
		lc.Acc = append(lc.Acc, acc)
		if i == 0 {
			continue
		}
		d, err := metrics.PairedDiff(hits[i], hits[i-1], Level)
		if err != nil {
			return nil, err
		}
		if d.SE.Defined() && float64(d.Estimate) < -float64(d.SE) {
			lc.Dips = append(lc.Dips, fmt.Sprintf("%s below %s by %.3f (SE %.3f)", zoo.Short(models[i]), zoo.Short(models[i-1]), -float64(d.Estimate), float64(d.SE)))
		}
	}
	var err error
	if lc.Span, err = metrics.PairedDiff(hits[len(models)-1], hits[0], Level); err != nil {
		return nil, err
	}
	if lc.BoW, err = metrics.CrossedMean(metrics.HitsMatrix(bowHits), Level); err != nil {
		return nil, err
	}
	return lc, nil
}

// tfidfHits trains the TF-IDF baseline on train's texts and gold labels and
// marks which test rows it gets right.
func tfidfHits(train, test []tasks.Example, classes int) (metrics.Hits, error) {
	texts, labels := make([]string, len(train)), make([]int, len(train))
	for i, e := range train {
		texts[i], labels[i] = e.Key(), e.Label
	}
	m, err := bow.Train(texts, labels, classes, bow.Options{Bigrams: true})
	if err != nil {
		return nil, err
	}
	testTexts, gold := make([]string, len(test)), make([]int, len(test))
	for i, e := range test {
		testTexts[i], gold[i] = e.Key(), e.Label
	}
	return metrics.HitsOf(metrics.Argmax(m.Predict(testTexts)), gold), nil
}

// Learnt reports whether some rung beats always answering the majority
// class by metrics.GapSEs standard errors of its accuracy.
func (lc *LadderCeilings) Learnt() bool {
	for _, a := range lc.Acc {
		if se := float64(a.SE); se > 0 && float64(a.Estimate)-lc.Majority >= metrics.GapSEs*se {
			return true
		}
	}
	return false
}

// Coverage says which tasks of lcs the ladder learns and whether the tasks
// a median runs over (swept) are every one of them: the sentence printed
// before medians over tasks. Swept tasks the ceilings do not judge learnt
// are named too (the medians list them apart).
func Coverage(lcs []*LadderCeilings, swept []string) string {
	if len(lcs) == 0 {
		return "no task measured"
	}
	var learnt, missing []string
	for _, lc := range lcs {
		if !lc.Learnt() {
			continue
		}
		learnt = append(learnt, lc.Task)
		if !slices.Contains(swept, lc.Task) {
			missing = append(missing, lc.Task)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d tasks are learnt at scale %s (ceilings over seeds %v)", len(learnt), len(lcs), lcs[0].Scale, lcs[0].Seeds)
	if len(learnt) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(learnt, ", "))
	}
	b.WriteString(". ")
	switch {
	case len(learnt) == 0:
		b.WriteString("No median over tasks is meaningful here.")
	case len(missing) == 0:
		fmt.Fprintf(&b, "The medians below run over all %d.", len(learnt))
	default:
		fmt.Fprintf(&b, "The medians below run over %d of them; not swept: %s.", len(learnt)-len(missing), strings.Join(missing, ", "))
	}
	var notLearnt []string
	for _, t := range swept {
		if !slices.ContainsFunc(lcs, func(lc *LadderCeilings) bool { return lc.Task == t && lc.Learnt() }) {
			notLearnt = append(notLearnt, t)
		}
	}
	if len(notLearnt) > 0 {
		fmt.Fprintf(&b, " Swept but not learnt by these ceilings: %s.", strings.Join(notLearnt, ", "))
	}
	return b.String()
}

// CeilingsTable is one row per task: the majority class and the TF-IDF
// baseline, every rung's ceiling with its interval, the span and whether
// the task is learnt; dips as notes.
func CeilingsTable(lcs []*LadderCeilings) *table.Table {
	if len(lcs) == 0 {
		return &table.Table{}
	}
	t := &table.Table{Header: []string{"task", "test rows", "majority", "TF-IDF"}}
	for _, m := range lcs[0].Models {
		t.Header = append(t.Header, zoo.Short(m))
	}
	t.Header = append(t.Header, "top − bottom [95%]", "learnt")
	for _, lc := range lcs {
		row := []string{lc.Task, fmt.Sprint(lc.TestRows), fmt.Sprintf("%.3f", lc.Majority), ivs(lc.BoW)}
		for _, a := range lc.Acc {
			row = append(row, ivs(a))
		}
		learnt := "yes"
		if !lc.Learnt() {
			learnt = "no"
		}
		t.Add(append(row, ivs(lc.Span), learnt)...)
		if len(lc.Dips) > 0 {
			t.Notes = append(t.Notes, fmt.Sprintf("%s: accuracy falls with compute beyond one standard error: %s", lc.Task, strings.Join(lc.Dips, "; ")))
		}
	}
	t.Caption = fmt.Sprintf("gold-trained ceilings (half B) of every rung, scale %s, head reading %s, seeds %v, beside always answering the majority class and a TF-IDF "+
		"logistic regression (word unigrams and bigrams) trained on the same gold rows; means over test rows and seeds, %s; "+
		"learnt: some rung beats the majority class by %g standard errors", lcs[0].Scale, headWords(lcs[0].Head), lcs[0].Seeds, IntervalNote, metrics.GapSEs)
	return t
}

func headWords(head string) string {
	if head == "mean" {
		return "the mean over tokens"
	}
	return "the last token"
}

// WriteCeilings writes the ceilings as JSON (undefined values are null),
// atomically.
func WriteCeilings(path string, lcs []*LadderCeilings) error {
	js, err := json.MarshalIndent(lcs, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(js, '\n'))
}

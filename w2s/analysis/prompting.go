package analysis

import (
	"context"
	"fmt"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// PromptRow compares, for one model, prompting with finetuning: test
// accuracies on the same rows under every seed, with intervals over rows
// and seeds, and the paired differences the findings judge.
type PromptRow struct {
	Model                              string
	Params                             int // non-embedding parameters
	ZeroShot, FewShotGold, FewShotWeak metrics.Interval
	FinetuneWeak, FinetuneGold         metrics.Interval // the student and the ceiling
	// Paired differences on the same rows and seeds: gold demonstrations −
	// weak ones, weak demonstrations − none, finetuned on weak labels −
	// prompted with them.
	GoldOverWeak, WeakOverZero, FinetuneOverPrompt metrics.Interval
	DemosGold, DemosWeak                           float64 // demonstrations that fit, on average
	// OneAnswer is the largest share of the test queries that a prompt
	// (zero-shot, few-shot gold, few-shot weak) answered with the same
	// class, over seeds: 1 means the model answered every query alike.
	OneAnswer float64
}

// PromptingComparison is zero-shot vs few-shot (gold) vs few-shot (weak)
// vs finetuning (weak) vs finetuning (gold), per model size, over seeds.
type PromptingComparison struct {
	Task, WeakModel string
	Loss            losses.Spec
	K               int
	Seeds           []uint64
	Examples        int              // test examples scored (the first of the test set)
	WeakAcc         metrics.Interval // the supervisor, on those examples
	// Majority is the accuracy of always answering the most common class
	// of those examples (over every seed's rows): a prompt that always
	// gives one answer scores about this.
	Majority float64
	Rows     []PromptRow
}

// RunPromptingComparison prompts each model with k demonstrations (gold,
// then the weak supervisor's labels) and compares with finetuning it on
// weak labels (loss) and on gold labels, for every runner (one per seed).
func RunPromptingComparison(ctx context.Context, runners []*stage.Runner, weak string, models []string, k int, loss losses.Spec) (*PromptingComparison, error) {
	if len(runners) == 0 {
		return nil, fmt.Errorf("prompting: no runners")
	}
	pc := &PromptingComparison{Task: runners[0].Task, WeakModel: weak, K: k, Loss: loss}
	type acc struct {
		zero, gold, weak, ftWeak, ftGold []metrics.Hits
		demosGold, demosWeak, one        []float64
		params                           int
	}
	accs := make([]acc, len(models))
	var weakHits []metrics.Hits
	var classes []int // of the scored test rows, over seeds
	for _, r := range runners {
		pc.Seeds = append(pc.Seeds, r.Seed)
		sup, err := r.TrainSupervisor(ctx, weak)
		if err != nil {
			return nil, err
		}
		labels, err := r.Label(ctx, sup)
		if err != nil {
			return nil, err
		}
		for i, m := range models {
			a := &accs[i]
			zero, err := r.Prompt(ctx, m, 0, nil)
			if err != nil {
				return nil, err
			}
			gold, err := r.Prompt(ctx, m, k, nil)
			if err != nil {
				return nil, err
			}
			weakP, err := r.Prompt(ctx, m, k, labels)
			if err != nil {
				return nil, err
			}
			pc.Examples = len(zero.Test.IDs)
			if i == 0 {
				for _, g := range zero.Test.Gold {
					for len(classes) <= g {
						classes = append(classes, 0)
					}
					classes[g]++
				}
			}
			a.zero = append(a.zero, stage.Hits(zero.Test))
			a.gold = append(a.gold, stage.Hits(gold.Test))
			a.weak = append(a.weak, stage.Hits(weakP.Test))
			a.demosGold, a.demosWeak = append(a.demosGold, gold.Info.MeanDemos), append(a.demosWeak, weakP.Info.MeanDemos)
			a.params = zero.Info.NonEmbeddingParams
			a.one = append(a.one, oneAnswer(zero.Test), oneAnswer(gold.Test), oneAnswer(weakP.Test))
			// Finetuned models, scored on the same test examples as the prompts.
			student, err := r.TrainStudent(ctx, m, labels, loss)
			if err != nil {
				return nil, err
			}
			pc.Loss = student.Spec.Loss
			ceiling, err := r.TrainCeiling(ctx, m)
			if err != nil {
				return nil, err
			}
			for _, x := range []struct {
				t   *stage.Trained
				dst *[]metrics.Hits
			}{{student, &a.ftWeak}, {ceiling, &a.ftGold}} {
				h, err := testHits(ctx, r, x.t)
				if err != nil {
					return nil, err
				}
				*x.dst = append(*x.dst, h[:min(len(h), pc.Examples)])
			}
		}
		weakHits = append(weakHits, stage.Hits(labels.Sets[stage.SetTest].First(pc.Examples)))
	}
	pc.Majority = majority(classes)
	var err error
	if pc.WeakAcc, err = metrics.CrossedMean(metrics.HitsMatrix(weakHits), Level); err != nil {
		return nil, err
	}
	for i, m := range models {
		a := accs[i]
		row := PromptRow{Model: m, Params: a.params, DemosGold: metrics.Mean(a.demosGold), DemosWeak: metrics.Mean(a.demosWeak)}
		for _, x := range []struct {
			hits []metrics.Hits
			dst  *metrics.Interval
		}{{a.zero, &row.ZeroShot}, {a.gold, &row.FewShotGold}, {a.weak, &row.FewShotWeak}, {a.ftWeak, &row.FinetuneWeak}, {a.ftGold, &row.FinetuneGold}} {
			if *x.dst, err = metrics.CrossedMean(metrics.HitsMatrix(x.hits), Level); err != nil {
				return nil, err
			}
		}
		for _, x := range []struct {
			a, b []metrics.Hits
			dst  *metrics.Interval
		}{{a.gold, a.weak, &row.GoldOverWeak}, {a.weak, a.zero, &row.WeakOverZero}, {a.ftWeak, a.weak, &row.FinetuneOverPrompt}} {
			if *x.dst, err = metrics.PairedDiff(x.a, x.b, Level); err != nil {
				return nil, err
			}
		}
		for _, x := range a.one {
			row.OneAnswer = max(row.OneAnswer, x)
		}
		pc.Rows = append(pc.Rows, row)
	}
	return pc, nil
}

// oneAnswer is the share of predictions that go to the most predicted class.
func oneAnswer(p stage.SetProbs) float64 {
	counts := map[int]int{}
	best := 0
	for _, c := range metrics.Argmax(p.Probs) {
		counts[c]++
		best = max(best, counts[c])
	}
	if len(p.Probs) == 0 {
		return 0
	}
	return float64(best) / float64(len(p.Probs))
}

// Caption says what the comparison's numbers rest on.
func (pc *PromptingComparison) Caption() string {
	return fmt.Sprintf("%s: first %d test rows, seeds %v, %d-shot prompts; finetuning with %s on weak labels of %s (accuracy %.3f); always answering the majority class: %.3f; means over test rows and seeds, %s",
		pc.Task, pc.Examples, pc.Seeds, pc.K, pc.Loss.Short(), zoo.Short(pc.WeakModel), pc.WeakAcc.Estimate, pc.Majority, IntervalNote)
}

// Table is the comparison, one row per model.
func (pc *PromptingComparison) Table() *table.Table {
	t := &table.Table{Caption: pc.Caption(), Header: []string{"model", "zero-shot", "few-shot gold", "few-shot weak", "finetune weak", "finetune gold",
		"demonstrations that fit (gold / weak)", "most common answer"}}
	for _, r := range pc.Rows {
		t.Add(zoo.Short(r.Model), ivs(r.ZeroShot), ivs(r.FewShotGold), ivs(r.FewShotWeak), ivs(r.FinetuneWeak), ivs(r.FinetuneGold),
			fmt.Sprintf("%.1f / %.1f of %d", r.DemosGold, r.DemosWeak, pc.K), fmt.Sprintf("%.0f%%", 100*r.OneAnswer))
	}
	t.Notes = []string{fmt.Sprintf("demonstrations that fit: how many of the %d asked for fit in the model's context beside the query, on average; "+
		"most common answer: the largest share of queries a prompt answered with one class (100%% means it always answered alike)", pc.K)}
	return t
}

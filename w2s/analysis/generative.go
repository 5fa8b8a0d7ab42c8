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

// GenerativeComparison runs the same weak→strong experiment from the base
// models and from their generatively finetuned versions (next-token
// training on the task's unlabelled text first), over seeds, with early
// stopping of each (the cheating kind labelled as such).
type GenerativeComparison struct {
	Task                   string
	WeakModel, StrongModel string
	Loss                   losses.Spec
	Seeds                  []uint64
	Plain, Generative      Summary
	// StudentGain is the generative student's test accuracy minus the base
	// student's, paired over test rows and seeds.
	StudentGain           metrics.Interval
	PlainES, GenerativeES *EarlyStopping
	// Next-token loss on the task's text before and after the finetune,
	// means over seeds.
	WeakLossBefore, WeakLossAfter     float64
	StrongLossBefore, StrongLossAfter float64
}

// RunGenerativeComparison runs both pipelines for every runner (one per seed).
func RunGenerativeComparison(ctx context.Context, runners []*stage.Runner, weak, strong string, loss losses.Spec) (*GenerativeComparison, error) {
	if len(runners) == 0 {
		return nil, fmt.Errorf("generative comparison: no runners")
	}
	gc := &GenerativeComparison{Task: runners[0].Task, WeakModel: weak, StrongModel: strong, Loss: loss}
	var plain, gen []*stage.Result
	var wb, wa, sb, sa []float64
	for _, r := range runners {
		gc.Seeds = append(gc.Seeds, r.Seed)
		p, err := r.Run(ctx, weak, strong, loss)
		if err != nil {
			return nil, err
		}
		// The generative finetunes are a stage of their own, run first; then
		// their "+genft" names resolve.
		_, wi, err := r.GenerativeFinetune(ctx, weak)
		if err != nil {
			return nil, err
		}
		_, si, err := r.GenerativeFinetune(ctx, strong)
		if err != nil {
			return nil, err
		}
		g, err := r.Run(ctx, weak+stage.GenSuffix, strong+stage.GenSuffix, loss)
		if err != nil {
			return nil, err
		}
		plain, gen = append(plain, p), append(gen, g)
		wb, wa, sb, sa = append(wb, wi.LossBefore), append(wa, wi.LossAfter), append(sb, si.LossBefore), append(sa, si.LossAfter)
	}
	gc.Loss = plain[0].Loss
	gc.WeakLossBefore, gc.WeakLossAfter = metrics.Mean(wb), metrics.Mean(wa)
	gc.StrongLossBefore, gc.StrongLossAfter = metrics.Mean(sb), metrics.Mean(sa)
	var err error
	if gc.Plain, err = summarize(plain); err != nil {
		return nil, err
	}
	if gc.Generative, err = summarize(gen); err != nil {
		return nil, err
	}
	var ph, gh []metrics.Hits
	for i := range plain {
		ph, gh = append(ph, plain[i].Hits.Student), append(gh, gen[i].Hits.Student)
	}
	if gc.StudentGain, err = metrics.PairedDiff(gh, ph, Level); err != nil {
		return nil, err
	}
	if gc.PlainES, err = EarlyStoppingFrom(plain); err != nil {
		return nil, err
	}
	if gc.GenerativeES, err = EarlyStoppingFrom(gen); err != nil {
		return nil, err
	}
	return gc, nil
}

// Caption says what the comparison's numbers rest on.
func (gc *GenerativeComparison) Caption() string {
	return fmt.Sprintf("%s: %s → %s, %s; %d test rows, seeds %v; means over test rows and seeds, %s",
		gc.Task, zoo.Short(gc.WeakModel), zoo.Short(gc.StrongModel), gc.Loss.Short(), gc.Plain.Examples, gc.Seeds, IntervalNote)
}

// Table is the comparison: the base pipeline and the generatively
// finetuned one.
func (gc *GenerativeComparison) Table() *table.Table {
	t := &table.Table{Caption: gc.Caption(), Header: []string{"models", "weak acc", "student acc", "ceiling acc", "PGR", "student, honest stop", "student, cheating stop (test labels)"}}
	for _, x := range []struct {
		name string
		s    Summary
		es   *EarlyStopping
	}{{"base", gc.Plain, gc.PlainES}, {"generatively finetuned", gc.Generative, gc.GenerativeES}} {
		t.Add(x.name, ivs(x.s.WeakAcc), ivs(x.s.StudentAcc), ivs(x.s.CeilingAcc), x.s.PairedPGR.String(), ivs(x.es.Honest), ivs(x.es.Cheating))
	}
	t.Notes = []string{
		fmt.Sprintf("next-token loss on the task's text: weak %.3f → %.3f, strong %.3f → %.3f", gc.WeakLossBefore, gc.WeakLossAfter, gc.StrongLossBefore, gc.StrongLossAfter),
		fmt.Sprintf("generatively finetuned student − base student, test accuracy at the end of training: %s", ivs(gc.StudentGain)),
	}
	return t
}

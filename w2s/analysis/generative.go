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

// GenerativeComparison runs the same weak→strong experiment twice: from
// the base strong model, and from its generatively finetuned version
// (next-token training on the task's unlabelled text first), over seeds,
// with early stopping of each (the cheating kind labelled as such). As in
// the paper's Fig. 10, only the strong side is finetuned generatively (the
// student and its ceiling); the supervisor and its labels are the same in
// both runs, so the two students differ by that step alone.
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
	// The strong model's next-token loss on the task's text before and
	// after the finetune, means over seeds.
	StrongLossBefore, StrongLossAfter float64
}

// RunGenerativeComparison runs both pipelines for every runner (one per seed).
func RunGenerativeComparison(ctx context.Context, runners []*stage.Runner, weak, strong string, loss losses.Spec) (*GenerativeComparison, error) {
	if len(runners) == 0 {
		return nil, fmt.Errorf("generative comparison: no runners")
	}
	gc := &GenerativeComparison{Task: runners[0].Task, WeakModel: weak, StrongModel: strong, Loss: loss}
	var plain, gen []*stage.Result
	var sb, sa []float64
	for _, r := range runners {
		gc.Seeds = append(gc.Seeds, r.Seed)
		p, err := r.Run(ctx, weak, strong, loss)
		if err != nil {
			return nil, err
		}
		// The generative finetune is a stage of its own, run first; then
		// the "+genft" name resolves.
		_, si, err := r.GenerativeFinetune(ctx, strong)
		if err != nil {
			return nil, err
		}
		g, err := r.Run(ctx, weak, strong+stage.GenSuffix, loss)
		if err != nil {
			return nil, err
		}
		plain, gen = append(plain, p), append(gen, g)
		sb, sa = append(sb, si.LossBefore), append(sa, si.LossAfter)
	}
	gc.Loss = plain[0].Loss
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
	t := &table.Table{Caption: gc.Caption(), Header: []string{"strong model", "supervisor acc", "student acc", "ceiling acc", "PGR [95%]", "student, honest stop", "student, cheating stop (test labels)"}}
	var cheats []string
	for _, x := range []struct {
		row, name string
		s         Summary
		es        *EarlyStopping
	}{{"base", "base", gc.Plain, gc.PlainES}, {"generatively finetuned (student and ceiling)", "generatively finetuned", gc.Generative, gc.GenerativeES}} {
		t.Add(x.row, ivs(x.s.WeakAcc), ivs(x.s.StudentAcc), ivs(x.s.CeilingAcc), x.s.PairedPGR.String(), ivs(x.es.Honest), ivs(x.es.Cheating))
		if x.es.Cheating.Estimate > x.s.CeilingAcc.Estimate {
			cheats = append(cheats, fmt.Sprintf("%s: the cheating stop (%.3f) is above the ceiling (%.3f) because it is the best of %d looks at the test labels per seed, "+
				"while the ceiling is measured once, at the end: selection on noise, not a student better than its ceiling", x.name, x.es.Cheating.Estimate, x.s.CeilingAcc.Estimate, x.es.Evals))
		}
	}
	t.Notes = append([]string{
		fmt.Sprintf("the strong model's next-token loss on the task's text: %.3f → %.3f; the supervisor (%s) is not finetuned generatively, so both students learn the same labels", gc.StrongLossBefore, gc.StrongLossAfter, zoo.Short(gc.WeakModel)),
		"PGR: from the accuracies at the end of training, with Fieller's 95% interval; the stop columns are the same students' test accuracy at the honest and the cheating stop (see notebook 04)",
		fmt.Sprintf("generatively finetuned student − base student, test accuracy at the end of training: %s", ivs(gc.StudentGain)),
	}, cheats...)
	return t
}

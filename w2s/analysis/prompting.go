package analysis

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/w2s-lab/w2s/w2s/stage"
)

// PromptRow compares, for one model, prompting with finetuning.
type PromptRow struct {
	Model                              string
	ZeroShot, FewShotGold, FewShotWeak float64 // test accuracy
	FinetuneWeak, FinetuneGold         float64 // the student and the ceiling
	DemosGold, DemosWeak               float64 // demonstrations that fit, on average
}

// PromptingComparison is zero-shot vs few-shot (gold) vs few-shot (weak)
// vs finetuning (weak) vs finetuning (gold), per model size.
type PromptingComparison struct {
	Task, Weak, Loss string
	K                int
	Examples         int     // test examples scored (the first of the test set)
	WeakAcc          float64 // on those examples
	Rows             []PromptRow
}

// RunPromptingComparison prompts each model with k demonstrations (gold,
// then the weak supervisor's labels) and compares with finetuning it on
// weak labels (loss) and on gold labels.
func RunPromptingComparison(ctx context.Context, r *stage.Runner, weak string, models []string, k int, loss string) (*PromptingComparison, error) {
	sup, err := r.TrainSupervisor(ctx, weak)
	if err != nil {
		return nil, err
	}
	labels, err := r.Label(ctx, sup)
	if err != nil {
		return nil, err
	}
	pc := &PromptingComparison{Task: r.Task, Weak: weak, K: k}
	for _, m := range models {
		row := PromptRow{Model: m}
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
		row.ZeroShot, row.FewShotGold, row.FewShotWeak = stage.Score(zero.Test).Accuracy, stage.Score(gold.Test).Accuracy, stage.Score(weakP.Test).Accuracy
		row.DemosGold, row.DemosWeak = gold.Info.MeanDemos, weakP.Info.MeanDemos
		pc.Examples = len(zero.Test.IDs)
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
		if row.FinetuneWeak, err = testAccuracy(ctx, r, student, pc.Examples); err != nil {
			return nil, err
		}
		if row.FinetuneGold, err = testAccuracy(ctx, r, ceiling, pc.Examples); err != nil {
			return nil, err
		}
		pc.Rows = append(pc.Rows, row)
	}
	pc.WeakAcc = stage.Score(labels.Sets[stage.SetTest].First(pc.Examples)).Accuracy
	return pc, nil
}

// Table prints the comparison.
func (pc *PromptingComparison) Table(w io.Writer) error {
	fmt.Fprintf(w, "task %s; weak supervisor %s (accuracy %.3f); %d-shot prompts; finetuning loss %s; accuracies on the first %d test examples\n",
		pc.Task, short(pc.Weak), pc.WeakAcc, pc.K, shortLoss(pc.Loss), pc.Examples)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tzero-shot\tfew-shot gold\tfew-shot weak\tfinetune weak\tfinetune gold\tdemos fit (gold/weak)\t")
	for _, r := range pc.Rows {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f/%.1f\t\n", short(r.Model), r.ZeroShot, r.FewShotGold, r.FewShotWeak,
			r.FinetuneWeak, r.FinetuneGold, r.DemosGold, r.DemosWeak)
	}
	return tw.Flush()
}

// GenerativeComparison runs the same weak→strong experiment from the base
// models and from their generatively finetuned versions.
type GenerativeComparison struct {
	Task, Weak, Strong, Loss string
	Plain, Generative        *stage.Result
	PlainES, GenerativeES    *EarlyStopping
	WeakInfo, StrongInfo     *stage.GenerativeInfo // the generative finetunes
}

// RunGenerativeComparison compares a weak→strong experiment without and
// with generative finetuning of every model on the task's unlabelled text
// first, including early stopping (the cheating kind labelled as such).
func RunGenerativeComparison(ctx context.Context, r *stage.Runner, weak, strong, loss string) (*GenerativeComparison, error) {
	gc := &GenerativeComparison{Task: r.Task, Weak: weak, Strong: strong}
	var err error
	if gc.Plain, err = r.Run(ctx, weak, strong, loss); err != nil {
		return nil, err
	}
	// The generative finetunes are a stage of their own, run first; then
	// their "+genft" names resolve.
	if _, gc.WeakInfo, err = r.GenerativeFinetune(ctx, weak); err != nil {
		return nil, err
	}
	if _, gc.StrongInfo, err = r.GenerativeFinetune(ctx, strong); err != nil {
		return nil, err
	}
	if gc.Generative, err = r.Run(ctx, weak+stage.GenSuffix, strong+stage.GenSuffix, loss); err != nil {
		return nil, err
	}
	gc.Loss = gc.Plain.Loss
	if gc.PlainES, err = EarlyStoppingFrom(gc.Plain); err != nil {
		return nil, err
	}
	if gc.GenerativeES, err = EarlyStoppingFrom(gc.Generative); err != nil {
		return nil, err
	}
	return gc, nil
}

// Table prints the comparison.
func (gc *GenerativeComparison) Table(w io.Writer) error {
	fmt.Fprintf(w, "task %s: %s → %s, loss %s\n", gc.Task, short(gc.Weak), short(gc.Strong), shortLoss(gc.Loss))
	fmt.Fprintf(w, "generative finetuning, next-token loss on the task text: weak %.3f → %.3f, strong %.3f → %.3f\n",
		gc.WeakInfo.LossBefore, gc.WeakInfo.LossAfter, gc.StrongInfo.LossBefore, gc.StrongInfo.LossAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "models\tweak acc\tstudent acc\tceiling acc\tPGR\tPGR(AUROC)\tPGR honest ES*\tPGR cheating ES* (uses test labels)\t")
	for _, x := range []struct {
		name string
		r    *stage.Result
		es   *EarlyStopping
	}{{"base", gc.Plain, gc.PlainES}, {"generatively finetuned", gc.Generative, gc.GenerativeES}} {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%s\t%s\t%s\t%s\t\n", x.name, x.r.WeakScores.Accuracy, x.r.StudentScores.Accuracy,
			x.r.CeilingScores.Accuracy, x.r.PGR, x.r.PGRAUROC, x.es.Honest.PGR, x.es.Cheating.PGR)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if gc.PlainES.Examples > 0 {
		fmt.Fprintf(w, "* early stopping is judged on the first %d test examples, where the training curves were measured\n", gc.PlainES.Examples)
	}
	return nil
}

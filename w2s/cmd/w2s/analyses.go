package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/stage"
)

// runner makes the stage runner of the analysis commands: the first seed.
func (f *experimentFlags) runner(cmd *cobra.Command) (*stage.Runner, error) {
	newRunner, budget, err := f.setup(cmd)
	if err != nil {
		return nil, err
	}
	seed := budget.Seeds[0]
	switch len(f.seeds) {
	case 0:
	case 1:
		seed = uint64(f.seeds[0])
	default:
		return nil, fmt.Errorf("--seeds: %s runs one seed, got %d (loop over seeds, or use sweep)", cmd.Name(), len(f.seeds))
	}
	return newRunner(f.task, f.scale, seed)
}

// addPairFlags declares --weak, --strong and --loss.
func addPairFlags(cmd *cobra.Command, weak, strong, loss *string) {
	cmd.Flags().StringVar(weak, "weak", "", "weak supervisor (default: the ladder's first, see sweep)")
	cmd.Flags().StringVar(strong, "strong", "", "strong student (default: the ladder's last)")
	cmd.Flags().StringVar(loss, "loss", "xent", "student loss: xent, hard_xent, logconf[(alpha=…,warmup=…,buffer=…)], product")
}

// pair fills the weak and strong defaults: the ladder's first and last.
func pair(scale, weak, strong string) (string, string) {
	ladder := stage.DefaultModels(scale)
	if weak == "" {
		weak = ladder[0]
	}
	if strong == "" {
		strong = ladder[len(ladder)-1]
	}
	return weak, strong
}

func promptingCmd() *cobra.Command {
	var f experimentFlags
	var weak, loss string
	var models []string
	var k int
	cmd := &cobra.Command{
		Use:   "prompting",
		Short: "Zero-shot vs few-shot (gold, weak labels) vs finetuning (weak, gold), per model size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := f.runner(cmd)
			if err != nil {
				return err
			}
			ladder := stage.DefaultModels(f.scale)
			if weak == "" {
				weak = ladder[0]
			}
			if len(models) == 0 {
				models = ladder[1:]
			}
			for i := range models {
				models[i] = f.model(models[i])
			}
			start := time.Now()
			pc, err := analysis.RunPromptingComparison(cmd.Context(), r, f.model(weak), models, k, loss)
			if err != nil {
				return err
			}
			if err := pc.Table(cmd.OutOrStdout()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "seed %d, scale %s, %s\n", r.Seed, f.scale, time.Since(start).Round(time.Second))
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&weak, "weak", "", "weak supervisor whose labels the weak demonstrations and the student use (default: the ladder's first)")
	cmd.Flags().StringSliceVar(&models, "models", nil, "models to prompt and finetune (default: the rest of the ladder; see sweep)")
	cmd.Flags().IntVar(&k, "k", 5, "demonstrations per prompt")
	cmd.Flags().StringVar(&loss, "loss", "xent", "loss of the weak-label finetuning")
	return cmd
}

func generativeCmd() *cobra.Command {
	cmd := pairCmd("generative", "A weak→strong experiment with and without generative finetuning on the task's text first",
		func(cmd *cobra.Command, f *experimentFlags, r *stage.Runner, weak, strong, loss string) error {
			start := time.Now()
			gc, err := analysis.RunGenerativeComparison(cmd.Context(), r, weak, strong, loss)
			if err != nil {
				return err
			}
			if err := gc.Table(cmd.OutOrStdout()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "seed %d, scale %s, %s\n", r.Seed, f.scale, time.Since(start).Round(time.Second))
			return nil
		})
	cmd.Flags().Lookup("task").DefValue = "hh_harmless"
	cmd.Flags().Set("task", "hh_harmless")
	return cmd
}

func rewardCmd() *cobra.Command {
	var f experimentFlags
	var models, lossNames []string
	cmd := &cobra.Command{
		Use:   "reward",
		Short: "Reward modelling on hh_harmless: weak→strong pairs × losses, accuracy = chosen scored above rejected",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.sweep(cmd, "reward", analysis.SweepSpec{Models: models, Losses: lossNames})
		},
	}
	f.add(cmd)
	f.addOutputs(cmd)
	cmd.Flags().Set("task", "hh_harmless")
	cmd.Flags().Lookup("task").DefValue = "hh_harmless"
	cmd.Flags().StringSliceVar(&models, "models", nil, "models from weakest to strongest (default as for sweep)")
	cmd.Flags().StringSliceVar(&lossNames, "losses", []string{"xent", "logconf"}, "student losses (on pairs: Bradley–Terry with soft labels, and its confidence variant)")
	return cmd
}

func earlyStopCmd() *cobra.Command {
	return pairCmd("earlystop", "The student's test accuracy during training: final, honest early stopping, and (cheating) best-on-test",
		func(cmd *cobra.Command, f *experimentFlags, r *stage.Runner, weak, strong, loss string) error {
			es, err := analysis.RunEarlyStopping(cmd.Context(), r, weak, strong, loss)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			on := "the whole test set"
			if es.Examples > 0 {
				on = fmt.Sprintf("the first %d test examples", es.Examples)
			}
			fmt.Fprintf(w, "task %s: %s → %s, %s; weak %.3f, ceiling %.3f; accuracies on %s\n", f.task, weak, strong, loss, es.WeakAcc, es.CeilingAcc, on)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "step\ttrain loss\ttest acc\tval acc vs weak\tval xent vs weak\t")
			for _, p := range es.Curve {
				fmt.Fprintf(tw, "%d\t%.4f\t%.3f\t%.3f\t%.4f\t\n", p.Step, p.Loss, p.TestAcc, p.ValAccWeak, p.ValXentWeak)
			}
			tw.Flush()
			fmt.Fprintf(w, "\nfinal (step %d): test %.3f, PGR %s\nhonest early stopping (step %d, lowest val xent vs weak labels): test %.3f, PGR %s\ncheating early stopping (step %d, best TEST accuracy — not available to a real supervisor): test %.3f, PGR %s\n",
				es.Final.Step, es.Final.TestAcc, es.Final.PGR, es.Honest.Step, es.Honest.TestAcc, es.Honest.PGR, es.Cheating.Step, es.Cheating.TestAcc, es.Cheating.PGR)
			return nil
		})
}

// pairCmd is a command on one weak→strong pair (--weak, --strong, --loss
// and the experiment flags): run gets the runner and the resolved models.
func pairCmd(use, short string, run func(cmd *cobra.Command, f *experimentFlags, r *stage.Runner, weak, strong, loss string) error) *cobra.Command {
	var f experimentFlags
	var weak, strong, loss string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := f.runner(cmd)
			if err != nil {
				return err
			}
			w, s := pair(f.scale, weak, strong)
			return run(cmd, &f, r, f.model(w), f.model(s), loss)
		},
	}
	f.add(cmd)
	addPairFlags(cmd, &weak, &strong, &loss)
	return cmd
}

func bootstrapCmd() *cobra.Command {
	var f experimentFlags
	var chain []string
	var loss string
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "A chain of sizes, each student labelling fresh data for the next, against direct weak→strong",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := f.runner(cmd)
			if err != nil {
				return err
			}
			if len(chain) == 0 {
				chain = stage.DefaultModels(f.scale)
			}
			for i := range chain {
				chain[i] = f.model(chain[i])
			}
			bs, err := analysis.RunBootstrapping(cmd.Context(), r, chain, loss)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "task %s, chain %s, loss %s\n", f.task, strings.Join(chain, " → "), bs.Loss)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "supervisor\tstudent\ttrained on\tlabel acc\tstudent test acc\t")
			for _, l := range bs.Links {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%.3f\t\n", l.Supervisor, l.Student, l.Set, l.LabelAcc, l.StudentAcc)
			}
			tw.Flush()
			fmt.Fprintf(w, "\nweak %.3f, ceiling %.3f\nbootstrapped: %.3f (PGR %s)\ndirect:       %.3f (PGR %s)\n",
				bs.WeakAcc, bs.CeilingAcc, bs.ChainAcc, bs.ChainPGR, bs.DirectAcc, bs.DirectPGR)
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringSliceVar(&chain, "chain", nil, "models of the chain, weakest first (default: the ladder, as for sweep)")
	cmd.Flags().StringVar(&loss, "loss", "xent", "student loss")
	return cmd
}

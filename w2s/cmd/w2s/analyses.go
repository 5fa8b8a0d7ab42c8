package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// runners makes one stage runner per seed (--seeds, else the scale's).
func (f *experimentFlags) runners(cmd *cobra.Command) ([]*stage.Runner, error) {
	sess, err := f.setup(cmd)
	if err != nil {
		return nil, err
	}
	return sess.Runners(f.task, f.seedList(sess.Budget)...)
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

// pairCmd is a command on one weak→strong pair (--weak, --strong, --loss
// and the experiment flags), over the seeds: run gets the runners and the
// resolved models, and returns what to print.
func pairCmd(use, short string, run func(cmd *cobra.Command, rs []*stage.Runner, weak, strong string, loss losses.Spec) (printer, error)) *cobra.Command {
	var f experimentFlags
	var weak, strong, loss string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ls, err := specs("--loss", []string{loss})
			if err != nil {
				return err
			}
			rs, err := f.runners(cmd)
			if err != nil {
				return err
			}
			w, s := pair(f.scale, weak, strong)
			if err := checkModels(cmd, f.model(w), f.model(s)); err != nil {
				return err
			}
			start := time.Now()
			p, err := run(cmd, rs, f.model(w), f.model(s), ls[0])
			if err != nil {
				return err
			}
			return f.print(cmd, p, start)
		},
	}
	f.add(cmd)
	addPairFlags(cmd, &weak, &strong, &loss)
	return cmd
}

func earlyStopCmd() *cobra.Command {
	return pairCmd("earlystop", "The student's test accuracy during training: final, honest early stopping, and (cheating) best-on-test, over seeds",
		func(cmd *cobra.Command, rs []*stage.Runner, weak, strong string, loss losses.Spec) (printer, error) {
			return analysis.RunEarlyStopping(cmd.Context(), rs, weak, strong, loss)
		})
}

func errorsCmd() *cobra.Command {
	var sourceNames []string
	cmd := pairCmd("errors", "Which weak-label errors does a student copy? Students trained on labels as accurate as their supervisor's but wrong in other ways, over seeds",
		func(cmd *cobra.Command, rs []*stage.Runner, weak, strong string, loss losses.Spec) (printer, error) {
			sources, err := labelSources(sourceNames)
			if err != nil {
				return nil, err
			}
			le, err := analysis.RunLabelErrors(cmd.Context(), rs, weak, strong, loss, sources)
			if err != nil {
				return nil, err
			}
			return labelErrorsReport{le}, nil
		})
	cmd.Long = `Trains the strong student on labels from each --sources source, every one as
accurate on half B as the weak supervisor's labels, class by class:
"supervisor" (its soft probabilities), "supervisor-hard" (their argmax),
"random" (gold labels flipped at random), "bow" (gold flipped on the rows
a bag-of-words model finds hardest), "unsure" (gold flipped on the rows the
supervisor is least confident about). Prints each student's test
accuracy, its difference from the student of the supervisor's hard labels
(paired over test rows and seeds), PGR against the same supervisor and
ceiling, how often it repeats the wrong labels of half B, its calibration
error, and the verdicts of the two questions asked.`
	cmd.Flags().StringSliceVar(&sourceNames, "sources", []string{"supervisor", "supervisor-hard", "random", "bow", "unsure"}, "label sources (see above)")
	return cmd
}

// labelSources parses --sources.
func labelSources(names []string) ([]analysis.LabelSource, error) {
	var out []analysis.LabelSource
	for _, n := range names {
		switch n {
		case "supervisor":
			out = append(out, analysis.LabelSource{Source: stage.SourceSupervisor})
		case "supervisor-hard":
			out = append(out, analysis.LabelSource{Source: stage.SourceSupervisor, Hard: true})
		case stage.SourceRandom, stage.SourceBoW, stage.SourceUnsure:
			out = append(out, analysis.LabelSource{Source: n, Hard: true})
		default:
			return nil, fmt.Errorf("--sources: unknown source %q (want supervisor, supervisor-hard, random, bow, unsure)", n)
		}
	}
	return out, nil
}

// labelErrorsReport is the comparison with its findings as notes.
type labelErrorsReport struct{ le *analysis.LabelErrors }

func (r labelErrorsReport) Table() *table.Table {
	t := r.le.Table()
	for _, f := range []analysis.Finding{r.le.FindRandomErrors(), r.le.FindSoftLabels()} {
		t.Notes = append(t.Notes, fmt.Sprintf("%s: %s (%s)", f.Claim, f.Here(), f.Evidence))
	}
	return t
}

func generativeCmd() *cobra.Command {
	cmd := pairCmd("generative", "A weak→strong experiment with and without generative finetuning on the task's text first, over seeds",
		func(cmd *cobra.Command, rs []*stage.Runner, weak, strong string, loss losses.Spec) (printer, error) {
			return analysis.RunGenerativeComparison(cmd.Context(), rs, weak, strong, loss)
		})
	cmd.Flags().Set("task", "hh_harmless")
	cmd.Flags().Lookup("task").DefValue = "hh_harmless"
	return cmd
}

func promptingCmd() *cobra.Command {
	var f experimentFlags
	var weak, loss string
	var models []string
	var k int
	cmd := &cobra.Command{
		Use:   "prompting",
		Short: "Zero-shot vs few-shot (gold, weak labels) vs finetuning (weak, gold), per model size, over seeds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ls, err := specs("--loss", []string{loss})
			if err != nil {
				return err
			}
			rs, err := f.runners(cmd)
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
			if err := checkModels(cmd, append([]string{f.model(weak)}, models...)...); err != nil {
				return err
			}
			start := time.Now()
			pc, err := analysis.RunPromptingComparison(cmd.Context(), rs, f.model(weak), models, k, ls[0])
			if err != nil {
				return err
			}
			return f.print(cmd, pc, start)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&weak, "weak", "", "weak supervisor whose labels the weak demonstrations and the student use (default: the ladder's first)")
	cmd.Flags().StringSliceVar(&models, "models", nil, "models to prompt and finetune (default: the rest of the ladder; see sweep)")
	cmd.Flags().IntVar(&k, "k", 5, "demonstrations per prompt")
	cmd.Flags().StringVar(&loss, "loss", "xent", "loss of the weak-label finetuning")
	return cmd
}

func bootstrapCmd() *cobra.Command {
	var f experimentFlags
	var chain []string
	var loss string
	cmd := &cobra.Command{
		Use:     "bootstrap",
		Aliases: []string{"chain"},
		Short:   "A chain of sizes, each student labelling fresh data for the next, against direct weak→strong, over seeds",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ls, err := specs("--loss", []string{loss})
			if err != nil {
				return err
			}
			rs, err := f.runners(cmd)
			if err != nil {
				return err
			}
			if len(chain) == 0 {
				chain = stage.DefaultModelsFor(f.task, f.scale)
			}
			for i := range chain {
				chain[i] = f.model(chain[i])
			}
			if err := checkModels(cmd, chain...); err != nil {
				return err
			}
			start := time.Now()
			bs, err := analysis.RunChain(cmd.Context(), rs, chain, ls[0])
			if err != nil {
				return err
			}
			return f.print(cmd, bs, start)
		},
	}
	f.add(cmd)
	cmd.Flags().StringSliceVar(&chain, "chain", nil, "models of the chain, weakest first (default: the ladder, as for sweep)")
	cmd.Flags().StringVar(&loss, "loss", "xent", "student loss")
	return cmd
}

func rewardCmd() *cobra.Command {
	var f experimentFlags
	var models, lossNames []string
	cmd := &cobra.Command{
		Use:   "reward",
		Short: "Reward modelling on hh_harmless: weak→strong pairs × losses × seeds, accuracy = chosen scored above rejected",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ls, err := specs("--losses", lossNames)
			if err != nil {
				return err
			}
			return f.sweep(cmd, "reward", analysis.SweepSpec{Models: models, Losses: ls})
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

// specs reads the losses a flag names, refusing one that losses.New cannot
// read: every flag is checked before anything is computed.
func specs(flag string, names []string) ([]losses.Spec, error) {
	out := make([]losses.Spec, len(names))
	for i, n := range names {
		if _, err := losses.New(n); err != nil {
			if strings.Count(n, "(") != strings.Count(n, ")") {
				return nil, fmt.Errorf("%s: %w (in a list, quote a loss whose parameters hold commas: --losses '\"logconf(alpha=0.5,warmup=0.2)\",xent')", flag, err)
			}
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		out[i] = losses.Spec(n)
	}
	return out, nil
}

// checkModels resolves the ladder models and local checkpoint folders
// among names, so that a model that is not there, or fails its checks, is
// reported before anything is computed. Hugging Face ids are left to be
// downloaded when first used.
func checkModels(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		_, err := os.Stat(n)
		hfID := strings.Count(n, "/") == 1 && !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "/") && !strings.HasPrefix(n, "zoo/")
		if err != nil && hfID {
			continue
		}
		if _, err := zoo.Resolve(cmd.Context(), n); err != nil {
			return err
		}
	}
	return nil
}

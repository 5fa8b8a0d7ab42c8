package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/corpus"
	"github.com/w2s-lab/w2s/w2s/split"
	"github.com/w2s-lab/w2s/w2s/tasks"
)

func dataCmd() *cobra.Command {
	var (
		cfg      split.Config
		corpora  bool
		download bool
		export   string
		scale    string
	)
	cmd := &cobra.Command{
		Use:   "data [task...]",
		Short: "List tasks, where their data comes from, and their split counts",
		Long: `Loads each task (all registered tasks when none is named) from the data
folders ($W2S_DATA, then the cache), or downloads it from the Hugging Face hub
with --download, and prints its source files and the counts of a split:
halves A and B of --n-docs training rows, --n-val validation rows and
--n-test test rows for --seed. With one task it also shows an example.
--export DIR --scale S writes one task's split exactly as the experiments
at scale S and --seed use it, for inspection with other tools.
--corpora lists the pretraining corpora, decontaminated against every
task's test split.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			names := args
			if export != "" {
				if len(names) != 1 || scale == "" {
					return fmt.Errorf("--export needs one task and --scale (the budget whose split it writes)")
				}
				return exportSplits(cmd.Context(), w, names[0], scale, cfg.Seed, export)
			}
			if len(names) == 0 {
				names = tasks.Names()
			}
			opt := tasks.LoadOptions{NoDownload: !download}
			last, err := printTaskSplits(cmd.Context(), w, names, opt, cfg)
			if err != nil {
				return err
			}
			if len(names) == 1 {
				printTaskExample(w, last)
			}
			if corpora {
				return printCorpora(cmd.Context(), w, opt)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.NDocs, "n-docs", 2000, "training rows, halved into A and B")
	f.IntVar(&cfg.NVal, "n-val", 200, "validation rows (weak-labelled later)")
	f.IntVar(&cfg.NTest, "n-test", 1000, "test rows")
	f.BoolVar(&cfg.Balance, "balance", false, "undersample classes to equal counts")
	f.Uint64Var(&cfg.Seed, "seed", 0, "split seed")
	f.BoolVar(&corpora, "corpora", false, "also list the pretraining corpora")
	f.BoolVar(&download, "download", false, "download missing datasets from the Hugging Face hub")
	f.StringVar(&export, "export", "", "write the sets of TASK's split at --scale and --seed (A, B, val, test, tuneA, tuneB) as JSON Lines in the dataset's own fields into this folder")
	f.StringVar(&scale, "scale", "", "with --export: the scale whose budget makes the split (ci, cpu, gpu)")
	return cmd
}

// printTaskSplits prints a table row for the split of each named task and
// returns the last task's split.
func printTaskSplits(ctx context.Context, w io.Writer, names []string, opt tasks.LoadOptions, cfg split.Config) (*split.TaskSplit, error) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "task\tkind\tlabels\tpool\ttest\tA\tB\tval\ttest used\tsource")
	var last *split.TaskSplit
	for _, n := range names {
		ts, err := split.LoadTask(ctx, n, opt, cfg)
		if err != nil {
			return nil, err
		}
		d, s := ts.Data, ts.Splits
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", n, d.Task.Kind, d.Task.NumClasses(),
			len(d.Pool), len(d.Test), s.Counts.A, s.Counts.B, s.Counts.Val, s.Counts.Test, d.Source())
		last = ts
	}
	return last, tw.Flush()
}

// printTaskExample describes a task, its split counts and the first
// example of half A.
func printTaskExample(w io.Writer, ts *split.TaskSplit) {
	t := ts.Data.Task
	fmt.Fprintf(w, "\n%s: %s\nlabels %v, label words %v\n%s", t.Name, t.Description, t.Labels, t.LabelWords, ts.Splits.Counts)
	ex := ts.Splits.A[0]
	fmt.Fprintf(w, "\nexample %s (label %d = %s):\n", ex.ID, ex.Label, t.Labels[ex.Label])
	if len(ex.Candidates) > 0 {
		for i, c := range ex.Candidates {
			fmt.Fprintf(w, "--- candidate %d ---\n%s\n", i, clip(c, 600))
		}
	} else {
		fmt.Fprintln(w, clip(ex.Text, 600))
	}
}

// printCorpora lists the pretraining corpora after decontamination.
func printCorpora(ctx context.Context, w io.Writer, opt tasks.LoadOptions) error {
	docs, st, err := corpus.Load(ctx, corpus.Names(), opt, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\npretraining corpora (decontaminated: documents sharing a %d-word span with any test text dropped)\n", corpus.NGram)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "corpus\tdocuments\tMB\tdropped\tdescription")
	for _, n := range corpus.Names() {
		c, _ := corpus.Get(n)
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%s\n", n, st.Docs[n], float64(st.Bytes[n])/1e6, st.Contaminated[n], c.Description)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d documents in all\n", len(docs))
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + " …"
}

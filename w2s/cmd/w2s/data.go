package main

import (
	"fmt"
	"path/filepath"
	"strings"
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
	)
	cmd := &cobra.Command{
		Use:   "data [task...]",
		Short: "List tasks, where their data comes from, and their split counts",
		Long: `Loads each task (all registered tasks when none is named) from the data
folders ($W2S_DATA, then the cache), or downloads it from the Hugging Face hub
with --download, and prints its source files and the counts of a split:
halves A and B of --n-docs training rows, --n-val validation rows and
--n-test test rows for --seed. With one task it also shows an example.
--corpora lists the pretraining corpora, decontaminated against every
task's test split.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			names := args
			if len(names) == 0 {
				names = tasks.Names()
			}
			opt := tasks.LoadOptions{NoDownload: !download}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "task\tkind\tlabels\tpool\ttest\tA\tB\tval\ttest used\tsource")
			var last *tasks.Data
			var lastSplit *split.Splits
			for _, n := range names {
				d, err := tasks.Load(cmd.Context(), n, opt)
				if err != nil {
					return err
				}
				c := cfg
				c.NDocs = min(c.NDocs, len(d.Pool)-c.NVal)
				s, err := split.Make(d.Pool, d.Test, d.Task.NumClasses(), c)
				if err != nil {
					return fmt.Errorf("task %s: %w", n, err)
				}
				var files []string
				for _, f := range d.Files {
					files = append(files, filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f))
				}
				source := strings.Join(files, ", ")
				if d.Carved {
					source += fmt.Sprintf(" (test carved: %.0f%%)", 100*d.Task.CarveTest)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", n, d.Task.Kind, d.Task.NumClasses(),
					len(d.Pool), len(d.Test), s.Counts.A, s.Counts.B, s.Counts.Val, s.Counts.Test, source)
				last, lastSplit = d, s
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(names) == 1 {
				t := last.Task
				fmt.Fprintf(w, "\n%s: %s\nlabels %v, label words %v\n%s", t.Name, t.Description, t.Labels, t.LabelWords, lastSplit.Counts)
				ex := lastSplit.A[0]
				fmt.Fprintf(w, "\nexample %s (label %d = %s):\n", ex.ID, ex.Label, t.Labels[ex.Label])
				if len(ex.Candidates) > 0 {
					for i, c := range ex.Candidates {
						fmt.Fprintf(w, "--- candidate %d ---\n%s\n", i, clip(c, 600))
					}
				} else {
					fmt.Fprintln(w, clip(ex.Text, 600))
				}
			}
			if corpora {
				docs, st, err := corpus.Load(cmd.Context(), corpus.Names(), opt, true)
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
	return cmd
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + " …"
}

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/corpus"
	"github.com/w2s-lab/w2s/w2s/split"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

func dataCmd() *cobra.Command {
	var (
		cfg      split.Config
		corpora  bool
		download bool
		export   string
		scale    string
		markdown bool
	)
	cmd := &cobra.Command{
		Use:   "data [task...]",
		Short: "List tasks, their framing, where their data comes from, and their split counts",
		Long: `Loads each task (all registered tasks when none is named) from the data
folders ($W2S_DATA, then the cache), or downloads it from the Hugging Face hub
with --download, and prints its framing, source files, training pool, test
rows with their classes and the accuracy of always answering the majority
class, and the counts of a split: halves A and B of --n-docs training rows
(fewer when the pool is smaller), --n-val validation rows and --n-test test
rows for --seed. With one task it also shows an example.
--markdown prints the table of the README's Data section instead.
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
			if markdown {
				return printTaskMarkdown(cmd.Context(), w, names, opt)
			}
			last, err := printTaskSplits(cmd.Context(), w, names, opt, cfg)
			if err != nil {
				return err
			}
			if len(names) == 1 {
				printTaskExample(w, last)
			}
			if len(args) == 0 {
				fmt.Fprintf(w, "\nand %s: the first move of a Lichess puzzle, generated (not a class); its models are the chess ladder (--scale chess-%s for w2s zoo); split by game; see w2s/chess/README.md and w2s sweep --task %s\n",
					stage.ChessTask, zoo.ActiveScale(), stage.ChessTask)
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
	f.BoolVar(&markdown, "markdown", false, "print the README's table of tasks (Markdown) instead")
	return cmd
}

// testStats describes a task's whole test set as experiments score it
// (deduplicated): its rows, the rows of each class, and the accuracy of
// always answering the most common class.
type testStats struct {
	rows     int
	classes  []int
	majority float64
}

func statsOf(d *tasks.Data) testStats {
	test := split.TestSet(d.Test, 0)
	st := testStats{rows: len(test), classes: make([]int, d.Task.NumClasses())}
	for _, e := range test {
		st.classes[e.Label]++
	}
	most := 0
	for _, n := range st.classes {
		most = max(most, n)
	}
	if st.rows > 0 {
		st.majority = float64(most) / float64(st.rows)
	}
	return st
}

// classList writes class counts as "446/462".
func classList(counts []int) string {
	parts := make([]string, len(counts))
	for i, n := range counts {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, "/")
}

// poolNote says what left the pool: rows sharing a group (or a phrase)
// with test rows, and records the framing leaves out.
func poolNote(d *tasks.Data) string {
	var notes []string
	if d.Leaked > 0 {
		notes = append(notes, fmt.Sprintf("%d more dropped: they share a group with test rows", d.Leaked))
	}
	if d.Skipped > 0 {
		notes = append(notes, fmt.Sprintf("%d records left out by the framing", d.Skipped))
	}
	if len(notes) == 0 {
		return ""
	}
	return " (" + strings.Join(notes, "; ") + ")"
}

// printTaskSplits prints a table row for the split of each named task and
// returns the last task's split.
func printTaskSplits(ctx context.Context, w io.Writer, names []string, opt tasks.LoadOptions, cfg split.Config) (*split.TaskSplit, error) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "task\tlabels\tpool\ttest\ttest per class\tmajority\tA\tB\tval\ttest used\tsource\tframing")
	var last *split.TaskSplit
	for _, n := range names {
		ts, err := split.LoadTask(ctx, n, opt, cfg)
		if err != nil {
			return nil, err
		}
		d, s := ts.Data, ts.Splits
		st := statsOf(d)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.3f\t%d\t%d\t%d\t%d\t%s\t%s\n", n, strings.Join(d.Task.Labels, ", "),
			len(d.Pool), st.rows, classList(st.classes), st.majority, s.Counts.A, s.Counts.B, s.Counts.Val, s.Counts.Test, d.Source(), d.Task.Framing)
		last = ts
	}
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "%d tasks; pool: training rows before the split; test: rows after removing duplicates; majority: accuracy of always answering the test set's most common class\n", len(names))
	return last, nil
}

// printTaskMarkdown prints the README's table of tasks.
func printTaskMarkdown(ctx context.Context, w io.Writer, names []string, opt tasks.LoadOptions) error {
	fmt.Fprintln(w, "| task | labels (0 / 1 / …) | framing | source split(s) | training pool | test rows | majority-class accuracy |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, n := range names {
		d, err := tasks.Load(ctx, n, opt)
		if err != nil {
			return err
		}
		st := statsOf(d)
		fmt.Fprintf(w, "| `%s` | %s | %s | %s | %d%s | %d (%s) | %.3f |\n", n, strings.Join(d.Task.Labels, " / "), d.Task.Framing,
			sourceSplits(d), len(d.Pool), poolNote(d), st.rows, classList(st.classes), st.majority)
	}
	return nil
}

// sourceSplits says in Markdown which files hold the pool and the test
// set, or which share of the pool was carved out as the test set.
func sourceSplits(d *tasks.Data) string {
	quote := func(files []string) string {
		names := d.FileNames(files)
		for i, n := range names {
			names[i] = "`" + n + "`"
		}
		return strings.Join(names, " + ")
	}
	if d.Carved {
		return fmt.Sprintf("%s, %.0f%% carved out as test by content hash", quote(d.Files), 100*d.Task.CarveTest)
	}
	return fmt.Sprintf("pool %s; test %s", quote(d.Files[:len(d.Files)-len(d.TestFiles)]), quote(d.TestFiles))
}

// printTaskExample describes a task, its split counts and the first
// example of half A.
func printTaskExample(w io.Writer, ts *split.TaskSplit) {
	t := ts.Data.Task
	fmt.Fprintf(w, "\n%s: %s\nframing: %s\nlabels %v, label words %v\npool %d rows%s\n%s", t.Name, t.Description, t.Framing, t.Labels, t.LabelWords,
		len(ts.Data.Pool), poolNote(ts.Data), ts.Splits.Counts)
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

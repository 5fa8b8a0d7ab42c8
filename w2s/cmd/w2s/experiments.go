package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/w2s-lab/w2s/w2s"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// experimentFlags are shared by run and sweep.
type experimentFlags struct {
	task, scale, out string
	seeds            []uint
	probe            bool
	head             string // --head: what the classification head reads ("" the scale's)
	plots            string
	file             fileTaskFlags
	weak             string // sweep --weak: one supervisor for every model
}

// fileTaskFlags describe a task of your own: --task file:PATH.
type fileTaskFlags struct {
	test, text, label, chosen, rejected string
	labels, words                       []string
}

func (ff *fileTaskFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&ff.test, "test-file", "", "with --task file:PATH: the test set's file (default: 20% of PATH carved out by content)")
	cmd.Flags().StringVar(&ff.text, "text-field", "text", "with --task file:PATH: the field holding each input text")
	cmd.Flags().StringVar(&ff.label, "label-field", "label", "with --task file:PATH: the field holding each integer label")
	cmd.Flags().StringSliceVar(&ff.labels, "labels", nil, "with --task file:PATH: the class names in label order (0, 1, …), e.g. ham,spam")
	cmd.Flags().StringSliceVar(&ff.words, "label-words", nil, "with --task file:PATH: what a language model says for each class (prompting; default the names)")
	cmd.Flags().StringVar(&ff.chosen, "chosen-field", "", "with --task file:PATH: preference pairs: the chosen reply's field (with --rejected-field)")
	cmd.Flags().StringVar(&ff.rejected, "rejected-field", "", "with --task file:PATH: preference pairs: the rejected reply's field")
}

// register registers every file:PATH task of a comma-separated list.
func (ff *fileTaskFlags) register(taskList string) error {
	for _, name := range strings.Split(taskList, ",") {
		path, ok := strings.CutPrefix(name, "file:")
		if !ok {
			continue
		}
		spec := tasks.FileSpec{Name: name, Train: path, Test: ff.test, TextField: ff.text, LabelField: ff.label,
			Labels: ff.labels, LabelWords: ff.words, ChosenField: ff.chosen, RejectedField: ff.rejected}
		if _, err := tasks.RegisterFile(spec); err != nil {
			return err
		}
	}
	return nil
}

// writable makes dir (when not "") and checks that a file can be written
// in it.
func writable(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".w2s-write-check-*")
	if err != nil {
		return fmt.Errorf("output folder %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// warnSameModel says when a sweep pairs a model with itself: that is
// self-training, where the ceiling equals the student's starting point.
func warnSameModel(cmd *cobra.Command, spec analysis.SweepSpec) {
	for _, p := range spec.PairIndices() {
		if w := spec.Models[p[0]]; w == spec.Models[p[1]] {
			fmt.Fprintf(cmd.ErrOrStderr(), "w2s: note: weak and strong are the same model (%s): this is self-training, not weak-to-strong\n", w)
		}
	}
}

// printer is an analysis result with a table.
type printer interface{ Table() *table.Table }

// print writes an analysis's table and what it took.
func (f *experimentFlags) print(cmd *cobra.Command, p printer, start time.Time) error {
	if err := p.Table().WriteText(cmd.OutOrStdout()); err != nil {
		return err
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "scale %s, %s\n", f.scale, time.Since(start).Round(time.Second))
	return err
}

// seedList is --seeds, else the budget's seeds.
func (f *experimentFlags) seedList(b stage.Budget) []uint64 {
	if len(f.seeds) == 0 {
		return b.Seeds
	}
	out := make([]uint64, len(f.seeds))
	for i, s := range f.seeds {
		out[i] = uint64(s)
	}
	return out
}

// slug names a task in file and folder names: a file task by its file.
func slug(task string) string {
	if path, ok := strings.CutPrefix(task, "file:"); ok {
		base := filepath.Base(path)
		for _, suffix := range []string{".jsonl.gz", ".jsonl", ".parquet"} {
			base = strings.TrimSuffix(base, suffix)
		}
		return "file-" + base
	}
	return task
}

func (f *experimentFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.task, "task", "sst2", "task (see `w2s data`)")
	cmd.Flags().StringVar(&f.scale, "scale", "", "ci, cpu or gpu: the ladder of zoo/ names and the budget (default $W2S_SCALE, else cpu)")
	cmd.Flags().UintSliceVar(&f.seeds, "seeds", nil, "split and training seeds (default: the scale's)")
	cmd.Flags().BoolVar(&f.probe, "probe", false, "linear probes on frozen features instead of full finetuning")
	cmd.Flags().StringVar(&f.head, "head", "", "what the classification head reads: last (the last real token, as the paper) or mean (the mean over tokens); default the scale's")
	f.file.add(cmd)
}

// addOutputs declares where the sweep-like commands write their results.
func (f *experimentFlags) addOutputs(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.out, "out", "", "folder for results.csv and results.json (default runs/<command>-<task>-<scale>)")
	cmd.Flags().StringVar(&f.plots, "plots", "", "also save the charts (accuracy per loss, PGR by loss) as PNG and SVG in this folder")
}

// resolve expands zoo/SIZE to the flag's scale.
func (f *experimentFlags) model(name string) string {
	if rest, ok := strings.CutPrefix(name, "zoo/"); ok && !strings.Contains(rest, "/") {
		return "zoo/" + f.scale + "/" + rest
	}
	return name
}

// setup resolves the scale and returns a maker of stage runners on the
// command's backend and the default store, with progress on the terminal.
func (f *experimentFlags) setup(cmd *cobra.Command) (analysis.NewRunner, stage.Budget, error) {
	if f.scale == "" {
		f.scale = zoo.ActiveScale()
	}
	if err := f.file.register(f.task); err != nil {
		return nil, stage.Budget{}, err
	}
	budget, err := stage.BudgetFor(f.scale)
	if err != nil {
		return nil, budget, err
	}
	switch f.head {
	case "", "last", "mean":
	default:
		return nil, budget, fmt.Errorf("--head %q: want last or mean", f.head)
	}
	b, _, err := openBackend(cmd)
	if err != nil {
		return nil, budget, err
	}
	st, err := store.Open("")
	if err != nil {
		return nil, budget, err
	}
	return func(task, scale string, seed uint64) (*stage.Runner, error) {
		r, err := stage.NewRunner(task, scale, seed)
		if err != nil {
			return nil, err
		}
		r.Backend, r.Store, r.Log = b, st, cmd.ErrOrStderr()
		r.Budget.Probe = f.probe
		if f.head != "" {
			r.Budget = r.Budget.WithHead(f.head)
		}
		r.Progress = func(desc string) train.Progress { return w2s.TerminalProgress(os.Stderr, desc) }
		return r, nil
	}, budget, nil
}

func lossList(ls []losses.Spec) string {
	var names []string
	for _, l := range ls {
		names = append(names, l.Short())
	}
	return strings.Join(names, ", ")
}

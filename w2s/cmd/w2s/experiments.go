package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/w2s-lab/w2s/w2s"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/plots"
	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// experimentFlags are shared by run and sweep.
type experimentFlags struct {
	task, scale, out string
	seeds            []uint
	probe            bool
	plots            string
	file             fileTaskFlags
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

// printer is an analysis result that prints itself.
type printer interface{ Table(io.Writer) error }

// print writes an analysis's table and what it took.
func (f *experimentFlags) print(cmd *cobra.Command, p printer, start time.Time) error {
	if err := p.Table(cmd.OutOrStdout()); err != nil {
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
		r.Progress = func(desc string) train.Progress { return w2s.TerminalProgress(os.Stderr, desc) }
		return r, nil
	}, budget, nil
}

func (f *experimentFlags) sweep(cmd *cobra.Command, name string, spec analysis.SweepSpec) error {
	newRunner, budget, err := f.setup(cmd)
	if err != nil {
		return err
	}
	_, err = f.sweepResults(cmd, name, spec, newRunner, budget)
	return err
}

// sweepResults runs the sweep of f.task with runners from newRunner, prints
// its table and writes its results (and charts, with --plots).
func (f *experimentFlags) sweepResults(cmd *cobra.Command, name string, spec analysis.SweepSpec, newRunner analysis.NewRunner, budget stage.Budget) (*analysis.Sweep, error) {
	spec.Task, spec.Scale, spec.Probe = f.task, f.scale, f.probe
	if len(spec.Models) == 0 {
		spec.Models = stage.DefaultModels(f.scale)
	}
	for i, m := range spec.Models {
		spec.Models[i] = f.model(m)
	}
	spec.Seeds = f.seedList(budget)
	w := cmd.OutOrStdout()
	mode := "full finetuning"
	if f.probe {
		mode = "linear probes"
	}
	if budget.Pool == "mean" {
		mode += ", head on the mean over tokens"
	}
	fmt.Fprintf(w, "%s: task %s, scale %s (%s; at most %d training rows and %d test rows, see the split line), models %s, losses %s, seeds %v\n",
		name, f.task, f.scale, mode, budget.NDocs, budget.NTest, strings.Join(spec.Models, ", "), lossList(spec.Losses), spec.Seeds)
	// Where results go is checked first: an unwritable folder is found now,
	// not after the whole experiment.
	out := f.out
	if out == "" {
		out = filepath.Join("runs", fmt.Sprintf("%s-%s-%s", name, slug(f.task), f.scale))
	}
	for _, dir := range []string{out, f.plots} {
		if err := writable(dir); err != nil {
			return nil, err
		}
	}
	warnSameModel(cmd, spec)
	start := time.Now()
	sw, err := analysis.RunSweep(cmd.Context(), spec, newRunner, func(r *stage.Result) {
		fmt.Fprintf(cmd.ErrOrStderr(), "done: %s → %s, %s, seed %d: weak %.3f student %.3f ceiling %.3f (%s)\n",
			zoo.Short(r.WeakModel), zoo.Short(r.StrongModel), r.Loss.Short(), r.Seed, r.Weak.Accuracy, r.Student.Accuracy, r.Ceiling.Accuracy,
			time.Since(start).Round(time.Second))
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(w)
	if err := sw.Table(w); err != nil {
		return nil, err
	}
	if r := sw.Rows[0]; true {
		fmt.Fprintf(w, "\nsplit (seed %d): A %d, B %d, val %d, test %d; inputs longer than %d tokens truncated (%s side): %d in the first student's half\n",
			r.Seed, r.Counts.A, r.Counts.B, r.Counts.Val, r.Counts.Test, budget.MaxLen, budget.Truncate, r.Truncated)
	}
	if err := sw.WriteCSV(filepath.Join(out, "results.csv")); err != nil {
		return nil, err
	}
	if err := sw.WriteJSON(filepath.Join(out, "results.json")); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "%d experiments in %s; results in %s/results.{csv,json}\n", len(sw.Rows), time.Since(start).Round(time.Second), out)
	if f.plots != "" {
		figs := map[string]func() (*plots.Figure, error){}
		if len(spec.Losses) > 1 {
			figs["losses"] = func() (*plots.Figure, error) { return plots.LossComparison(sw) }
		}
		for _, loss := range spec.Losses {
			figs["accuracy-"+loss.Short()] = func() (*plots.Figure, error) { return plots.AccuracyVsCompute(sw, loss) }
			figs["pgr-"+loss.Short()] = func() (*plots.Figure, error) { return plots.PGRVsCompute(sw, loss) }
		}
		for name, mk := range figs {
			fig, err := mk()
			if err != nil {
				return nil, err
			}
			for _, ext := range []string{".png", ".svg"} {
				path := filepath.Join(f.plots, fmt.Sprintf("%s-%s-%s%s", name, slug(f.task), f.scale, ext))
				if err := atomicfile.Write(path, func(w io.Writer) error { return fig.WriteTo(w, strings.TrimPrefix(ext, ".")) }); err != nil {
					return nil, err
				}
			}
		}
		fmt.Fprintf(w, "charts in %s\n", f.plots)
	}
	return sw, nil
}

func runCmd() *cobra.Command {
	var f experimentFlags
	var weak, strong, loss string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "One weak→strong experiment: supervisor, weak labels, student, ceiling, PGR",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.scale == "" {
				f.scale = zoo.ActiveScale()
			}
			weak, strong := pair(f.scale, weak, strong)
			return f.sweep(cmd, "run", analysis.SweepSpec{Models: []string{weak, strong}, Losses: specs([]string{loss})})
		},
	}
	f.add(cmd)
	f.addOutputs(cmd)
	addPairFlags(cmd, &weak, &strong, &loss)
	return cmd
}

func sweepCmd() *cobra.Command {
	var f experimentFlags
	var models, lossNames []string
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Every weak→strong pair of the models × losses × seeds, with a summary table",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			taskNames := strings.Split(f.task, ",")
			if len(taskNames) == 1 {
				return f.sweep(cmd, "sweep", analysis.SweepSpec{Models: models, Losses: specs(lossNames)})
			}
			return f.sweepTasks(cmd, taskNames, models, lossNames)
		},
	}
	f.add(cmd)
	f.addOutputs(cmd)
	cmd.Flags().StringSliceVar(&models, "models", nil, "models from weakest to strongest (default: zoo xs, s, m at scale cpu; xs, m, xl otherwise)")
	cmd.Flags().StringSliceVar(&lossNames, "losses", []string{"xent", "logconf"}, "student losses")
	cmd.Flags().Lookup("task").Usage = "task, or tasks separated by commas: each is swept, then the medians over tasks are printed (see `w2s data`)"
	return cmd
}

// sweepTasks sweeps each task in turn, then prints and writes the medians
// over tasks of each (weak, strong, loss), as the paper reports NLP tasks.
func (f *experimentFlags) sweepTasks(cmd *cobra.Command, taskNames, models, lossNames []string) error {
	for i, task := range taskNames {
		taskNames[i] = strings.TrimSpace(task)
		if slices.Contains(taskNames[:i], taskNames[i]) {
			return fmt.Errorf("--task: %s twice", taskNames[i])
		}
	}
	newRunner, budget, err := f.setup(cmd) // one backend and store for every task
	if err != nil {
		return err
	}
	var sweeps []*analysis.Sweep
	out := f.out
	for _, task := range taskNames {
		g := *f
		g.task = task
		if out != "" {
			g.out = filepath.Join(out, g.task)
		}
		sw, err := g.sweepResults(cmd, "sweep", analysis.SweepSpec{Models: slices.Clone(models), Losses: specs(lossNames)}, newRunner, budget)
		if err != nil {
			return err
		}
		sweeps = append(sweeps, sw)
		fmt.Fprintln(cmd.OutOrStdout())
	}
	ms, err := analysis.MedianOverTasks(sweeps)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "medians over %d tasks (each task's PGR from its seed-averaged accuracies)\n", len(sweeps))
	if err := analysis.TaskMedianTable(w, ms); err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join("runs", fmt.Sprintf("sweep-%d-tasks-%s", len(sweeps), f.scale))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(out, "medians.json")
	if err := analysis.WriteTaskMedians(path, ms); err != nil {
		return err
	}
	fmt.Fprintf(w, "medians in %s\n", path)
	return nil
}

func cacheCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cache", Short: "List, size and clean the artifact store"}
	var kind string
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List stored artifacts (and leftovers of interrupted stages)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := store.Open("")
			if err != nil {
				return err
			}
			entries, err := st.List(kind)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "kind\tkey\tsize\tcreated\tstate\tspec")
			for _, e := range entries {
				state := "ok"
				if e.Leftover {
					state = "leftover"
				} else if e.Err != nil {
					state = "corrupt: " + e.Err.Error()
				}
				spec := string(e.Spec)
				if len(spec) > 100 {
					spec = spec[:100] + "…"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Kind, e.Key, humanize.IBytes(uint64(e.Bytes)), e.Created.Format(time.DateTime), state, spec)
			}
			return tw.Flush()
		},
	}
	ls.Flags().StringVar(&kind, "kind", "", "only this kind (features, trained, predictions)")
	du := &cobra.Command{
		Use:   "du",
		Short: "Disk use of the artifact store, per kind",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := store.Open("")
			if err != nil {
				return err
			}
			entries, err := st.List("")
			if err != nil {
				return err
			}
			sizes, counts := map[string]int64{}, map[string]int{}
			var kinds []string
			var total int64
			for _, e := range entries {
				if _, ok := sizes[e.Kind]; !ok {
					kinds = append(kinds, e.Kind)
				}
				sizes[e.Kind] += e.Bytes
				counts[e.Kind]++
				total += e.Bytes
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
			for _, k := range kinds {
				fmt.Fprintf(tw, "%s\t%d artifacts\t%s\t\n", k, counts[k], humanize.IBytes(uint64(sizes[k])))
			}
			fmt.Fprintf(tw, "total\t%d artifacts\t%s\t\n", len(entries), humanize.IBytes(uint64(total)))
			fmt.Fprintf(tw, "store\t%s\t\t\n", st.Root)
			return tw.Flush()
		},
	}
	var olderThan time.Duration
	gc := &cobra.Command{
		Use:   "gc",
		Short: "Remove corrupt artifacts, leftovers of interrupted stages, and (with --older-than) old artifacts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := store.Open("")
			if err != nil {
				return err
			}
			removed, inUse, err := st.GC(olderThan)
			var freed int64
			for _, e := range removed {
				freed += e.Bytes
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s/%s (%s)\n", e.Kind, e.Key, humanize.IBytes(uint64(e.Bytes)))
			}
			for _, e := range inUse {
				fmt.Fprintf(cmd.OutOrStdout(), "kept %s/%s: in use by a running process\n", e.Kind, e.Key)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d removed, %s freed, %d in use kept\n", len(removed), humanize.IBytes(uint64(freed)), len(inUse))
			return err
		},
	}
	gc.Flags().DurationVar(&olderThan, "older-than", 0, "also remove artifacts created longer ago than this (e.g. 720h)")
	cmd.AddCommand(ls, du, gc)
	return cmd
}

func lossList(ls []losses.Spec) string {
	var names []string
	for _, l := range ls {
		names = append(names, l.Short())
	}
	return strings.Join(names, ", ")
}

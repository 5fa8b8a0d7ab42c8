package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/slurm"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// experimentFlags are shared by run and sweep.
type experimentFlags struct {
	task, scale, out string
	taskFiles        []string // --task-file: one path each
	seeds            []uint
	probe            bool
	shuffled         bool   // --shuffled-batches
	head             string // --head: what the classification head reads ("" the scale's)
	plots            string
	file             fileTaskFlags
	weak             string // sweep --weak: one supervisor for every model
	multi            bool   // the command takes several tasks (sweep)

	cmd   *cobra.Command // the command, to tell a given --task from its default and to print
	names []string       // the parsed tasks, once taskNames has run
}

// fileTaskFlags describe a task of your own: --task file:PATH.
type fileTaskFlags struct {
	test, text, label, chosen, rejected string
	labels, words                       []string
}

func (ff *fileTaskFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&ff.test, "test-file", "", "with a file task: the test set's file (default: 20% of the task's file carved out by content)")
	cmd.Flags().StringVar(&ff.text, "text-field", "text", "with a file task: the field holding each input text")
	cmd.Flags().StringVar(&ff.label, "label-field", "label", "with a file task: the field holding each integer label")
	cmd.Flags().StringSliceVar(&ff.labels, "labels", nil, "with a file task: the class names in label order (0, 1, …), e.g. ham,spam (default: \"0\", \"1\", … up to the largest label in the data)")
	cmd.Flags().StringSliceVar(&ff.words, "label-words", nil, "with a file task: what a language model says for each class (prompting; default the names)")
	cmd.Flags().StringVar(&ff.chosen, "chosen-field", "", "with a file task: preference pairs: the chosen reply's field (with --rejected-field)")
	cmd.Flags().StringVar(&ff.rejected, "rejected-field", "", "with a file task: preference pairs: the rejected reply's field")
}

// fileTask is how the Slurm units of a file task read it: with the same
// fields, labels and test file as here.
func (ff *fileTaskFlags) fileTask() slurm.FileTask {
	test := ff.test
	if test != "" {
		if abs, err := filepath.Abs(test); err == nil {
			test = abs // array tasks may start in another folder
		}
	}
	return slurm.FileTask{Test: test, TextField: ff.text, LabelField: ff.label, ChosenField: ff.chosen, RejectedField: ff.rejected,
		Labels: ff.labels, LabelWords: ff.words}
}

// fileTaskFlagsOf are the flags a unit's file task was planned with; the
// fields it does not name are the flags' defaults.
func fileTaskFlagsOf(ft slurm.FileTask) fileTaskFlags {
	ff := fileTaskFlags{test: ft.Test, text: ft.TextField, label: ft.LabelField, chosen: ft.ChosenField, rejected: ft.RejectedField,
		labels: ft.Labels, words: ft.LabelWords}
	if ff.text == "" {
		ff.text = "text"
	}
	if ff.label == "" {
		ff.label = "label"
	}
	return ff
}

// register registers every file:PATH task among names, and says on log
// which classes were read from the data when --labels named none.
func (ff *fileTaskFlags) register(names []string, log io.Writer) error {
	for _, name := range names {
		path, ok := strings.CutPrefix(name, "file:")
		if !ok {
			continue
		}
		spec := tasks.FileSpec{Name: name, Train: path, Test: ff.test, TextField: ff.text, LabelField: ff.label,
			Labels: ff.labels, LabelWords: ff.words, ChosenField: ff.chosen, RejectedField: ff.rejected}
		t, err := tasks.RegisterFile(spec)
		if err != nil {
			return err
		}
		if len(ff.labels) == 0 && t.Kind == tasks.Classification {
			fmt.Fprintf(log, "w2s: %s: %d classes found in its labels, named %s (--labels names them)\n", name, len(t.Labels), strings.Join(t.Labels, ", "))
		}
	}
	return nil
}

// splitTasks splits a --task list at the commas that no backslash escapes:
// in a name, `\,` is a comma and `\\` a backslash. Spaces around a name
// are dropped.
func splitTasks(list string) ([]string, error) {
	var names []string
	var cur strings.Builder
	end := func() error {
		name := strings.TrimSpace(cur.String())
		if name == "" {
			return fmt.Errorf("--task %q: an empty name in the list", list)
		}
		names = append(names, name)
		cur.Reset()
		return nil
	}
	for i := 0; i < len(list); i++ {
		switch c := list[i]; {
		case c == '\\' && i+1 < len(list) && (list[i+1] == ',' || list[i+1] == '\\'):
			cur.WriteByte(list[i+1])
			i++
		case c == ',':
			if err := end(); err != nil {
				return nil, err
			}
		default:
			cur.WriteByte(c)
		}
	}
	if err := end(); err != nil {
		return nil, err
	}
	return names, nil
}

// taskNames parses the tasks of the command: --task, a list split by
// splitTasks, and every --task-file PATH as the task file:PATH. With
// --task-file, --task adds tasks only when it is given. It registers the
// file tasks and refuses a task named twice, and several tasks where the
// command runs one; with one task, f.task becomes its name.
func (f *experimentFlags) taskNames() ([]string, error) {
	if f.names != nil {
		return f.names, nil
	}
	var names []string
	if len(f.taskFiles) == 0 || (f.cmd != nil && f.cmd.Flags().Changed("task")) {
		var err error
		if names, err = splitTasks(f.task); err != nil {
			return nil, err
		}
		for _, n := range names {
			if path, ok := strings.CutPrefix(n, "file:"); ok && strings.Contains(f.task, ",") && !strings.Contains(f.task, `\,`) {
				if _, err := os.Stat(path); err != nil {
					return nil, fmt.Errorf("--task %q: %s does not exist; the list is split at commas: write a comma in a file name as \\, or give the file with --task-file PATH", f.task, path)
				}
			}
		}
	}
	for _, p := range f.taskFiles {
		names = append(names, "file:"+p)
	}
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return nil, fmt.Errorf("--task: %s twice", n)
		}
	}
	if len(names) > 1 && !f.multi {
		return nil, fmt.Errorf("--task: this command runs one task, not %d (sweep takes several)", len(names))
	}
	log := io.Discard
	if f.cmd != nil {
		log = f.cmd.ErrOrStderr()
	}
	if err := f.file.register(names, log); err != nil {
		return nil, err
	}
	if len(names) == 1 {
		f.task = names[0]
	}
	f.names = names
	return names, nil
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

// seedList is --seeds, else the budget's seeds for the task.
func (f *experimentFlags) seedList(b stage.Budget) []uint64 {
	if len(f.seeds) == 0 {
		return b.SeedsFor(f.task)
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
	f.cmd = cmd
	cmd.Flags().StringVar(&f.task, "task", "sst2", "task (see `w2s data`), or file:PATH, a dataset of your own (a comma in PATH is written \\,)")
	cmd.Flags().StringArrayVar(&f.taskFiles, "task-file", nil, "a dataset of your own as a task, named file:PATH: any file name, commas included (repeatable where the command takes several tasks)")
	cmd.Flags().StringVar(&f.scale, "scale", "", "ci, cpu or gpu: the ladder of zoo/ names and the budget (default $W2S_SCALE, else cpu)")
	cmd.Flags().UintSliceVar(&f.seeds, "seeds", nil, "split and training seeds (default: the scale's)")
	cmd.Flags().BoolVar(&f.probe, "probe", false, "linear probes on frozen features instead of full finetuning")
	cmd.Flags().BoolVar(&f.shuffled, "shuffled-batches", false, "draw training batches as plain shuffles instead of grouping rows of similar length (a diagnostic: results should agree within their intervals)")
	cmd.Flags().StringVar(&f.head, "head", "", "what the classification head reads: last (the last real token, as the paper) or mean (the mean over tokens); default the scale's")
	f.file.add(cmd)
}

// addOutputs declares where the sweep-like commands write their results.
func (f *experimentFlags) addOutputs(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.out, "out", "", "folder for results.csv and results.json (default runs/<command>-<task>-<scale>)")
	cmd.Flags().StringVar(&f.plots, "plots", "", "also save the charts (accuracy per loss, PGR by loss) as PNG and SVG in this folder")
}

// model expands zoo/SIZE to the flag's scale (zoo.Expand).
func (f *experimentFlags) model(name string) string {
	if stage.IsChess(f.task) {
		return zoo.Expand(zoo.ChessScale(f.scale), name)
	}
	return zoo.Expand(f.scale, name)
}

// setup resolves the scale and opens the command's session (newSession)
// with --head, --probe and --shuffled-batches in its budget.
func (f *experimentFlags) setup(cmd *cobra.Command) (*stage.Session, error) {
	if f.scale == "" {
		f.scale = zoo.ActiveScale()
	}
	if _, err := f.taskNames(); err != nil {
		return nil, err
	}
	switch f.head {
	case "", "last", "mean":
	default:
		return nil, fmt.Errorf("--head %q: want last or mean", f.head)
	}
	sess, err := newSession(cmd, f.scale)
	if err != nil {
		return nil, err
	}
	if f.head != "" {
		sess.Budget = sess.Budget.WithHead(f.head)
	}
	sess.Budget.Probe, sess.Budget.Shuffled = f.probe, f.shuffled
	return sess, nil
}

// newSession opens the session of a command at a scale ("": the active
// one): the scale's budget, the --backend backend, the default store, the
// log on standard error and progress on the terminal.
func newSession(cmd *cobra.Command, scale string) (*stage.Session, error) {
	if scale == "" {
		scale = zoo.ActiveScale()
	}
	budget, err := stage.BudgetFor(scale)
	if err != nil {
		return nil, err
	}
	b, _, err := openBackend(cmd)
	if err != nil {
		return nil, err
	}
	st, err := store.Open("")
	if err != nil {
		return nil, err
	}
	return &stage.Session{Budget: budget, Store: st, Backend: b, Log: cmd.ErrOrStderr(), Progress: terminalProgress}, nil
}

func lossList(ls []losses.Spec) string {
	var names []string
	for _, l := range ls {
		names = append(names, l.Short())
	}
	return strings.Join(names, ", ")
}

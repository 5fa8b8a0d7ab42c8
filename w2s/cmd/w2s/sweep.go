package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/w2s-lab/w2s/plots"
	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/slurm"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

func (f *experimentFlags) sweep(cmd *cobra.Command, name string, spec analysis.SweepSpec) error {
	sess, err := f.setup(cmd)
	if err != nil {
		return err
	}
	_, err = f.sweepResults(cmd, name, spec, sess)
	return err
}

// sweepResults runs the sweep of f.task in the session, prints its table
// and writes its results (and charts, with --plots).
func (f *experimentFlags) sweepResults(cmd *cobra.Command, name string, spec analysis.SweepSpec, sess *stage.Session) (*analysis.Sweep, error) {
	budget := sess.Budget
	spec = f.sweepSpec(spec, budget)
	w := cmd.OutOrStdout()
	f.printSweepHeader(w, name, spec, budget)
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
	if err := checkModels(cmd, spec.Models...); err != nil {
		return nil, err
	}
	warnSameModel(cmd, spec)
	start := time.Now()
	sw, err := analysis.RunSweep(cmd.Context(), sess, spec, func(r *stage.Result) {
		fmt.Fprintf(cmd.ErrOrStderr(), "done: %s → %s, %s, seed %d: weak %.3f student %.3f ceiling %.3f (%s)\n",
			zoo.Short(r.WeakModel), zoo.Short(r.StrongModel), r.Loss.Short(), r.Seed, r.Weak.Accuracy, r.Student.Accuracy, r.Ceiling.Accuracy,
			time.Since(start).Round(time.Second))
	})
	if err != nil {
		return nil, err
	}
	noteBackends(cmd.ErrOrStderr(), sw.Rows)
	fmt.Fprintln(w)
	if err := sw.Table().WriteText(w); err != nil {
		return nil, err
	}
	if stage.IsChess(f.task) {
		fmt.Fprintln(w)
		if err := analysis.ChessTable(sw).WriteText(w); err != nil {
			return nil, err
		}
		r := sw.Rows[0]
		fmt.Fprintf(w, "\nsplit (seed %d): A %d, B %d, test %d puzzles (of %d in the training pool, %d in the test pool, split by game)\n",
			r.Seed, r.Counts.A, r.Counts.B, r.Counts.Test, r.Counts.Pool, r.Counts.PoolTest)
	} else if r := sw.Rows[0]; true {
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
		if err := f.writeCharts(sw, spec.Losses); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "charts in %s\n", f.plots)
	}
	return sw, nil
}

// noteBackends says when the results of a sweep were computed by more
// than one backend (their stages, read from the store, may have been made
// elsewhere): they can differ in their last bits.
func noteBackends(w io.Writer, rows []*stage.Result) {
	seen := map[string]bool{}
	for _, r := range rows {
		for _, b := range strings.Split(r.Backend, stage.BackendSeparator) {
			seen[b] = true
		}
	}
	if len(seen) > 1 {
		fmt.Fprintf(w, "w2s: note: these results read stages computed by %d backends, whose numbers may differ in their last bits (w2s cache ls says which made each): %s\n",
			len(seen), strings.Join(slices.Sorted(maps.Keys(seen)), " | "))
	}
}

// sweepSpec completes spec with the flags: task, scale, probes, models
// (default: the scale's ladder), the one weak supervisor of --weak, and
// the seeds (default: the budget's).
func (f *experimentFlags) sweepSpec(spec analysis.SweepSpec, budget stage.Budget) analysis.SweepSpec {
	spec.Task, spec.Scale, spec.Probe = f.task, f.scale, f.probe
	if len(spec.Models) == 0 {
		spec.Models = stage.DefaultModelsFor(f.task, f.scale)
	}
	for i, m := range spec.Models {
		spec.Models[i] = f.model(m)
	}
	if f.weak != "" {
		spec.Models, spec.Pairs = analysis.OneSupervisor(f.model(f.weak), spec.Models)
	}
	spec.Seeds = f.seedList(budget)
	return spec
}

// printSweepHeader says what a sweep is about to run.
func (f *experimentFlags) printSweepHeader(w io.Writer, name string, spec analysis.SweepSpec, budget stage.Budget) {
	mode := "full finetuning"
	if f.probe {
		mode = "linear probes"
	}
	if budget.Pool == "mean" {
		mode += ", head on the mean over tokens"
	}
	nDocs, nTest := budget.NDocs, budget.NTest
	if stage.IsChess(f.task) {
		mode, nDocs, nTest = "finetuning on the move, answers generated", budget.Chess.NDocs, budget.Chess.NTest
	}
	fmt.Fprintf(w, "%s: task %s, scale %s (%s; at most %d training rows and %d test rows, see the split line), models %s, losses %s, seeds %v\n",
		name, f.task, f.scale, mode, nDocs, nTest, strings.Join(spec.Models, ", "), lossList(spec.Losses), spec.Seeds)
}

// writeCharts saves the charts of a sweep as PNG and SVG in f.plots: the
// losses compared (with more than one), and accuracy and PGR against
// compute for each loss.
func (f *experimentFlags) writeCharts(sw *analysis.Sweep, ls []losses.Spec) error {
	figs := map[string]func() (*plots.Figure, error){}
	if len(ls) > 1 {
		figs["losses"] = func() (*plots.Figure, error) { return plots.LossComparison(sw) }
	}
	for _, loss := range ls {
		figs["accuracy-"+loss.Short()] = func() (*plots.Figure, error) { return plots.AccuracyVsCompute(sw, loss) }
		figs["pgr-"+loss.Short()] = func() (*plots.Figure, error) { return plots.PGRVsCompute(sw, loss) }
	}
	for name, mk := range figs {
		fig, err := mk()
		if err != nil {
			return err
		}
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(f.plots, fmt.Sprintf("%s-%s-%s%s", name, slug(f.task), f.scale, ext))
			if err := atomicfile.Write(path, func(w io.Writer) error { return fig.WriteTo(w, strings.TrimPrefix(ext, ".")) }); err != nil {
				return err
			}
		}
	}
	return nil
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
			ls, err := specs("--loss", []string{loss})
			if err != nil {
				return err
			}
			return f.sweep(cmd, "run", analysis.SweepSpec{Models: []string{weak, strong}, Losses: ls})
		},
	}
	f.add(cmd)
	f.addOutputs(cmd)
	addPairFlags(cmd, &weak, &strong, &loss)
	return cmd
}

// sweepFlags are the flags that say what a sweep sweeps, shared by sweep
// and sweep status: the experiment flags, --models, --weak and --losses.
type sweepFlags struct {
	experimentFlags
	models, lossNames []string
	weakFlag          string
}

func (sf *sweepFlags) add(cmd *cobra.Command, models, weak, losses string) {
	sf.experimentFlags.add(cmd)
	sf.multi = true
	cmd.Flags().StringSliceVar(&sf.models, "models", nil, models)
	cmd.Flags().StringVar(&sf.weakFlag, "weak", "", weak)
	cmd.Flags().StringSliceVar(&sf.lossNames, "losses", []string{"xent", "logconf"}, losses)
}

// parse checks the losses and reads the tasks.
func (sf *sweepFlags) parse() (taskNames []string, ls []losses.Spec, err error) {
	sf.weak = sf.weakFlag
	if taskNames, err = sf.taskNames(); err != nil {
		return nil, nil, err
	}
	names := sf.lossNames
	// Chess students learn the move with the next-token loss: its sweep's
	// losses default to that one alone.
	if slices.Equal(taskNames, []string{stage.ChessTask}) && (sf.cmd == nil || !sf.cmd.Flags().Changed("losses")) {
		names = []string{"xent"}
	}
	ls, err = specs("--losses", names)
	return taskNames, ls, err
}

func sweepCmd() *cobra.Command {
	var sf sweepFlags
	f := &sf.experimentFlags
	var sl slurmFlags
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Every weak→strong pair of the models × losses × seeds, with a summary table (in this process, or as Slurm job arrays with --slurm)",
		Long: `Runs every weak→strong pair of the models × losses × seeds of one task or
several (--task a,b,c: then the medians over tasks are printed too), prints a
summary table and writes results.csv and results.json. A dataset of your own
is the task file:PATH (see --labels and the other file flags); in a --task
list a comma inside PATH is written \, (and a backslash \\), or give each
such file with --task-file PATH, which takes any file name.

With --slurm the work is planned as two Slurm job arrays instead (the
supervisors and their weak labels; then, after those succeed, the students
and the ceilings), written into <out>/slurm and submitted with sbatch
(--dry-run only prints the scripts). Every array task runs one
"w2s sweep unit" against the shared store ($W2S_CACHE, on a filesystem every
node sees). Run the same command without --slurm once the jobs are done: it
reads every result from the store and writes the table, CSV, JSON and charts
(collect). "w2s sweep status" with the same flags counts finished stages.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			taskNames, ls, err := sf.parse()
			if err != nil {
				return err
			}
			if sl.slurm {
				return f.submit(cmd, taskNames, sf.models, ls, &sl)
			}
			if len(taskNames) == 1 {
				return f.sweep(cmd, "sweep", analysis.SweepSpec{Models: sf.models, Losses: ls})
			}
			return f.sweepTasks(cmd, taskNames, sf.models, ls)
		},
	}
	sf.add(cmd, "models from weakest to strongest (default: the scale's default ladder, see stage.DefaultModels)",
		"one weak supervisor for every model of --models (default: every pair of --models, weaker first)", "student losses")
	f.addOutputs(cmd)
	sl.add(cmd)
	cmd.Flags().Lookup("task").Usage = "task, or tasks separated by commas: each is swept, then the medians over tasks are printed (see `w2s data`)"
	cmd.AddCommand(unitCmd(), statusCmd())
	return cmd
}

// slurmFlags say how a sweep becomes job arrays.
type slurmFlags struct {
	slurm, dryRun    bool
	supervise, train slurm.Resources
	binary           string
}

func (sl *slurmFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&sl.slurm, "slurm", false, "plan the sweep as Slurm job arrays and submit them with sbatch (see the long help)")
	fl.BoolVar(&sl.dryRun, "dry-run", false, "with --slurm: write and print the scripts, submit nothing")
	fl.StringVar(&sl.binary, "w2s-binary", "", "with --slurm: the w2s executable array tasks run (default: this one, copied next to the scripts)")
	for _, p := range []struct {
		name string
		r    *slurm.Resources
	}{{"supervise", &sl.supervise}, {"train", &sl.train}} {
		d := slurm.DefaultResources
		fl.IntVar(&p.r.CPUs, p.name+"-cpus", d.CPUs, "with --slurm: CPUs per "+p.name+" task")
		fl.IntVar(&p.r.GPUs, p.name+"-gpus", d.GPUs, "with --slurm: GPUs per "+p.name+" task")
		fl.StringVar(&p.r.Mem, p.name+"-mem", d.Mem, "with --slurm: memory per "+p.name+" task")
		fl.StringVar(&p.r.Time, p.name+"-time", d.Time, "with --slurm: time limit per "+p.name+" task")
		fl.StringVar(&p.r.Partition, p.name+"-partition", "", "with --slurm: partition of the "+p.name+" tasks")
		fl.IntVar(&p.r.MaxActive, p.name+"-max-active", 0, "with --slurm: most "+p.name+" tasks running at once (0: no limit)")
	}
}

// specsFor resolves the sweep specs of every task, as the in-process sweep would.
func (f *experimentFlags) specsFor(cmd *cobra.Command, taskNames, models []string, ls []losses.Spec) ([]analysis.SweepSpec, error) {
	if f.scale == "" {
		f.scale = zoo.ActiveScale()
	}
	budget, err := stage.BudgetFor(f.scale)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(taskNames, stage.IsChess) {
		return nil, fmt.Errorf("task %s runs in this process and alone (w2s sweep --task %s): its models are the chess ladder, and its stages do not run as Slurm units yet", stage.ChessTask, stage.ChessTask)
	}
	if len(models) == 0 {
		models = stage.DefaultModels(f.scale)
	}
	var ms []string
	for _, m := range models {
		ms = append(ms, f.model(m))
	}
	var pairs [][2]int
	if f.weak != "" {
		ms, pairs = analysis.OneSupervisor(f.model(f.weak), ms)
	}
	var out []analysis.SweepSpec
	for _, t := range taskNames {
		out = append(out, analysis.SweepSpec{Task: t, Scale: f.scale, Models: ms, Pairs: pairs, Losses: ls, Seeds: f.seedList(budget), Probe: f.probe})
	}
	return out, nil
}

// submit plans the sweep as job arrays and submits them (or prints them).
func (f *experimentFlags) submit(cmd *cobra.Command, taskNames, models []string, ls []losses.Spec, sl *slurmFlags) error {
	sps, err := f.specsFor(cmd, taskNames, models, ls)
	if err != nil {
		return err
	}
	if err := checkModels(cmd, sps[0].Models...); err != nil {
		return err
	}
	out := f.out
	if out == "" {
		out = filepath.Join("runs", fmt.Sprintf("sweep-%s-%s", slug(f.task), f.scale))
	}
	dir, err := filepath.Abs(filepath.Join(out, "slurm"))
	if err != nil {
		return err
	}
	if err := writable(dir); err != nil {
		return err
	}
	bin := sl.binary
	if bin == "" {
		// This executable, copied beside the scripts: under `go run` it is a
		// temporary file that is gone when the command returns.
		self, err := os.Executable()
		if err != nil {
			return err
		}
		bin = filepath.Join(dir, "w2s")
		if !sl.dryRun {
			if err := slurm.CopyExecutable(self, bin); err != nil {
				return err
			}
		}
	}
	env, err := slurm.Env(paths.Cache(), f.scale)
	if err != nil {
		return err
	}
	plan := slurm.NewPlan(sps, f.file.fileTask(), f.training(), dir, bin, env, sl.supervise, sl.train)
	w := cmd.OutOrStdout()
	if sl.dryRun {
		if err := plan.Write(); err != nil {
			return err
		}
		for _, ph := range plan.Phases {
			fmt.Fprintf(w, "# %s (%d units, listed in %s)\n%s\n", plan.ScriptFile(ph), len(ph.Units), plan.UnitsFile(ph), plan.Script(ph))
		}
		return nil
	}
	ids, err := plan.Submit(cmd.Context())
	if err != nil {
		return err
	}
	for _, ph := range plan.Phases {
		after := ""
		if ph.After != "" {
			after = ", after " + ph.After + " succeeds"
		}
		fmt.Fprintf(w, "submitted %s: job %s, %d array tasks%s\n", ph.Name, ids[ph.Name], len(ph.Units), after)
	}
	fmt.Fprintf(w, "scripts and logs in %s; watch with squeue, or: w2s sweep status %s\nwhen done, collect with the same command without --slurm\n",
		dir, strings.Join(withoutSlurmFlags(os.Args[2:]), " "))
	return nil
}

// withoutSlurmFlags is a sweep's command line without the flags that only
// say how to submit it (--slurm, --dry-run, --supervise-*, --train-*,
// --w2s-binary) and their values: what sweep status and the collecting
// run take.
func withoutSlurmFlags(args []string) []string {
	var keep []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		switch {
		case name == "--slurm" || name == "--dry-run":
		case strings.HasPrefix(name, "--supervise-") || strings.HasPrefix(name, "--train-") || name == "--w2s-binary":
			if !hasValue {
				i++ // its value is the next argument
			}
		default:
			keep = append(keep, a)
		}
	}
	return keep
}

// unitRunner is the runner of a unit: its task, scale and seed.
func unitRunner(cmd *cobra.Command, u slurm.Unit) (*experimentFlags, *stage.Runner, error) {
	f := &experimentFlags{cmd: cmd, scale: u.Scale, seeds: []uint{uint(u.Seed)}, probe: u.Probe, file: fileTaskFlagsOf(u.File),
		head: u.Train.Head, shuffled: u.Train.Shuffled}
	if path, ok := strings.CutPrefix(u.Task, "file:"); ok {
		f.taskFiles = []string{path}
	} else {
		f.task = u.Task
	}
	rs, err := f.runners(cmd)
	if err != nil {
		return nil, nil, err
	}
	return f, rs[0], nil
}

// training is how the flags make models train, as a unit passes it on.
func (f *experimentFlags) training() slurm.Training {
	return slurm.Training{Head: f.head, Shuffled: f.shuffled}
}

// runUnit computes (or, with the runner's StoredOnly, looks up) one unit.
func runUnit(ctx context.Context, r *stage.Runner, u slurm.Unit) error {
	switch u.Kind {
	case slurm.Supervise, slurm.Student:
		labels, err := r.Supervise(ctx, u.Weak)
		if err != nil || u.Kind == slurm.Supervise {
			return err
		}
		st, err := r.TrainStudent(ctx, u.Strong, labels, u.Loss)
		if err != nil {
			return err
		}
		_, err = r.Evaluate(ctx, st)
		return err
	case slurm.Ceiling:
		c, err := r.TrainCeiling(ctx, u.Strong)
		if err != nil {
			return err
		}
		_, err = r.Evaluate(ctx, c)
		return err
	}
	return fmt.Errorf("unknown unit %q (want supervise, student or ceiling)", u.Kind)
}

func unitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "unit supervise|student|ceiling --task NAME|--task-file PATH --scale S --seeds N [--probe] [--head H] [--shuffled-batches] [--weak M] [--strong M] [--loss L] [file flags]",
		Short: "One unit of a sweep (what a Slurm array task runs): a supervisor and its labels, a student, or a ceiling",
		Long: `One unit of a sweep, as a Slurm array task runs it: a weak supervisor and
its weak labels (supervise --weak M), a student on them (student --weak M
--strong M --loss L), or a ceiling (ceiling --strong M), for one task and
one seed. Its arguments are those the units file of a planned sweep lists
(package slurm, Unit.Args): --task NAME or --task-file PATH, --scale,
--seeds N, --probe, --head, --shuffled-batches, and with a file task --test-file, --text-field,
--label-field, --chosen-field, --rejected-field, --labels, --label-words.
The backend comes from the environment ($W2S_BACKEND).`,
		// Read by slurm.ParseUnit, the inverse of what the plan writes.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
				return cmd.Help()
			}
			u, err := slurm.ParseUnit(args)
			if err != nil {
				return err
			}
			if u.Kind == slurm.Student {
				if _, err := specs("--loss", []string{string(u.Loss)}); err != nil {
					return err
				}
			}
			f, r, err := unitRunner(cmd, u)
			if err != nil {
				return err
			}
			u.Weak, u.Strong = f.model(u.Weak), f.model(u.Strong)
			start := time.Now()
			if err := runUnit(cmd.Context(), r, u); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unit %s done in %s\n", u.Kind, time.Since(start).Round(time.Second))
			return nil
		},
	}
	return cmd
}

func statusCmd() *cobra.Command {
	var sf sweepFlags
	f := &sf.experimentFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Count the finished units of a sweep in the store (give the sweep's flags)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			taskNames, ls, err := sf.parse()
			if err != nil {
				return err
			}
			sps, err := f.specsFor(cmd, taskNames, sf.models, ls)
			if err != nil {
				return err
			}
			sess, err := f.setup(cmd)
			if err != nil {
				return err
			}
			sess.StoredOnly, sess.Log, sess.Progress = true, io.Discard, nil
			supervise, train := slurm.Units(sps, f.file.fileTask(), f.training())
			st, err := slurm.CountDone(append(supervise, train...), func(u slurm.Unit) (bool, error) {
				r, err := sess.Runner(u.Task, u.Seed)
				if err != nil {
					return false, err
				}
				err = runUnit(cmd.Context(), r, u)
				if errors.Is(err, stage.ErrNotStored) {
					return false, nil
				}
				return err == nil, err
			})
			if err != nil {
				return err
			}
			return st.WriteText(cmd.OutOrStdout())
		},
	}
	sf.add(cmd, "the sweep's models", "the sweep's one weak supervisor, if it had one", "the sweep's losses")
	// The sweep's own output flags, so that its command line can be given
	// unchanged (as the line printed after submitting does).
	cmd.Flags().String("out", "", "the sweep's --out (not used here)")
	cmd.Flags().String("plots", "", "the sweep's --plots (not used here)")
	return cmd
}

// sweepTasks sweeps each task in turn, then prints and writes the medians
// over tasks of each (weak, strong, loss), as the paper reports NLP tasks.
func (f *experimentFlags) sweepTasks(cmd *cobra.Command, taskNames, models []string, ls []losses.Spec) error {
	sess, err := f.setup(cmd) // one backend and store for every task
	if err != nil {
		return err
	}
	var sweeps []*analysis.Sweep
	out := f.out
	for _, task := range taskNames {
		g := *f
		g.task = task
		if out != "" {
			g.out = filepath.Join(out, slug(g.task))
		}
		sw, err := g.sweepResults(cmd, "sweep", analysis.SweepSpec{Models: slices.Clone(models), Losses: ls}, sess)
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
	if err := analysis.MedianTable(ms).WriteText(w); err != nil {
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

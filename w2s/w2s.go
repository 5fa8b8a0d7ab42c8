// Package w2s is the notebook-facing entry to the toolkit: one call per
// experiment stage or analysis, at the active scale, over the scale's
// seeds, with progress shown in the notebook while it runs. A Go notebook
// re-runs the whole program for every cell; every stage is stored, so
// repeating a call returns at once. Cells import this package and plots
// only:
//
//	sw := w2s.Sweep("sst2", w2s.Ladder(), "xent", "logconf")
//	s, _ := sw.Find(w2s.Model("xs"), w2s.Model("xl"), "xent")
//	plots.Show(plots.Text(w2s.StudentSentence(s)))
//	plots.Show(w2s.FindingsTable("sst2", sw.FindPGRGrowsWithSize("xent")))
//
// Each result judges the paper's findings it bears on with its Find
// methods (Sweep.FindPGRGrowsWithSize, Chain.FindChain, …).
//
// Functions panic on error (a notebook shows the panic and a headless run
// fails loudly); the packages stage and analysis return errors instead.
package w2s

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/internal/interrupt"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// Scale is the active scale: $W2S_SCALE, else cpu. The headless notebook
// runner sets it (kernel/run --scale).
func Scale() string { return zoo.ActiveScale() }

// Model names a ladder model of the active scale: Model("xl") is zoo/<scale>/xl.
func Model(size string) string { return zoo.Name(Scale(), size) }

// Ladder lists every model of the active scale's ladder, weakest first.
func Ladder() []string { return session().Ladder() }

// Defaults are the ladder models a sweep uses when none are named: the
// bottom, middle and top rungs of the active scale (stage.DefaultModels),
// so a first run spans the whole ladder.
func Defaults() []string { return stage.DefaultModels(Scale()) }

// Models names several ladder sizes.
func Models(sizes ...string) []string {
	out := make([]string, len(sizes))
	for i, s := range sizes {
		out[i] = Model(s)
	}
	return out
}

// Short is how tables name a model ("zoo/cpu/xl" → "xl").
func Short(model string) string { return zoo.Short(model) }

// Params is a model's non-embedding parameter count, from its config.json
// (0 when it cannot be found or read).
func Params(model string) int {
	dir, err := zoo.Resolve(context.Background(), model)
	if err != nil {
		return 0
	}
	cfg, err := checkpoint.ReadConfig(dir)
	if err != nil {
		return 0
	}
	_, nonEmb := cfg.NumParams()
	return nonEmb
}

// Must returns v, or panics with err.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

var (
	ctxOnce sync.Once
	ctx     context.Context
)

// Context is cancelled by an interrupt (the notebook's stop button, which
// sends SIGINT to the cell's process) or SIGTERM: long stages save their
// state and stop, and the call panics with the cancellation. A cell still
// running interrupt.Grace after the signal, or interrupted twice, ends at
// once (package interrupt); re-running it resumes from what was stored.
func Context() context.Context {
	ctxOnce.Do(func() { ctx, _ = interrupt.Context(context.Background(), os.Stderr) })
	return ctx
}

// Budget is the stage budget of the active scale.
func Budget() stage.Budget { return session().Budget }

// Seeds are the active scale's seeds.
func Seeds() []uint64 { return Budget().Seeds }

// Seed is the first of the scale's seeds, for step-by-step walk-throughs.
func Seed() uint64 { return Seeds()[0] }

// Runner returns the stages of a task at the active scale for the default
// seed (Seed), reporting progress in the notebook.
func Runner(task string) *stage.Runner { return RunnerFor(task, Seed()) }

var (
	sessionMu sync.Mutex
	sessions  = map[[2]string]*stage.Session{}
)

// session is the one session of this process at the active scale and
// cache folder: every runner shares its store, so an artifact is verified
// once and counted once, and reports progress in the notebook.
func session() *stage.Session {
	sessionMu.Lock()
	defer sessionMu.Unlock()
	key := [2]string{Scale(), paths.Cache()}
	if s, ok := sessions[key]; ok {
		return s
	}
	s := Must(stage.NewSession(Scale()))
	s.Log, s.Progress = stageLog, Progress
	sessions[key] = s
	return s
}

// artifacts is the session's artifact store.
func artifacts() *store.Store { return session().Store }

// RunnerFor is Runner for one seed.
func RunnerFor(task string, seed uint64) *stage.Runner { return Must(session().Runner(task, seed)) }

// Runners are one runner per seed of the scale.
func Runners(task string) []*stage.Runner { return Must(session().Runners(task)) }

func specs(names []string) []losses.Spec {
	out := make([]losses.Spec, len(names))
	for i, n := range names {
		out[i] = losses.Spec(n)
	}
	return out
}

// Sweep runs every weak→strong pair of models (weakest first) × losses ×
// the scale's seeds on a task, showing one summary line of what it computed.
func Sweep(task string, models []string, lossNames ...string) *analysis.Sweep {
	return runSweep(analysis.SweepSpec{Task: task, Scale: Scale(), Models: models, Losses: specs(lossNames), Seeds: Budget().SeedsFor(task)})
}

// SweepFrom is Sweep with one weak supervisor for every strong model.
func SweepFrom(task, weak string, strongs []string, lossNames ...string) *analysis.Sweep {
	models, pairs := analysis.OneSupervisor(weak, strongs)
	return runSweep(analysis.SweepSpec{Task: task, Scale: Scale(), Models: models, Pairs: pairs, Losses: specs(lossNames), Seeds: Budget().SeedsFor(task)})
}

func runSweep(spec analysis.SweepSpec) *analysis.Sweep {
	what := fmt.Sprintf("sweep of %s", spec.Task)
	defer stageLog.summary(what)()
	status := newRowStatus(what, len(spec.Seeds)*len(spec.PairIndices())*len(spec.Losses))
	made := artifacts().Made("")
	onRow := func(*stage.Result) {
		now := artifacts().Made("")
		status.row(now > made)
		made = now
	}
	return Must(analysis.RunSweep(Context(), session(), spec, onRow))
}

// SweepTasks sweeps each task and returns the sweeps with their medians
// over tasks (the paper's summary of NLP results).
func SweepTasks(taskNames []string, models []string, lossNames ...string) (analysis.Sweeps, []analysis.TaskMedian) {
	var sws analysis.Sweeps
	for _, t := range taskNames {
		sws = append(sws, Sweep(t, models, lossNames...))
	}
	return sws, Must(analysis.MedianOverTasks(sws))
}

// Ceilings finetunes every model on each task's gold labels (the ceiling
// stage of every sweep) under the given seeds, or the scale's when none are
// given, and measures what the ladder shows on each task: every rung's test
// accuracy beside the majority class and a TF-IDF baseline, and whether the
// task is learnt (analysis.LadderCeilings).
func Ceilings(taskNames []string, models []string, seeds ...uint64) []*analysis.LadderCeilings {
	defer stageLog.summary("ceilings")()
	var lcs []*analysis.LadderCeilings
	for _, t := range taskNames {
		rs := Must(session().Runners(t, seeds...))
		lcs = append(lcs, Must(analysis.RunLadderCeilings(Context(), rs, models)))
	}
	return lcs
}

// CeilingsTable is one row per task of Ceilings: which tasks the ladder learns.
func CeilingsTable(lcs []*analysis.LadderCeilings) *Table { return analysis.CeilingsTable(lcs) }

// Coverage says which tasks the ceilings judge learnt and whether the
// medians over swept cover every one of them (analysis.Coverage).
func Coverage(lcs []*analysis.LadderCeilings, swept []string) string {
	return analysis.Coverage(lcs, swept)
}

// ChessTask is the chess puzzles task, the paper's third domain: its
// models generate the first move of a Lichess puzzle.
const ChessTask = stage.ChessTask

// ChessLadder lists the chess ladder of the active scale, weakest first:
// models pretrained on chess game text, the chess task's default models.
func ChessLadder() []string { return stage.ChessLadder(Scale()) }

// ChessRungs scores each model on the test puzzles zero-shot and
// finetuned on gold, over the budget's seeds.
func ChessRungs(models []string) *analysis.ChessLadder {
	return Stages("chess ladder", func() (*analysis.ChessLadder, error) {
		return analysis.RunChessLadder(Context(), Runners(ChessTask), models)
	})
}

// ChessTable is a chess sweep's legal-move rates and accuracies by
// rating band.
func ChessTable(sw *analysis.Sweep) *Table { return analysis.ChessTable(sw) }

// ChessExamples picks n test puzzles (first seed) with the moves of a
// supervisor and its student, to draw as boards (plots.ChessExampleBoard).
func ChessExamples(weak, strong string, n int) []analysis.ChessExample {
	return Stages("chess examples", func() ([]analysis.ChessExample, error) {
		return analysis.ChessExamples(Context(), Runner(ChessTask), weak, strong, n)
	})
}

// Tasks lists every registered task, the paper's and those registered with
// RegisterFile, by name.
func Tasks() []string { return tasks.Names() }

// EarlyStopping follows the student's test accuracy during training over
// the scale's seeds, with honest and cheating early stopping.
func EarlyStopping(task, weak, strong, loss string) *analysis.EarlyStopping {
	defer stageLog.summary("early stopping")()
	return Must(analysis.RunEarlyStopping(Context(), Runners(task), weak, strong, losses.Spec(loss)))
}

// Chain runs the paper's bootstrapping experiment: it compares the chain
// weak → … → strong with direct supervision, over the scale's seeds.
func Chain(task string, chain []string, loss string) *analysis.Chain {
	defer stageLog.summary("chain " + analysis.ChainName(chain) + " (" + loss + ")")()
	return Must(analysis.RunChain(Context(), Runners(task), chain, losses.Spec(loss)))
}

// LabelErrors trains strong's student on labels as accurate as weak's but
// wrong in other ways (the supervisor's, soft and hard; random flips;
// errors a bag-of-words model would make; errors where the supervisor is
// unsure), over the scale's seeds.
func LabelErrors(task, weak, strong, loss string) *analysis.LabelErrors {
	defer stageLog.summary("label errors")()
	return Must(analysis.RunLabelErrors(Context(), Runners(task), weak, strong, losses.Spec(loss), analysis.DefaultLabelSources))
}

// Prompting compares zero-shot and k-shot prompting (gold and weak labels)
// with finetuning, for each model, over the scale's seeds.
func Prompting(task, weak string, models []string, k int, loss string) *analysis.PromptingComparison {
	defer stageLog.summary("prompting")()
	return Must(analysis.RunPromptingComparison(Context(), Runners(task), weak, models, k, losses.Spec(loss)))
}

// Generative compares a weak→strong experiment without and with
// generative finetuning on the task's text first, over the scale's seeds.
func Generative(task, weak, strong, loss string) *analysis.GenerativeComparison {
	defer stageLog.summary("generative finetuning")()
	return Must(analysis.RunGenerativeComparison(Context(), Runners(task), weak, strong, losses.Spec(loss)))
}

// StudentSentence states how a student fared (analysis.StudentSentence).
func StudentSentence(s analysis.Summary) string { return analysis.StudentSentence(s) }

// FindingsTable is the findings as a table: claim, the paper's result, the
// outcome here, and the evidence (see the analysis.Find functions), with
// a caption saying what the run rests on.
func FindingsTable(caption string, fs ...analysis.Finding) *Table {
	return analysis.FindingsTable(caption, fs...)
}

// Conclusion says in plain words what the findings show: a notebook's
// closing "what this shows" paragraph, from the same tested verdicts as
// its findings table.
func Conclusion(fs ...analysis.Finding) string { return analysis.Conclusion(fs...) }

// Criterion names the honest early-stopping rule of a loss.
func Criterion(loss string) string { return analysis.Criterion(losses.Spec(loss)) }

// TaskInfo describes a registered task.
func TaskInfo(name string) *tasks.Task { return Must(tasks.Get(name)) }

// RegisterFile registers a dataset of your own (see tasks.FileSpec) and
// returns its task name, for the calls above. Without Labels, the classes
// are read from the data and named "0", "1", …, which it says.
func RegisterFile(spec tasks.FileSpec) string {
	t := Must(tasks.RegisterFile(spec))
	if len(spec.Labels) == 0 && t.Kind == tasks.Classification {
		fmt.Fprintf(os.Stderr, "w2s: %s: %d classes found in its labels, named %s (FileSpec.Labels names them)\n", t.Name, len(t.Labels), strings.Join(t.Labels, ", "))
	}
	return t.Name
}

// Environment describes where the notebook's work runs: the backend,
// its PJRT plugin (path, package, API version), threads and folders.
type Environment struct {
	backend.Info
	Scale, Cache, Venv string
	Data               []string
}

// Env describes the backend every stage here runs on.
func Env() Environment {
	b := Must(backend.Default())
	return Environment{Info: backend.Describe(b), Scale: Scale(), Cache: paths.Cache(), Venv: paths.Venv(), Data: paths.Data()}
}

// String is one paragraph for the notebook's first output.
func (e Environment) String() string {
	plugin := "pure-Go backend (no PJRT plugin)"
	if e.Plugin != "" {
		plugin = fmt.Sprintf("PJRT plugin %s (%s, PJRT C API %s)", e.Plugin, e.PluginPackage, e.PJRTVersion)
		if e.CompileCache != "" {
			plugin += "; compiled graphs kept in " + e.CompileCache
		}
	}
	return fmt.Sprintf("backend %s on %s: %s; %s; threads: %s; scale %s; cache %s", e.Backend, e.Platform, e.Device, plugin, e.Threads, e.Scale, e.Cache)
}

// Names of the result types a notebook cell declares, so that cells import
// this package and plots only.
type (
	Result        = stage.Result           // one weak→strong experiment of one seed
	Scores        = stage.Scores           // a model's test accuracy and AUROC
	Finding       = analysis.Finding       // one of the paper's findings, judged here
	StudentCurves = analysis.EarlyStopping // a student's training curves and stopping points
	TaskMedian    = analysis.TaskMedian
	Table         = table.Table    // a table value: header, rows, caption, notes
	FileSpec      = tasks.FileSpec // a dataset of your own, for RegisterFile
	Loss          = losses.Spec    // a loss by name and parameters, e.g. "logconf(alpha=0.5)"
)

// MedianTable is the medians over tasks as a table (analysis.MedianTable).
func MedianTable(ms []TaskMedian) *Table { return analysis.MedianTable(ms) }

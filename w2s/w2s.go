// Package w2s is the notebook-facing entry to the toolkit: one call per
// experiment stage or analysis, at the active scale, with progress shown in
// the notebook while it runs. A Go notebook re-runs the whole program for
// every cell; every stage here is stored, so repeating a call returns at
// once.
//
//	r := w2s.Runner("sst2", 0)
//	res := w2s.Must(r.Run(w2s.Context(), w2s.Model("xs"), w2s.Model("xl"), "logconf"))
//
// Functions panic on error (a notebook shows the panic and a headless run
// fails loudly); the packages stage and analysis return errors instead.
package w2s

import (
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/w2s-lab/w2s/plots"
	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// Scale is the active scale: $W2S_SCALE, else cpu. The headless notebook
// runner sets it (kernel/run --scale).
func Scale() string { return zoo.ActiveScale() }

// Model names a ladder model of the active scale: Model("xl") is zoo/<scale>/xl.
func Model(size string) string { return "zoo/" + Scale() + "/" + size }

// Ladder is the three sizes experiments use by default at the active
// scale, weakest first (see stage.DefaultModels).
func Ladder() []string { return stage.DefaultModels(Scale()) }

// Models names several ladder sizes.
func Models(sizes ...string) []string {
	out := make([]string, len(sizes))
	for i, s := range sizes {
		out[i] = Model(s)
	}
	return out
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

// Context is cancelled by an interrupt (the notebook's stop button): long
// stages save their state and stop.
func Context() context.Context {
	ctxOnce.Do(func() { ctx, _ = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM) })
	return ctx
}

// Budget is the stage budget of the active scale.
func Budget() stage.Budget { return Must(stage.BudgetFor(Scale())) }

// Runner returns the stages of a task at the active scale for one seed,
// reporting progress in the notebook.
func Runner(task string, seed uint64) *stage.Runner {
	r := Must(stage.NewRunner(task, Scale(), seed))
	r.Log = logWriter{}
	r.Progress = Progress
	return r
}

// Sweep runs every weak→strong pair of models (weakest first) × losses ×
// the scale's seeds on a task, showing each experiment it had to compute.
func Sweep(task string, models, losses []string) *analysis.Sweep {
	return runSweep(analysis.SweepSpec{Task: task, Scale: Scale(), Models: models, Losses: losses, Seeds: Budget().Seeds})
}

// SweepFrom is Sweep with one weak supervisor for every strong model.
func SweepFrom(task, weak string, strongs, losses []string) *analysis.Sweep {
	spec := analysis.SweepSpec{Task: task, Scale: Scale(), Models: append([]string{weak}, strongs...), Losses: losses, Seeds: Budget().Seeds}
	for i := range strongs {
		spec.Pairs = append(spec.Pairs, [2]int{0, i + 1})
	}
	return runSweep(spec)
}

func runSweep(spec analysis.SweepSpec) *analysis.Sweep {
	newRunner := func(task, scale string, seed uint64) (*stage.Runner, error) { return Runner(task, seed), nil }
	last := time.Now()
	return Must(analysis.RunSweep(Context(), spec, newRunner, func(r *stage.Result) {
		if time.Since(last) > time.Second { // computed, not read from the store
			note(fmt.Sprintf("%s → %s, %s, seed %d: weak %.3f, student %.3f, ceiling %.3f, PGR %s",
				plots.Short(r.Weak), plots.Short(r.Strong), plots.LossName(r.Loss), r.Seed, r.WeakScores.Accuracy, r.StudentScores.Accuracy, r.CeilingScores.Accuracy, r.PGR))
		}
		last = time.Now()
	}))
}

// note shows a line of progress: in the notebook as text, else on stderr.
func note(s string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(`<pre style="margin:0;color:#555">` + html.EscapeString(s) + `</pre>`)
		return
	}
	fmt.Fprintln(os.Stderr, s)
}

// logWriter sends stage logs to note, line by line.
type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			note(line)
		}
	}
	return len(p), nil
}

var _ io.Writer = logWriter{}

// Progress reports a training in the notebook: one line updated in place
// (GoNB's UpdateHTML), or a terminal progress bar outside notebooks.
func Progress(desc string) train.Progress {
	if !gonbui.IsNotebook {
		return train.NewTerminalProgress(os.Stderr, desc)
	}
	return &notebookProgress{desc: desc, id: "w2s-progress-" + gonbui.UniqueId()}
}

type notebookProgress struct {
	desc        string
	id          string
	total, from int
	start, last time.Time
	compile     backend.Compilation
}

func (p *notebookProgress) Start(done, total int) {
	p.total, p.from, p.start = total, done, time.Now()
	p.show(done, nil)
}

func (p *notebookProgress) Update(done int, pt train.Point) {
	if time.Since(p.last) < 500*time.Millisecond && done != p.total {
		return
	}
	p.show(done, &pt)
}

func (p *notebookProgress) show(done int, pt *train.Point) {
	p.last = time.Now()
	frac := float64(done) / float64(max(1, p.total))
	msg := fmt.Sprintf("%s: step %d/%d", p.desc, done, p.total)
	if pt != nil {
		p.compile = pt.Compile
		msg += fmt.Sprintf(", loss %.4f", pt.Loss)
		if rate := train.StepRate(done-p.from, time.Since(p.start), pt.Compile); rate > 0 {
			left := time.Duration(float64(p.total-done) / rate * float64(time.Second))
			msg += fmt.Sprintf(", %s left", left.Round(time.Second))
		}
		msg += train.CompileNote(pt.Compile)
	}
	gonbui.UpdateHTML(p.id, fmt.Sprintf(`<div style="font-family:monospace;font-size:12px">`+
		`<progress value="%.3f" max="1" style="width:200px"></progress> %s</div>`, frac, html.EscapeString(msg)))
}

func (p *notebookProgress) Done() {
	gonbui.UpdateHTML(p.id, fmt.Sprintf(`<div style="font-family:monospace;font-size:12px;color:#555">%s: %d steps in %s%s</div>`,
		html.EscapeString(p.desc), p.total-p.from, time.Since(p.start).Round(time.Second), html.EscapeString(train.CompileNote(p.compile))))
}

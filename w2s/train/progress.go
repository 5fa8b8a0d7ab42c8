package train

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/w2s-lab/w2s/w2s/backend"
)

// Progress is told about a run as it goes: Start once (with the steps
// already done, after a resume), Update after each step, Done at the end.
type Progress interface {
	Start(done, total int)
	Update(done int, p Point)
	Done()
}

// NewTerminalProgress shows a progress bar on w when w is a terminal, and
// otherwise a log line roughly every tenth of the run (or every
// 30 seconds), so logs of long runs stay readable.
func NewTerminalProgress(w io.Writer, description string) Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w, desc: description}
	}
	return &logProgress{w: w, desc: description}
}

type barProgress struct {
	w    io.Writer
	desc string
	bar  *progressbar.ProgressBar
}

func (b *barProgress) Start(done, total int) {
	b.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription(b.desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("steps"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	b.bar.Set(done)
}

func (b *barProgress) Update(done int, p Point) {
	b.bar.Describe(fmt.Sprintf("%s loss %.4f%s", b.desc, p.Loss, CompileNote(p.Compile)))
	b.bar.Set(done)
}

// CompileNote is ", compiled 3 graphs in 4.2s" (empty when nothing was
// compiled), for progress lines.
func CompileNote(c backend.Compilation) string {
	switch c.Graphs {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(", compiled 1 graph in %s", c.Time.Round(100*time.Millisecond))
	}
	return fmt.Sprintf(", compiled %d graphs in %s", c.Graphs, c.Time.Round(100*time.Millisecond))
}

// StepRate is steps per second over an interval, compilation left out.
func StepRate(steps int, elapsed time.Duration, c backend.Compilation) float64 {
	run := (elapsed - c.Time).Seconds()
	if steps <= 0 || run <= 0 {
		return 0
	}
	return float64(steps) / run
}

func (b *barProgress) Done() { b.bar.Finish() }

type logProgress struct {
	mu          sync.Mutex
	w           io.Writer
	desc        string
	total       int
	start, last time.Time
	first       int
}

func (l *logProgress) Start(done, total int) {
	l.total, l.first = total, done
	l.start, l.last = time.Now(), time.Now()
}

func (l *logProgress) Update(done int, p Point) {
	l.mu.Lock()
	defer l.mu.Unlock()
	every := max(1, l.total/10)
	if done%every != 0 && done != l.total && time.Since(l.last) < 30*time.Second {
		return
	}
	l.last = time.Now()
	rate := StepRate(done-l.first, time.Since(l.start), p.Compile)
	fmt.Fprintf(l.w, "%s step %d/%d loss %.4f lr %.3g (%.2f steps/s%s)\n", l.desc, done, l.total, p.Loss, p.LR, rate, CompileNote(p.Compile))
}

func (l *logProgress) Done() {}

package w2s

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/train"
)

// Progress reports a training: in a notebook, one line updated in place
// (GoNB's UpdateHTML) and removed when the training ends (the stage's own
// log line then says what was trained); elsewhere TerminalProgress.
func Progress(desc string) train.Progress {
	if !gonbui.IsNotebook {
		return TerminalProgress(os.Stderr, desc)
	}
	return &notebookProgress{desc: desc, id: "w2s-progress-" + gonbui.UniqueId()}
}

type notebookProgress struct {
	desc        string
	id          string
	total, from int
	start, last time.Time
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
		msg += fmt.Sprintf(", loss %.4f", pt.Loss)
		if rate := train.StepRate(done-p.from, time.Since(p.start), pt.Compile); rate > 0 {
			left := time.Duration(float64(p.total-done) / rate * float64(time.Second))
			msg += fmt.Sprintf(", %.1f steps/s, %s left", rate, left.Round(time.Second))
		}
		msg += train.CompileNote(pt.Compile)
	}
	gonbui.UpdateHTML(p.id, statusHTML(frac, msg))
}

// statusHTML is a progress line in a notebook. Its class, w2s-status, lets
// a headless runner (kernel/execute.py) relay the line to its terminal.
func statusHTML(frac float64, msg string) string {
	return fmt.Sprintf(`<div class="w2s-status" style="font-family:monospace;font-size:12px">`+
		`<progress value="%.3f" max="1" style="width:200px"></progress> %s</div>`, frac, html.EscapeString(msg))
}

// rowStatus shows, in a notebook, how far a call of many experiments has
// got: experiments done of all, how long it has run, and an estimate of
// the time left from the experiments it had to compute (stored ones take
// no time). Outside a notebook it shows nothing: the log lines say it.
type rowStatus struct {
	what                string
	id                  string
	total, done, stored int
	start               time.Time
}

func newRowStatus(what string, total int) *rowStatus {
	s := &rowStatus{what: what, total: total, start: time.Now()}
	if gonbui.IsNotebook {
		s.id = "w2s-rows-" + gonbui.UniqueId()
		gonbui.UpdateHTML(s.id, statusHTML(0, fmt.Sprintf("%s: %d experiments to run", what, total)))
	}
	return s
}

// row records one experiment done; computed says whether it computed any
// stage (or came whole from the store).
func (s *rowStatus) row(computed bool) {
	s.done++
	if !computed {
		s.stored++
	}
	if s.id == "" {
		return
	}
	if s.done == s.total {
		gonbui.UpdateHTML(s.id, "")
		return
	}
	elapsed := time.Since(s.start)
	msg := fmt.Sprintf("%s: %d of %d experiments done (%d from the store) in %s", s.what, s.done, s.total, s.stored, elapsed.Round(time.Second))
	if c := s.done - s.stored; c > 0 {
		left := time.Duration(float64(elapsed) / float64(c) * float64(s.total-s.done))
		msg += fmt.Sprintf("; about %s left if the rest must be computed", left.Round(time.Minute))
	}
	gonbui.UpdateHTML(s.id, statusHTML(float64(s.done)/float64(s.total), msg))
}

func (p *notebookProgress) Done() { gonbui.UpdateHTML(p.id, "") }

// TerminalProgress shows a progress bar on w when w is a terminal, and
// otherwise a log line roughly every tenth of the run (or every 30
// seconds), so logs of long runs stay readable. Step rates leave
// compilation out; the line says what was compiled.
func TerminalProgress(w io.Writer, description string) train.Progress {
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

func (b *barProgress) Update(done int, p train.Point) {
	b.bar.Describe(fmt.Sprintf("%s loss %.4f%s", b.desc, p.Loss, train.CompileNote(p.Compile)))
	b.bar.Set(done)
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

func (l *logProgress) Update(done int, p train.Point) {
	l.mu.Lock()
	defer l.mu.Unlock()
	every := max(1, l.total/10)
	if done%every != 0 && done != l.total && time.Since(l.last) < 30*time.Second {
		return
	}
	l.last = time.Now()
	rate := train.StepRate(done-l.first, time.Since(l.start), p.Compile)
	fmt.Fprintf(l.w, "%s step %d/%d loss %.4f lr %.3g (%.2f steps/s%s)\n", l.desc, done, l.total, p.Loss, p.LR, rate, train.CompileNote(p.Compile))
}

func (l *logProgress) Done() {}

// collapsedLog gathers the stages' log lines during one call and shows
// them, when it ends, as one summary line that opens on the lines
// (an HTML <details>); outside a notebook it passes lines to stderr.
type collapsedLog struct {
	mu    sync.Mutex
	lines []string
	depth int // summaries open: only the outermost shows a line
	// fromStore: the calls already shown as read whole from the store.
	fromStore map[string]bool
}

var stageLog = &collapsedLog{}

func (l *collapsedLog) Write(p []byte) (int, error) {
	if !gonbui.IsNotebook {
		return os.Stderr.Write(p)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			l.lines = append(l.lines, line)
		}
	}
	return len(p), nil
}

// summary starts collecting for a call named what; the returned function
// shows the summary line. A summary opened inside another (an analysis
// called from Stages) shows nothing: the outer one shows every line.
func (l *collapsedLog) summary(what string) func() {
	start, compiled := time.Now(), backend.Compiled()
	used, usedSec := artifacts().Used()
	made := artifacts().Made("")
	l.mu.Lock()
	l.depth++
	if l.depth > 1 {
		l.mu.Unlock()
		return func() {
			l.mu.Lock()
			l.depth--
			l.mu.Unlock()
		}
	}
	l.lines = nil
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		l.depth--
		lines := l.lines
		l.lines = nil
		l.mu.Unlock()
		if !gonbui.IsNotebook {
			return
		}
		head := fmt.Sprintf("%s: every stage from the store (%s)", what, time.Since(start).Round(100*time.Millisecond))
		n := artifacts().Made("") - made
		if n == 0 && !l.firstFromStore(what) {
			return // said once in this notebook: the same results (and notices) again
		}
		if n > 0 {
			head = fmt.Sprintf("%s: computed %d stages in %s%s", what, n, time.Since(start).Round(time.Second),
				train.CompileNote(backend.Compiled().Sub(compiled)))
		}
		if n, sec := artifacts().Used(); n > used {
			head += fmt.Sprintf("; its %d stages took %s to compute", n-used, computeTime(sec-usedSec))
		}
		body := ""
		if len(lines) > 0 {
			body = "<pre style=\"margin:0 0 0 1em\">" + html.EscapeString(strings.Join(collapse(lines), "\n")) + "</pre>"
		}
		gonbui.DisplayHTML(`<details style="font-family:monospace;font-size:12px;color:#555"><summary>` + html.EscapeString(head) + `</summary>` + body + `</details>`)
	}
}

// collapse shows each distinct line once, where it first came, with the
// number of times it came when more than once (a notice logged once per
// seed reads once).
func collapse(lines []string) []string {
	count := map[string]int{}
	var order []string
	for _, l := range lines {
		if count[l] == 0 {
			order = append(order, l)
		}
		count[l]++
	}
	for i, l := range order {
		if count[l] > 1 {
			order[i] = fmt.Sprintf("%s (×%d)", l, count[l])
		}
	}
	return order
}

// firstFromStore reports whether what's results are read whole from the
// store for the first time in this notebook: later cells that read them
// again show no summary line. GoNB runs every cell in a process of its
// own, so the calls already shown are marked by files in the kernel's
// temporary folder ($GONB_TMP_DIR); without one, in this process.
func (l *collapsedLog) firstFromStore(what string) bool {
	if dir := os.Getenv("GONB_TMP_DIR"); dir != "" {
		sum := sha256.Sum256([]byte(what))
		mark := filepath.Join(dir, "w2s-shown", hex.EncodeToString(sum[:8]))
		if err := os.MkdirAll(filepath.Dir(mark), 0o755); err == nil {
			f, err := os.OpenFile(mark, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err == nil {
				f.Close()
				return true
			}
			if errors.Is(err, fs.ErrExist) {
				return false
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fromStore == nil {
		l.fromStore = map[string]bool{}
	}
	if l.fromStore[what] {
		return false
	}
	l.fromStore[what] = true
	return true
}

// Stages wraps a step-by-step walk-through (several stage calls on a
// runner): their log lines are collapsed into one summary line when it
// returns.
func Stages[T any](what string, f func() (T, error)) T {
	defer stageLog.summary(what)()
	return Must(f())
}

// computeTime is a stage's recorded compute time as a summary shows it:
// milliseconds under a second, tenths under a minute, else minutes.
func computeTime(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	if d.Round(100*time.Millisecond) < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	d = d.Round(time.Minute)
	if h := d / time.Hour; h > 0 {
		return fmt.Sprintf("%d h %02d min", h, (d%time.Hour)/time.Minute)
	}
	return fmt.Sprintf("%d min", d/time.Minute)
}

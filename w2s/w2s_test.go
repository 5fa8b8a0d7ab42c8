package w2s

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/testgate"
	"github.com/w2s-lab/w2s/w2s/train"
)

func TestNamesFollowTheScale(t *testing.T) {
	t.Setenv("W2S_SCALE", "ci")
	if got := Model("xl"); got != "zoo/ci/xl" {
		t.Errorf("Model(xl) = %q", got)
	}
	l := Ladder()
	if len(l) != 5 || l[0] != "zoo/ci/xs" || l[4] != "zoo/ci/xl" {
		t.Errorf("Ladder() = %v", l)
	}
	if got := Models("s", "m"); len(got) != 2 || got[1] != "zoo/ci/m" {
		t.Errorf("Models = %v", got)
	}
	if Short("zoo/ci/m") != "m" || Short("gpt2") != "gpt2" {
		t.Error("Short")
	}
	// Parameter counts come from the shipped ladder's build records and
	// grow along the ladder.
	for i := 1; i < len(l); i++ {
		if Params(l[i-1]) <= 0 || Params(l[i]) <= Params(l[i-1]) {
			t.Errorf("params %s %d, %s %d", l[i-1], Params(l[i-1]), l[i], Params(l[i]))
		}
	}
	b := Budget()
	if len(Seeds()) == 0 || Seed() != b.Seeds[0] {
		t.Errorf("seeds %v, default %d", Seeds(), Seed())
	}
	t.Setenv("W2S_SCALE", "cpu")
	if Model("xs") != "zoo/cpu/xs" || len(Seeds()) < 5 {
		t.Errorf("cpu: %s, %d seeds (the statistics need at least 5)", Model("xs"), len(Seeds()))
	}
}

func TestMustPanicsWithTheError(t *testing.T) {
	if Must(3, nil) != 3 {
		t.Fatal("Must changed the value")
	}
	want := errors.New("boom")
	defer func() {
		if r := recover(); r != want {
			t.Errorf("recovered %v, want the error itself", r)
		}
	}()
	Must(0, want)
	t.Error("Must did not panic")
}

func TestUnknownScalePanicsClearly(t *testing.T) {
	t.Setenv("W2S_SCALE", "huge")
	defer func() {
		r := recover()
		if err, ok := r.(error); !ok || !strings.Contains(err.Error(), "huge") {
			t.Errorf("recovered %v, want an error naming the scale", r)
		}
	}()
	Ladder()
}

func TestEnvNamesTheBackend(t *testing.T) {
	t.Setenv("W2S_SCALE", "ci")
	e := Env()
	s := e.String()
	if e.Backend == "" || !strings.Contains(s, "backend "+e.Backend) || !strings.Contains(s, "scale ci") || !strings.Contains(s, "threads") {
		t.Errorf("Env: %s", s)
	}
	if e.Plugin != "" && !strings.Contains(s, e.PJRTVersion) {
		t.Errorf("a plugin without its PJRT version: %s", s)
	}
}

func TestRegisterFileFromANotebook(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mail.jsonl")
	var b bytes.Buffer
	for i := range 40 {
		label := i % 2
		b.WriteString(`{"body": "message ` + strings.Repeat("x", i+1) + `", "spam": ` + string(rune('0'+label)) + "}\n")
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	name := RegisterFile(tasks.FileSpec{Name: "mail-test", Train: path, TextField: "body", LabelField: "spam", Labels: []string{"ham", "spam"}})
	task := TaskInfo(name)
	if name != "mail-test" || len(task.Labels) != 2 || task.Labels[1] != "spam" {
		t.Errorf("registered %q: %+v", name, task)
	}
	// The same spec again is the same task; another under that name panics.
	if RegisterFile(tasks.FileSpec{Name: "mail-test", Train: path, TextField: "body", LabelField: "spam", Labels: []string{"ham", "spam"}}) != name {
		t.Error("registering the same spec twice")
	}
	defer func() {
		if recover() == nil {
			t.Error("a different spec under a taken name did not panic")
		}
	}()
	RegisterFile(tasks.FileSpec{Name: "mail-test", Train: path, Labels: []string{"a", "b"}})
}

func TestTerminalProgressLogsWhenNotATerminal(t *testing.T) {
	var b bytes.Buffer
	p := TerminalProgress(&b, "demo")
	p.Start(0, 10)
	for i := 1; i <= 10; i++ {
		p.Update(i, train.Point{Step: i, Loss: 1 / float64(i)})
	}
	p.Done()
	out := b.String()
	if !strings.Contains(out, "demo") || !strings.Contains(out, "10/10") {
		t.Errorf("progress log:\n%s", out)
	}
}

// A sweep from a notebook: every pair and loss over the scale's seeds,
// a summary per cell, and lookups by name; a second call is served from
// the store.
func TestSweepAndLookups(t *testing.T) {
	testgate.Integration(t, "trains models")
	datatest.Require(t)
	t.Setenv("W2S_SCALE", "ci")
	t.Setenv("W2S_CACHE", t.TempDir())
	models := Models("xs", "m")
	sw := Sweep("sst2", models, "xent")
	if len(sw.Rows) != len(Seeds()) || len(sw.Summary) != 1 {
		t.Fatalf("%d rows, %d summaries", len(sw.Rows), len(sw.Summary))
	}
	s, ok := sw.Find(models[0], models[1], "xent")
	if !ok || s.WeakModel != models[0] || s.Seeds != len(Seeds()) {
		t.Fatalf("Find: %v %+v", ok, s)
	}
	if _, ok := sw.Find(models[1], models[0], "xent"); ok {
		t.Error("Find found a pair that was not run")
	}
	// The sentence names the pair and loss and states the summary's verdict with its numbers.
	if sent, want := StudentSentence(s), wantSentence(s); sent != want {
		t.Errorf("sentence\n%q, want\n%q", sent, want)
	}
	f := sw.FindPGRBetweenZeroAndOne("xent")
	if tb := FindingsTable("caption", f); len(tb.Rows) != 1 || len(tb.Rows[0]) != 4 || tb.Rows[0][2] != f.Outcome.String() || tb.Caption != "caption" {
		t.Errorf("findings table %+v", tb)
	}
	again := Sweep("sst2", models, "xent")
	if again.Summary[0].StudentAcc != s.StudentAcc {
		t.Error("a repeated sweep gave other numbers")
	}
}

// wantSentence is what StudentSentence says of s: the pair and loss, then
// the verdict's sentence with the summary's numbers.
func wantSentence(s analysis.Summary) string {
	iv := func(i metrics.Interval) string { return fmt.Sprintf("%.3f [%.3f, %.3f]", i.Estimate, i.Low, i.High) }
	pc := func(x metrics.Float) string { return fmt.Sprintf("%.0f%%", 100*float64(x)) }
	head := fmt.Sprintf("%s → %s (%s): ", Short(s.WeakModel), Short(s.StrongModel), s.Loss.Short())
	if s.Seeds < metrics.MinSeeds {
		return head + fmt.Sprintf("supervisor %.3f, student %.3f, ceiling %.3f on %d seed: an interval, and so a verdict, needs 2 or more seeds.",
			s.WeakAcc.Estimate, s.StudentAcc.Estimate, s.CeilingAcc.Estimate, s.Seeds)
	}
	switch s.StudentVerdict() {
	case metrics.Undefined:
		return head + fmt.Sprintf("the gold ceiling (%.3f) is not above the supervisor (%.3f), so there is no gap to recover and no PGR.", s.CeilingAcc.Estimate, s.WeakAcc.Estimate)
	case metrics.TooSmall:
		return head + fmt.Sprintf("the gold ceiling (%.3f) is above the supervisor (%.3f) by %.3f, less than 3 standard errors (%.3f): the gap is too small to measure, so no PGR is reported (the student reached %.3f).",
			s.CeilingAcc.Estimate, s.WeakAcc.Estimate, s.Gap.Estimate, 3*float64(s.GapSE), s.StudentAcc.Estimate)
	case metrics.Beat:
		return head + fmt.Sprintf("the student reached %s, above its supervisor's %s: it beat its supervisor and recovered %s [%s, %s] of the gap to the gold ceiling (%s).",
			iv(s.StudentAcc), iv(s.WeakAcc), pc(s.PGR.Estimate), pc(s.PGR.Low), pc(s.PGR.High), iv(s.CeilingAcc))
	case metrics.DidNotBeat:
		return head + fmt.Sprintf("the student reached %s, below its supervisor's %s: it did not beat its supervisor (student − supervisor %s; PGR %s; ceiling %s).",
			iv(s.StudentAcc), iv(s.WeakAcc), iv(s.StudentGain), iv(s.PGR), iv(s.CeilingAcc))
	}
	return head + fmt.Sprintf("the student reached %s against its supervisor's %s: no measurable difference (student − supervisor %s, an interval that includes 0; PGR %s; ceiling %s).",
		iv(s.StudentAcc), iv(s.WeakAcc), iv(s.StudentGain), iv(s.PGR), iv(s.CeilingAcc))
}

// TestStudentSentence: the sentence of each verdict, word for word, for
// summaries made by hand.
func TestStudentSentence(t *testing.T) {
	iv := func(e, lo, hi float64) metrics.Interval {
		return metrics.Interval{Estimate: metrics.Float(e), Low: metrics.Float(lo), High: metrics.Float(hi), N: 3}
	}
	base := analysis.Summary{WeakModel: "zoo/ci/xs", StrongModel: "zoo/ci/m", Loss: "logconf"}
	base.Seeds = 3
	base.WeakAcc, base.CeilingAcc = iv(0.6, 0.58, 0.62), iv(0.8, 0.78, 0.82)
	base.Gap = iv(0.2, 0.18, 0.22)
	base.Measurable = true
	beat := base
	beat.StudentAcc, beat.StudentGain, beat.PGR = iv(0.7, 0.69, 0.71), iv(0.1, 0.09, 0.11), iv(0.5, 0.45, 0.55)
	lost := base
	lost.StudentAcc, lost.StudentGain, lost.PGR = iv(0.55, 0.54, 0.56), iv(-0.05, -0.06, -0.04), iv(-0.25, -0.3, -0.2)
	tie := base
	tie.StudentAcc, tie.StudentGain, tie.PGR = iv(0.6, 0.59, 0.61), iv(0, -0.01, 0.01), iv(0, -0.05, 0.05)
	small := beat
	small.Measurable, small.GapSE, small.Gap = false, 0.01, iv(0.02, -0.01, 0.05)
	none := small
	none.Gap = iv(-0.01, -0.03, 0.01)
	one := beat
	one.Seeds = 1
	for _, c := range []struct {
		s    analysis.Summary
		want string
	}{
		{beat, "xs → m (logconf): the student reached 0.700 [0.690, 0.710], above its supervisor's 0.600 [0.580, 0.620]: it beat its supervisor and recovered 50% [45%, 55%] of the gap to the gold ceiling (0.800 [0.780, 0.820])."},
		{lost, "xs → m (logconf): the student reached 0.550 [0.540, 0.560], below its supervisor's 0.600 [0.580, 0.620]: it did not beat its supervisor (student − supervisor -0.050 [-0.060, -0.040]; PGR -0.250 [-0.300, -0.200]; ceiling 0.800 [0.780, 0.820])."},
		{tie, "xs → m (logconf): the student reached 0.600 [0.590, 0.610] against its supervisor's 0.600 [0.580, 0.620]: no measurable difference (student − supervisor 0.000 [-0.010, 0.010], an interval that includes 0; PGR 0.000 [-0.050, 0.050]; ceiling 0.800 [0.780, 0.820])."},
		{small, "xs → m (logconf): the gold ceiling (0.800) is above the supervisor (0.600) by 0.020, less than 3 standard errors (0.030): the gap is too small to measure, so no PGR is reported (the student reached 0.700)."},
		{none, "xs → m (logconf): the gold ceiling (0.800) is not above the supervisor (0.600), so there is no gap to recover and no PGR."},
		{one, "xs → m (logconf): supervisor 0.600, student 0.700, ceiling 0.800 on 1 seed: an interval, and so a verdict, needs 2 or more seeds."},
	} {
		if got := StudentSentence(c.s); got != c.want {
			t.Errorf("verdict %v:\n got %q\nwant %q", c.s.StudentVerdict(), got, c.want)
		}
		if got := wantSentence(c.s); got != c.want {
			t.Errorf("wantSentence, verdict %v:\n got %q\nwant %q", c.s.StudentVerdict(), got, c.want)
		}
	}
}

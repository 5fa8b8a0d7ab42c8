package w2s

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/tasks"
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
	datatest.Require(t)
	if testing.Short() {
		t.Skip("trains models (about a minute)")
	}
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
	// The sentence names the pair and loss and states the summary's verdict.
	phrase := map[metrics.Verdict]string{metrics.Undefined: "no gap to recover", metrics.TooSmall: "the gap is too small to measure",
		metrics.Beat: "it beat its supervisor", metrics.DidNotBeat: "it did not beat its supervisor", metrics.Tie: "no measurable difference"}[s.StudentVerdict()]
	if sent := StudentSentence(s); !strings.HasPrefix(sent, "xs → m (xent): ") || !strings.Contains(sent, phrase) {
		t.Errorf("sentence %q, want the pair and %q (verdict %v)", sent, phrase, s.StudentVerdict())
	}
	f := FindPGRBetweenZeroAndOne(sw, "xent")
	if tb := FindingsTable("caption", f); len(tb.Rows) != 1 || len(tb.Rows[0]) != 4 || tb.Rows[0][2] != f.Outcome.String() || tb.Caption != "caption" {
		t.Errorf("findings table %+v", tb)
	}
	again := Sweep("sst2", models, "xent")
	if again.Summary[0].StudentAcc != s.StudentAcc {
		t.Error("a repeated sweep gave other numbers")
	}
}

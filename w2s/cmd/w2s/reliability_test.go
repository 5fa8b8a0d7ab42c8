package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/internal/interrupt"
	"github.com/w2s-lab/w2s/w2s/slurm"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/testgate"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// TestZooVerifyNamesWhatIsWrong: with the extracted xs replaced by s's
// whole folder, or one byte of its weights flipped, zoo verify does not
// print "ok  xs", and its error says what differs and how to repair it.
func TestZooVerifyNamesWhatIsWrong(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(shipped string) error
		want   string
	}{
		{"swapped", func(shipped string) error {
			xs := filepath.Join(shipped, "xs")
			if err := os.RemoveAll(xs); err != nil {
				return err
			}
			return os.CopyFS(xs, os.DirFS(filepath.Join(shipped, "s")))
		}, "build.json: not the build record of zoo/ci/xs"},
		{"flipped", func(shipped string) error {
			p := filepath.Join(shipped, "xs", "model.safetensors")
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			raw[len(raw)-1] ^= 1
			return os.WriteFile(p, raw, 0o644)
		}, "model.safetensors: sha256"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("W2S_CACHE", t.TempDir())
			t.Setenv("W2S_ZOO_DIR", "")
			shipped := zoo.ShippedDir("ci")
			if err := c.change(shipped); err != nil {
				t.Fatal(err)
			}
			out, err := run(t, "zoo", "verify", "--scale", "ci")
			if strings.Contains(out, "ok  xs") || !strings.Contains(out, "ok  s ") {
				t.Errorf("output:\n%s", out)
			}
			if err == nil || strings.Contains(err.Error(), "not built") || !strings.Contains(err.Error(), c.want) ||
				!strings.Contains(err.Error(), "remove "+shipped) {
				t.Errorf("error: %v", err)
			}
		})
	}
}

// buildW2S builds the w2s binary into a temporary folder.
func buildW2S(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "w2s")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// started is a w2s process with its output collected.
type started struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

// syncBuffer is a strings.Builder safe for one writer and many readers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startW2S(t *testing.T, bin string, env []string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &started{cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return p
}

// wait returns the exit status within limit, or fails the test.
func (p *started) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(limit):
		p.cmd.Process.Kill()
		t.Fatalf("still running %s later; output:\n%s", limit, p.out.String())
		return -1
	}
}

// TestSignalsEndCommands runs the w2s binary on named pipes with no writer
// and on a training, and signals it: every command ends within a few
// seconds, a training leaves state that the next run resumes from.
func TestSignalsEndCommands(t *testing.T) {
	testgate.Integration(t, "signals trainings in child processes")
	bin := buildW2S(t)
	dir := t.TempDir()
	env := []string{"W2S_CACHE=" + filepath.Join(dir, "cache"), "W2S_SCALE=ci"}
	fifo := filepath.Join(dir, "data.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("task file is a named pipe", func(t *testing.T) {
		p := startW2S(t, bin, env, "run", "--scale", "ci", "--task", "file:"+fifo, "--labels", "a,b", "--out", filepath.Join(dir, "out"))
		time.Sleep(time.Second)
		p.cmd.Process.Signal(syscall.SIGTERM) // were it blocked
		if code := p.wait(t, 5*time.Second); code != 1 || !strings.Contains(p.out.String(), fifo+" is a named pipe") {
			t.Errorf("exit %d:\n%s", code, p.out.String())
		}
	})

	t.Run("SIGTERM while opening a corpus pipe", func(t *testing.T) {
		p := startW2S(t, bin, env, "train", "--corpus", fifo, "--out", "")
		time.Sleep(time.Second)
		start := time.Now()
		p.cmd.Process.Signal(syscall.SIGTERM)
		code := p.wait(t, 4*time.Second)
		if code != 130 || !strings.Contains(p.out.String(), "interrupted; run the same command again") {
			t.Errorf("exit %d after %s:\n%s", code, time.Since(start).Round(time.Millisecond), p.out.String())
		}
	})

	t.Run("SIGINT during a training", func(t *testing.T) {
		corpus := filepath.Join(dir, "text.txt")
		os.WriteFile(corpus, []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 400)), 0o644)
		out := filepath.Join(dir, "run")
		args := []string{"train", "--corpus", corpus, "--layers", "1", "--width", "16", "--heads", "2", "--context", "16",
			"--batch", "4", "--steps", "600", "--eval-every", "20", "--out", out}
		p := startW2S(t, bin, env, args...)
		state := filepath.Join(out, "state", "trainer_state.json")
		deadline := time.Now().Add(2 * time.Minute)
		for {
			if _, err := os.Stat(state); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no state saved after 2 minutes:\n%s", p.out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		start := time.Now()
		p.cmd.Process.Signal(syscall.SIGINT)
		if code := p.wait(t, interrupt.Grace+2*time.Second); code != 130 {
			t.Fatalf("exit %d after %s:\n%s", code, time.Since(start).Round(time.Millisecond), p.out.String())
		}
		t.Logf("the training ended %s after SIGINT", time.Since(start).Round(time.Millisecond))
		var rec struct{ Steps int }
		raw, _ := os.ReadFile(state)
		if err := json.Unmarshal(raw, &rec); err != nil || rec.Steps == 0 || rec.Steps >= 600 {
			t.Fatalf("state after the signal: %v %s", err, raw)
		}
		// The same command resumes from the state the signal left.
		again := startW2S(t, bin, env, args...)
		if code := again.wait(t, 3*time.Minute); code != 0 || !strings.Contains(again.out.String(), fmt.Sprintf("resumed from step %d of 600", rec.Steps)) {
			t.Errorf("second run, exit %d (state had %d steps):\n%s", code, rec.Steps, again.out.String())
		}
	})
}

func TestSplitTasks(t *testing.T) {
	cases := []struct {
		list string
		want []string
		err  string
	}{
		{"sst2", []string{"sst2"}, ""},
		{"sst2, imdb,ag_news", []string{"sst2", "imdb", "ag_news"}, ""},
		{`file:/d/my file\,x=1.jsonl`, []string{"file:/d/my file,x=1.jsonl"}, ""},
		{`sst2,file:/d/a\,b\\c.jsonl,imdb`, []string{"sst2", `file:/d/a,b\c.jsonl`, "imdb"}, ""},
		{`file:/d/back\slash.jsonl`, []string{`file:/d/back\slash.jsonl`}, ""},
		{"sst2,", nil, "empty name"},
		{",sst2", nil, "empty name"},
	}
	for _, c := range cases {
		got, err := splitTasks(c.list)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want an error with %q", c.list, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, %v; want %q", c.list, got, err, c.want)
		}
	}
}

// writeDataset writes n labelled rows of JSON Lines to path: label i%2,
// texts that differ.
func writeDataset(t *testing.T, path string, n int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"text": "review number %d is %s", "label": %d}`+"\n", i, []string{"bad", "good"}[i%2], i%2)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTaskPathsWithCommas: a dataset whose file name holds a comma is a
// task through an escaped --task, or --task-file; the unescaped list names
// the missing file and both remedies; a Slurm unit passes the path whole.
func TestTaskPathsWithCommas(t *testing.T) {
	testgate.Integration(t, "counts the units of three sweeps")
	datatest.Require(t) // sst2 in a list
	dir := t.TempDir()
	t.Setenv("W2S_CACHE", filepath.Join(dir, "cache"))
	data := filepath.Join(dir, "my data", "my file,x=1.jsonl")
	writeDataset(t, data, 400)
	status := []string{"sweep", "status", "--scale", "ci", "--labels", "bad,good", "--models", "zoo/xs,zoo/m", "--losses", "xent", "--seeds", "0"}
	escaped := "file:" + strings.ReplaceAll(data, ",", `\,`)
	for _, args := range [][]string{{"--task", escaped}, {"--task-file", data}, {"--task", "sst2," + escaped}} {
		out, err := run(t, append(slices.Clone(status), args...)...)
		if err != nil || !strings.Contains(out, "of 3 units done") && !strings.Contains(out, "of 6 units done") {
			t.Errorf("%q: %v\n%s", args, err, out)
		}
	}
	_, err := run(t, append(slices.Clone(status), "--task", "file:"+data)...)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "my data", "my file")+" does not exist") ||
		!strings.Contains(err.Error(), `\,`) || !strings.Contains(err.Error(), "--task-file") {
		t.Errorf("unescaped: %v", err)
	}
	// The units of a Slurm sweep give the file with --task-file, and read it back.
	out, err := run(t, "sweep", "--slurm", "--dry-run", "--scale", "ci", "--task-file", data, "--labels", "bad,good",
		"--models", "zoo/xs,zoo/m", "--losses", "xent", "--seeds", "0", "--out", filepath.Join(dir, "out"))
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	units, err := os.ReadFile(filepath.Join(dir, "out", "slurm", "supervise.units"))
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(units))
	if !strings.Contains(line, "--task-file '"+data+"'") || !strings.Contains(line, "--labels bad,good") {
		t.Errorf("unit line %s", line)
	}
	if u, err := slurm.ParseUnit([]string{"supervise", "--task-file", data, "--seeds", "0", "--weak", "zoo/ci/xs"}); err != nil || u.Task != "file:"+data {
		t.Errorf("ParseUnit: task %q, %v", u.Task, err)
	}
}

// TestCacheGCOlderThanZero: --older-than 0s removes every artifact not in
// use (it removed nothing, while 1s removed them all); without the flag
// gc keeps intact artifacts.
func TestCacheGCOlderThanZero(t *testing.T) {
	t.Setenv("W2S_CACHE", t.TempDir())
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := st.Do(context.Background(), "metrics", 1, i, func(dir string) error { return store.WriteJSON(dir, "m.json", i) }); err != nil {
			t.Fatal(err)
		}
	}
	st.Close() // the process that made them is done with them
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "0 removed"},
		{[]string{"--older-than", "1h"}, "0 removed"},
		{[]string{"--older-than", "0s"}, "2 removed"},
	} {
		out, err := run(t, append([]string{"cache", "gc"}, c.args...)...)
		if err != nil || !strings.Contains(out, c.want) {
			t.Errorf("gc %v: %v\n%s", c.args, err, out)
		}
	}
	if _, err := run(t, "cache", "gc", "--older-than", "-1s"); err == nil {
		t.Error("a negative age accepted")
	}
}

// TestFlagsCheckedBeforeTraining: a loss or a model that cannot be used is
// refused before anything is trained (a bad --loss was refused only after
// the supervisor had trained).
func TestFlagsCheckedBeforeTraining(t *testing.T) {
	datatest.Require(t)
	cache := t.TempDir()
	t.Setenv("W2S_CACHE", cache)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--loss", "logconf(alpha=abc)"}, `--loss: loss "logconf(alpha=abc)": parameter "alpha=abc" is not key=number`},
		{[]string{"run", "--loss", "logconf(gamma=1)"}, "unknown parameters gamma"},
		{[]string{"sweep", "--models", "zoo/xs,zoo/m", "--losses", "xent,logconf(alpha=0.5,warmup=0.2)"}, `quote a loss whose parameters hold commas`},
		{[]string{"run", "--strong", "zoo/xxl"}, `scale ci has no size "xxl"`},
		{[]string{"sweep", "--models", "zoo/xs," + filepath.Join(cache, "nothing-here")}, "unknown model"},
		{[]string{"earlystop", "--loss", "focal"}, `unknown loss "focal"`},
		{[]string{"bootstrap", "--chain", "zoo/xs,zoo/s,zoo/huge"}, `no size "huge"`},
	}
	for _, c := range cases {
		args := append(c.args, "--scale", "ci", "--task", "sst2", "--seeds", "0")
		if c.args[0] == "run" || c.args[0] == "sweep" {
			args = append(args, "--out", filepath.Join(cache, "out"))
		}
		_, err := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	if trained, _ := filepath.Glob(filepath.Join(cache, "artifacts", "*", "*")); len(trained) > 0 {
		t.Errorf("computed before refusing a flag: %v", trained)
	}
}

// TestCacheLsNamesTheBackend: cache ls says which backend computed each
// artifact (the plugin's path once, below the table), and "not recorded"
// for artifacts stored before artifacts said.
func TestCacheLsNamesTheBackend(t *testing.T) {
	t.Setenv("W2S_CACHE", t.TempDir())
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fill := func(dir string) error { return store.WriteJSON(dir, "m.json", 1) }
	xla := "xla on cpu with xla-cpu-pjrt 0.0.1 (PJRT C API 0.81) at /venv/xla_cpu_pjrt.so, GoMLX v0.26.0"
	st.DoBy(ctx, xla, "trained", 1, "a", fill)
	st.DoBy(ctx, "go on go, GoMLX v0.26.0", "trained", 1, "b", fill)
	st.Do(ctx, "trained", 1, "c", fill)
	out, err := run(t, "cache", "ls")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"backend", "xla on cpu with xla-cpu-pjrt 0.0.1 (PJRT C API 0.81), GoMLX v0.26.0", "go on go, GoMLX v0.26.0",
		stage.NotRecorded, "xla on cpu with xla-cpu-pjrt 0.0.1 (PJRT C API 0.81), GoMLX v0.26.0: plugin /venv/xla_cpu_pjrt.so"} {
		if !strings.Contains(out, want) {
			t.Errorf("cache ls lacks %q:\n%s", want, out)
		}
	}
}

// TestLabelsInferred: a file task with integer labels and no --labels
// runs, its classes read from the data and printed (it failed until
// --labels named them).
func TestLabelsInferred(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("W2S_CACHE", filepath.Join(dir, "cache"))
	data := filepath.Join(dir, "data.jsonl")
	writeDataset(t, data, 400)
	out, err := run(t, "sweep", "status", "--scale", "ci", "--task", "file:"+data, "--models", "zoo/xs,zoo/m", "--losses", "xent", "--seeds", "0")
	if err != nil || !strings.Contains(out, "file:"+data+": 2 classes found in its labels, named 0, 1") || !strings.Contains(out, "0 of 3 units done") {
		t.Errorf("%v\n%s", err, out)
	}
}

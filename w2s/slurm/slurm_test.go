package slurm

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/losses"
)

// units are units of every kind, with the values that need care: a file
// task whose path holds commas, spaces and quotes; labels with a comma; a
// loss with parameters.
var units = []Unit{
	{Kind: Supervise, Task: "sst2", Scale: "ci", Seed: 0, Weak: "zoo/ci/xs"},
	{Kind: Student, Task: "sst2", Scale: "cpu", Probe: true, Seed: 7, Weak: "zoo/cpu/xs", Strong: "gpt2", Loss: "logconf(alpha=0.5,warmup=0.2)"},
	{Kind: Ceiling, Task: "imdb", Scale: "gpu", Seed: 18446744073709551615, Strong: "/models/my model"},
	{Kind: Student, Task: "sst2", Scale: "cpu", Seed: 3, Weak: "zoo/cpu/xs", Strong: "zoo/cpu/xl", Loss: "xent", Train: Training{Head: "mean", Shuffled: true}},
	{Kind: Student, Task: "file:/d/my file,x=1's.jsonl", Scale: "ci", Seed: 1, Weak: "zoo/ci/xs", Strong: "zoo/ci/m", Loss: "xent",
		File: FileTask{Test: "/d/test file.jsonl", TextField: "text", LabelField: "label", Labels: []string{"bad, really", "good"}, LabelWords: []string{"no", `"yes"`}}},
	{Kind: Ceiling, Task: "file:/d/pairs.jsonl", Seed: 2, Strong: "zoo/ci/m",
		File: FileTask{TextField: "prompt", LabelField: "label", ChosenField: "chosen", RejectedField: "rejected"}},
}

func TestUnitArgsRoundTrip(t *testing.T) {
	for _, u := range units {
		args := u.Args()
		got, err := ParseUnit(args)
		if err != nil {
			t.Errorf("ParseUnit(%q): %v", args, err)
			continue
		}
		if !reflect.DeepEqual(got, u) {
			t.Errorf("ParseUnit(%q) =\n%+v, want\n%+v", args, got, u)
		}
		if again := got.Args(); !slices.Equal(again, args) {
			t.Errorf("Args after ParseUnit = %q, want %q", again, args)
		}
	}
}

// TestUnitLineRoundTrip: a unit's line in the units file, read by the
// shell as the sbatch script reads it (eval), gives ParseUnit the unit's
// arguments.
func TestUnitLineRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, u := range units {
		out, err := exec.Command(sh, "-c", `eval set -- "$1"; printf '%s\0' "$@"`, "sh", u.line()).Output()
		if err != nil {
			t.Fatalf("%s: %v", u.line(), err)
		}
		args := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if got, err := ParseUnit(args); err != nil || !reflect.DeepEqual(got, u) {
			t.Errorf("line %s: %+v, %v; want %+v", u.line(), got, err, u)
		}
	}
}

func TestParseUnitRefuses(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "want supervise"},
		{[]string{"teacher", "--task", "sst2", "--seeds", "0"}, `unknown unit "teacher"`},
		{[]string{"supervise", "--seeds", "0", "--weak", "a"}, "no --task"},
		{[]string{"supervise", "--task", "sst2", "--weak", "a"}, "--seeds N"},
		{[]string{"supervise", "--task", "sst2", "--seeds", "0,1", "--weak", "a"}, "one seed"},
		{[]string{"supervise", "--task", "sst2", "--seeds", "0"}, "no --weak"},
		{[]string{"student", "--task", "sst2", "--seeds", "0", "--weak", "a"}, "no --strong"},
		{[]string{"ceiling", "--task", "sst2", "--seeds", "0", "--strong", "b", "--heads", "mean"}, `unknown argument "--heads"`},
		{[]string{"ceiling", "--task", "sst2", "--seeds", "0", "--strong"}, "--strong needs a value"},
		{[]string{"ceiling", "--task", "sst2", "--seeds", "0", "--seeds", "1", "--strong", "b"}, "--seeds given twice"},
		{[]string{"ceiling", "--task", "sst2", "--task-file", "/x", "--seeds", "0", "--strong", "b"}, "one task"},
	} {
		_, err := ParseUnit(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseUnit(%q): %v, want an error with %q", c.args, err, c.want)
		}
	}
	// A student without --loss trains with xent; --flag=value is read too.
	u, err := ParseUnit([]string{"student", "--task=sst2", "--seeds=3", "--weak", "a", "--strong=b"})
	if want := (Unit{Kind: Student, Task: "sst2", Seed: 3, Weak: "a", Strong: "b", Loss: "xent"}); err != nil || !reflect.DeepEqual(u, want) {
		t.Errorf("ParseUnit: %+v, %v; want %+v", u, err, want)
	}
}

func TestUnits(t *testing.T) {
	specs := []analysis.SweepSpec{
		{Task: "sst2", Scale: "ci", Models: []string{"w", "m", "s"}, Pairs: [][2]int{{0, 1}, {0, 2}}, Losses: []losses.Spec{"xent", "logconf"}, Seeds: []uint64{0, 1}},
		{Task: "file:/d/a,b.jsonl", Scale: "ci", Models: []string{"w", "s"}, Losses: []losses.Spec{"xent"}, Seeds: []uint64{5}, Probe: true},
	}
	file := FileTask{TextField: "text", LabelField: "label", Labels: []string{"no", "yes"}}
	supervise, train := Units(specs, file, Training{})
	var lines []string
	for _, u := range append(slices.Clone(supervise), train...) {
		lines = append(lines, strings.Join(u.Args(), " "))
	}
	want := []string{
		"supervise --task sst2 --scale ci --seeds 0 --weak w",
		"supervise --task sst2 --scale ci --seeds 1 --weak w",
		"supervise --task-file /d/a,b.jsonl --scale ci --probe --seeds 5 --weak w --text-field text --label-field label --labels no,yes",
		"student --task sst2 --scale ci --seeds 0 --weak w --strong m --loss xent",
		"student --task sst2 --scale ci --seeds 0 --weak w --strong m --loss logconf",
		"ceiling --task sst2 --scale ci --seeds 0 --strong m",
		"student --task sst2 --scale ci --seeds 0 --weak w --strong s --loss xent",
		"student --task sst2 --scale ci --seeds 0 --weak w --strong s --loss logconf",
		"ceiling --task sst2 --scale ci --seeds 0 --strong s",
		"student --task sst2 --scale ci --seeds 1 --weak w --strong m --loss xent",
		"student --task sst2 --scale ci --seeds 1 --weak w --strong m --loss logconf",
		"ceiling --task sst2 --scale ci --seeds 1 --strong m",
		"student --task sst2 --scale ci --seeds 1 --weak w --strong s --loss xent",
		"student --task sst2 --scale ci --seeds 1 --weak w --strong s --loss logconf",
		"ceiling --task sst2 --scale ci --seeds 1 --strong s",
		"student --task-file /d/a,b.jsonl --scale ci --probe --seeds 5 --weak w --strong s --loss xent --text-field text --label-field label --labels no,yes",
		"ceiling --task-file /d/a,b.jsonl --scale ci --probe --seeds 5 --strong s --text-field text --label-field label --labels no,yes",
	}
	if len(supervise) != 3 || !slices.Equal(lines, want) {
		t.Errorf("%d supervise units; units:\n%s\nwant:\n%s", len(supervise), strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// A sweep's training flags reach every unit, so its units train as the
	// sweep in one process would.
	supervise, train = Units(specs[:1], file, Training{Head: "mean", Shuffled: true})
	for _, u := range append(supervise, train...) {
		if line := strings.Join(u.Args(), " "); !strings.Contains(line, " --head mean --shuffled-batches ") {
			t.Errorf("a unit without the sweep's training flags: %s", line)
		}
	}
}

func TestPlanWrite(t *testing.T) {
	dir := t.TempDir()
	p := NewPlan([]analysis.SweepSpec{{Task: "sst2", Scale: "ci", Models: []string{"w", "s"}, Losses: []losses.Spec{"xent"}, Seeds: []uint64{0}}},
		FileTask{}, Training{}, dir, "/opt/my w2s", map[string]string{"W2S_CACHE": "/c", "W2S_DATA": "/d d"}, DefaultResources, Resources{GPUs: 1, MaxActive: 2})
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	units, err := os.ReadFile(p.UnitsFile(p.Phases[1]))
	if err != nil {
		t.Fatal(err)
	}
	if want := "student --task sst2 --scale ci --seeds 0 --weak w --strong s --loss xent\nceiling --task sst2 --scale ci --seeds 0 --strong s\n"; string(units) != want {
		t.Errorf("train units:\n%s\nwant:\n%s", units, want)
	}
	script, err := os.ReadFile(p.ScriptFile(p.Phases[1]))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"#SBATCH --array=0-1%2", "#SBATCH --gres=gpu:1", "export W2S_DATA='/d d'", "eval exec '/opt/my w2s' sweep unit \"$unit\""} {
		if !strings.Contains(string(script), line+"\n") {
			t.Errorf("the train script has no line %q:\n%s", line, script)
		}
	}
}

func TestEnv(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, k := range EnvVars {
		t.Setenv(k, "")
	}
	t.Setenv("W2S_DATA", "data")
	t.Setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
	t.Setenv("W2S_NOT_PASSED", "x")
	env, err := Env("cache", "ci")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"W2S_CACHE": filepath.Join(dir, "cache"), "W2S_SCALE": "ci", "W2S_DATA": filepath.Join(dir, "data"),
		"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("Env = %v, want %v", env, want)
	}
}

func TestCopyExecutable(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "w2s")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CopyExecutable(src, dst); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(dst).Output()
	if err != nil || string(out) != "hi\n" {
		t.Errorf("the copy ran: %q, %v", out, err)
	}
	if err := CopyExecutable(filepath.Join(dir, "none"), dst); err == nil {
		t.Error("copying a missing file: no error")
	}
}

func TestCountDone(t *testing.T) {
	us := []Unit{{Kind: Supervise, Weak: "a"}, {Kind: Supervise, Weak: "b"}, {Kind: Student, Weak: "a"}, {Kind: Ceiling}, {Kind: Student, Weak: "b"}}
	s, err := CountDone(us, func(u Unit) (bool, error) { return u.Weak == "a", nil })
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "supervise  1 of 2 done\nstudent    1 of 2 done\nceiling    0 of 1 done\n2 of 5 units done\n"
	if b.String() != want {
		t.Errorf("status:\n%s\nwant:\n%s", b.String(), want)
	}
	boom := errors.New("boom")
	if _, err := CountDone(us, func(Unit) (bool, error) { return false, boom }); !errors.Is(err, boom) {
		t.Errorf("an error asking: %v", err)
	}
}

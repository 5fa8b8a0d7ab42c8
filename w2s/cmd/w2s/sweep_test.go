package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestWithoutSlurmFlags(t *testing.T) {
	got := withoutSlurmFlags([]string{"--scale", "ci", "--slurm", "--supervise-mem", "1G", "--train-cpus=1", "--dry-run",
		"--w2s-binary", "/bin/w2s", "--losses", "xent", "--train-time", "01:00:00", "--out", "runs/x"})
	want := []string{"--scale", "ci", "--losses", "xent", "--out", "runs/x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("withoutSlurmFlags = %q, want %q", got, want)
	}
}

// TestUnitCommandReadsUnits: `w2s sweep unit` reads its arguments with
// slurm.ParseUnit (what the plan wrote, nothing else) before it computes
// anything, and answers --help.
func TestUnitCommandReadsUnits(t *testing.T) {
	t.Setenv("W2S_CACHE", t.TempDir())
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ceiling", "--task", "sst2", "--seeds", "0", "--strong", "zoo/ci/m", "--heads", "mean"}, `unknown argument "--heads"`},
		{[]string{"student", "--task", "sst2", "--seeds", "0", "--weak", "zoo/ci/xs", "--strong", "zoo/ci/m", "--loss", "nope"}, "--loss"},
		{[]string{"supervise", "--task", "no_such_task", "--scale", "ci", "--seeds", "0", "--weak", "zoo/ci/xs"}, "no_such_task"},
	} {
		out, err := run(t, append([]string{"sweep", "unit"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("sweep unit %q: %v, want an error with %q\n%s", c.args, err, c.want, out)
		}
	}
	out, err := run(t, "sweep", "unit", "--help")
	if err != nil || !strings.Contains(out, "Unit.Args") {
		t.Errorf("sweep unit --help: %v\n%s", err, out)
	}
}

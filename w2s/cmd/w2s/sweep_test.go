package main

import (
	"reflect"
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

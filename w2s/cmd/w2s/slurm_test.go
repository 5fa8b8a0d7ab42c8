package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/internal/datatest"
)

// slurmRunning tells whether sbatch reaches a cluster; without one the
// test skips, unless $W2S_REQUIRE_SLURM is set (CI starts one with
// w2s/slurm/local-cluster), where it fails.
func slurmRunning(t *testing.T) {
	t.Helper()
	out, err := exec.Command("sinfo", "-h", "-o", "%t").CombinedOutput()
	if err == nil && len(bytes.TrimSpace(out)) > 0 {
		return
	}
	msg := "no Slurm cluster answers sinfo (start one with w2s/slurm/local-cluster start and export its SLURM_CONF): " + strings.TrimSpace(string(out))
	if os.Getenv("W2S_REQUIRE_SLURM") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestSlurmSweepMatchesInProcess submits a ci-scale sweep (2 tasks × 2
// pairs × 2 losses × 2 seeds) to Slurm as job arrays, waits for them,
// collects the results from the store, and checks them against the same
// sweep run in this process with a store of its own: identical numbers.
func TestSlurmSweepMatchesInProcess(t *testing.T) {
	datatest.Require(t)
	slurmRunning(t)
	if testing.Short() {
		t.Skip("runs a sweep on Slurm")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "w2s")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	args := []string{"sweep", "--scale", "ci", "--task", "sst2,rotten_tomatoes", "--weak", "zoo/xs", "--models", "zoo/m,zoo/xl",
		"--losses", "xent,logconf", "--seeds", "0,1"}
	w2s := func(cache string, extra ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(append([]string(nil), args...), extra...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "W2S_CACHE="+cache, "W2S_SCALE=ci")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("w2s %v: %v\n%s", extra, err, out)
		}
		return string(out)
	}
	shared := filepath.Join(dir, "shared-cache")
	out := w2s(shared, "--slurm", "--out", filepath.Join(dir, "slurm-run"), "--supervise-mem", "1G", "--train-mem", "1G", "--supervise-cpus", "1", "--train-cpus", "1")
	var ids []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "submitted" && f[2] == "job" {
			ids = append(ids, strings.TrimSuffix(f[3], ","))
		}
	}
	if len(ids) != 2 {
		t.Fatalf("want two job arrays submitted:\n%s", out)
	}
	deadline := time.Now().Add(15 * time.Minute)
	for {
		q, _ := exec.Command("squeue", "-h", "-j", strings.Join(ids, ","), "-o", "%i %t").CombinedOutput()
		if len(bytes.TrimSpace(q)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			exec.Command("scancel", ids...).Run()
			t.Fatalf("jobs still queued after 15 minutes:\n%s", q)
		}
		time.Sleep(3 * time.Second)
	}
	for _, id := range ids {
		info, _ := exec.Command("scontrol", "show", "job", id).CombinedOutput()
		if strings.Contains(string(info), "JobState=FAILED") || strings.Contains(string(info), "JobState=CANCELLED") {
			logs, _ := filepath.Glob(filepath.Join(dir, "slurm-run", "slurm", "logs", "*"))
			var tail []byte
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				tail = append(tail, b...)
			}
			t.Fatalf("job %s failed:\n%s\nlogs:\n%s", id, info, tail)
		}
	}
	// The status command exactly as the submission printed it.
	_, hint, ok := strings.Cut(out, "or: w2s sweep status ")
	if !ok {
		t.Fatalf("no status command in the submission's output:\n%s", out)
	}
	hint, _, _ = strings.Cut(hint, "\n")
	cmd := exec.Command(bin, append([]string{"sweep", "status"}, strings.Fields(hint)...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "W2S_CACHE="+shared, "W2S_SCALE=ci")
	statusOut, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("w2s sweep status %s: %v\n%s", hint, err, statusOut)
	}
	status := string(statusOut)
	if !strings.Contains(status, "28 of 28 units done") {
		t.Errorf("status after the jobs:\n%s", status)
	}
	// Collect: the same command without --slurm reads everything from the store:
	// it adds no artifact to it (the units stored every stage a comparison reads).
	before := artifactDirs(t, shared)
	start := time.Now()
	w2s(shared, "--out", filepath.Join(dir, "collected"))
	collectTime := time.Since(start)
	for d := range artifactDirs(t, shared) {
		if !before[d] {
			t.Errorf("collect computed %s: no Slurm unit stored it", d)
		}
	}
	// In this process, from scratch, in a store of its own.
	w2s(filepath.Join(dir, "own-cache"), "--out", filepath.Join(dir, "in-process"))
	for _, task := range []string{"sst2", "rotten_tomatoes"} {
		a, err := analysis.ReadSweep(filepath.Join(dir, "collected", task, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := analysis.ReadSweep(filepath.Join(dir, "in-process", task, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Rows) != 2*2*2 || len(a.Rows) != len(b.Rows) {
			t.Fatalf("%s: %d and %d rows, want 8", task, len(a.Rows), len(b.Rows))
		}
		for i := range a.Rows {
			ra, rb := a.Rows[i], b.Rows[i]
			if ra.WeakModel != rb.WeakModel || ra.Student != rb.Student || ra.Ceiling != rb.Ceiling || ra.Weak != rb.Weak ||
				!reflect.DeepEqual(ra.Hits, rb.Hits) {
				t.Errorf("%s row %d differs: Slurm %+v / %+v, in-process %+v / %+v", task, i, ra.Student, ra.Ceiling, rb.Student, rb.Ceiling)
			}
		}
		ja, _ := json.Marshal(a.Summary)
		jb, _ := json.Marshal(b.Summary)
		if !bytes.Equal(ja, jb) {
			t.Errorf("%s: the summaries differ", task)
		}
	}
	t.Logf("collect read every stage from the store in %s", collectTime.Round(time.Millisecond))
}

// artifactDirs lists the artifacts in a store (kind/key).
func artifactDirs(t *testing.T, cache string) map[string]bool {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(cache, "artifacts", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			rel, _ := filepath.Rel(cache, d)
			out[rel] = true
		}
	}
	if len(out) == 0 {
		t.Fatalf("no artifacts in %s", cache)
	}
	return out
}

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
	"github.com/w2s-lab/w2s/w2s/testgate"
)

// slurmRunning tells whether sbatch reaches a cluster; without one the
// test skips, unless $W2S_REQUIRE_SLURM is set (CI starts one with
// w2s/slurm/local-cluster), where it fails.
func slurmRunning(t *testing.T) {
	t.Helper()
	out, err := exec.Command("sinfo", "-h", "-o", "%t").CombinedOutput()
	testgate.Require(t, testgate.Slurm, err == nil && len(bytes.TrimSpace(out)) > 0,
		"no Slurm cluster answers sinfo (start one with w2s/slurm/local-cluster start and export its SLURM_CONF): "+strings.TrimSpace(string(out)))
}

// TestSlurmSweepMatchesInProcess submits a ci-scale sweep (2 tasks × 2
// pairs × 2 losses × 2 seeds) to Slurm as job arrays, waits for them,
// collects the results from the store, and checks them against the same
// sweep run in this process with a store of its own: identical numbers.
func TestSlurmSweepMatchesInProcess(t *testing.T) {
	testgate.Integration(t, "a sweep on Slurm and again in this process")
	datatest.Require(t)
	slurmRunning(t)
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

// jobIDs are the job ids a submission printed ("submitted PHASE: job ID, …").
func jobIDs(out string) map[string]string {
	ids := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "submitted" && f[2] == "job" {
			ids[strings.TrimSuffix(f[1], ":")] = strings.TrimSuffix(f[3], ",")
		}
	}
	return ids
}

// waitJobs waits until squeue lists none of the jobs.
func waitJobs(t *testing.T, limit time.Duration, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		q, _ := exec.Command("squeue", "-h", "-j", strings.Join(ids, ","), "-o", "%i %t").CombinedOutput()
		if len(bytes.TrimSpace(q)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			exec.Command("scancel", ids...).Run()
			t.Fatalf("jobs still queued after %s:\n%s", limit, q)
		}
		time.Sleep(time.Second)
	}
}

// jobState is a job's state as scontrol reports it (of its first array
// task when it is an array).
func jobState(id string) string {
	info, _ := exec.Command("scontrol", "show", "job", id).CombinedOutput()
	_, rest, ok := strings.Cut(string(info), "JobState=")
	if !ok {
		return "unknown: " + string(info)
	}
	state, _, _ := strings.Cut(rest, " ")
	return state
}

// readLogs concatenates the logs of a phase's array tasks of one job.
func readLogs(t *testing.T, dir, phase, id string) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", phase+"-"+id+"_*.log"))
	var all []byte
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		all = append(all, b...)
	}
	return string(all)
}

// TestSlurmCancelledTaskResumes submits a cpu-scale sweep of the two
// smallest rungs to Slurm, cancels its training array (scancel) once a
// training has saved state, and submits the same plan again: the
// resubmitted tasks resume from the saved state, and the collected results
// are identical to the same sweep run undisturbed in one process.
func TestSlurmCancelledTaskResumes(t *testing.T) {
	testgate.Integration(t, "a cpu-scale sweep on Slurm, cancelled and resubmitted")
	datatest.Require(t)
	slurmRunning(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "w2s")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// 500-step trainings (scale cpu) leave time to cancel one midway.
	args := []string{"sweep", "--scale", "cpu", "--task", "sst2", "--weak", "zoo/xxxs", "--models", "zoo/xxs", "--losses", "xent", "--seeds", "0"}
	w2s := func(cache string, extra ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(append([]string(nil), args...), extra...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "W2S_CACHE="+cache, "W2S_SCALE=cpu")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("w2s %v: %v\n%s", extra, err, out)
		}
		return string(out)
	}
	shared := filepath.Join(dir, "shared-cache")
	slurmDir := filepath.Join(dir, "slurm-run", "slurm")
	submit := func() map[string]string {
		t.Helper()
		out := w2s(shared, "--slurm", "--out", filepath.Join(dir, "slurm-run"), "--supervise-mem", "2G", "--train-mem", "2G",
			"--supervise-cpus", "1", "--train-cpus", "1")
		ids := jobIDs(out)
		if ids["supervise"] == "" || ids["train"] == "" {
			t.Fatalf("want two job arrays submitted:\n%s", out)
		}
		return ids
	}
	start := time.Now()
	first := submit()
	waitJobs(t, 15*time.Minute, first["supervise"])
	if s := jobState(first["supervise"]); s != "COMPLETED" {
		t.Fatalf("supervise job %s: %s\n%s", first["supervise"], s, readLogs(t, slurmDir, "supervise", first["supervise"]))
	}
	// A training of the train array has saved state: cancel the array.
	states := filepath.Join(shared, "artifacts", "trained", ".work-*", "state", "trainer_state.json")
	deadline := time.Now().Add(10 * time.Minute)
	for {
		if saved, _ := filepath.Glob(states); len(saved) > 0 {
			break
		}
		if time.Now().After(deadline) {
			exec.Command("scancel", first["train"]).Run()
			t.Fatalf("no training saved state in 10 minutes:\n%s", readLogs(t, slurmDir, "train", first["train"]))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, err := exec.Command("scancel", first["train"]).CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v %s", err, out)
	}
	waitJobs(t, 2*time.Minute, first["train"])
	cancelledLogs := readLogs(t, slurmDir, "train", first["train"])
	if s := jobState(first["train"]); s != "CANCELLED" || !strings.Contains(cancelledLogs, "SIGTERM: stopping") {
		t.Fatalf("train job %s after scancel: %s\n%s", first["train"], s, cancelledLogs)
	}
	left, _ := filepath.Glob(states)
	if len(left) == 0 {
		t.Fatalf("no training was left unfinished with its state by the cancellation:\n%s", cancelledLogs)
	}
	// The same plan again: what is stored is skipped, the cancelled
	// trainings resume from their state.
	again := submit()
	waitJobs(t, 15*time.Minute, again["supervise"], again["train"])
	resumedLogs := readLogs(t, slurmDir, "train", again["train"])
	for _, id := range []string{again["supervise"], again["train"]} {
		if s := jobState(id); s != "COMPLETED" {
			t.Fatalf("resubmitted job %s: %s\n%s", id, s, resumedLogs)
		}
	}
	if !strings.Contains(resumedLogs, "resumed from step") {
		t.Errorf("no resubmitted training resumed from saved state:\n%s", resumedLogs)
	}
	w2s(shared, "--out", filepath.Join(dir, "collected"))
	t.Logf("Slurm: submitted, cancelled, resubmitted and collected in %s", time.Since(start).Round(time.Second))
	// Undisturbed, in this process, in a store of its own.
	w2s(filepath.Join(dir, "own-cache"), "--out", filepath.Join(dir, "in-process"))
	ra, err := analysis.ReadSweep(filepath.Join(dir, "collected", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := analysis.ReadSweep(filepath.Join(dir, "in-process", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(ra)
	jb, _ := json.Marshal(rb)
	if len(ra.Rows) != 1 || !bytes.Equal(ja, jb) {
		t.Errorf("the cancelled and resubmitted sweep differs from the undisturbed one:\n%s\n%s", ja, jb)
	}
	t.Logf("the whole test took %s", time.Since(start).Round(time.Second))
}

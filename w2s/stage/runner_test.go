package stage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
)

// smallTask registers a file task of n rows (a fifth carved out as its
// test set) and returns its name and its pool size.
func smallTask(t *testing.T, n int) (string, int) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "small.jsonl")
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"text": "row %d of a small pool", "label": %d}`+"\n", i, i%2)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("small-%d-%s", n, filepath.Base(dir)) // a new task per run (-count)
	if _, err := tasks.RegisterFile(tasks.FileSpec{Name: name, Train: path, Labels: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	d, err := tasks.Load(context.Background(), name, tasks.LoadOptions{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	return name, len(d.Pool)
}

func splitsAt(t *testing.T, task string, b Budget) (*Runner, *bytes.Buffer, error) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r := &Runner{Task: task, Budget: b, Store: st, Log: &log, Data: tasks.LoadOptions{NoDownload: true}}
	_, err = r.Splits(context.Background())
	return r, &log, err
}

// TestSmallPoolShrinksTheBudget: a pool smaller than the budget gives
// halves of what it holds, and one log line says so with the numbers; a
// pool whose halves would fall below MinHalf is refused with an error
// naming the task, the pool and what the budget asked.
func TestSmallPoolShrinksTheBudget(t *testing.T) {
	task, pool := smallTask(t, 400)
	b := Budget{Scale: "test", NDocs: 400, NVal: 40, NTest: 50, NTune: 100}
	r, log, err := splitsAt(t, task, b)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := r.Splits(context.Background())
	tune := pool / 10 // TuneRows: at most a tenth of the pool
	half := (pool - tune - b.NVal) / 2
	want := fmt.Sprintf("task %s: the training pool holds %d rows (tuning pool %d, validation 40): halves A and B get %d rows each, not the budget's 200\n", task, pool, tune, half)
	if log.String() != want || s.Counts.A != half || s.Counts.B != half {
		t.Errorf("log %q, want %q; halves %d and %d", log.String(), want, s.Counts.A, s.Counts.B)
	}
	// The budget fits: nothing to say.
	if _, log, err := splitsAt(t, task, Budget{Scale: "test", NDocs: 100, NVal: 40, NTest: 50, NTune: 100}); err != nil || log.Len() != 0 {
		t.Errorf("a budget that fits: %v, log %q", err, log.String())
	}
	// Halves of half what a full-size budget asks are below MinHalfRows.
	b.NDocs = 4000
	if _, _, err := splitsAt(t, task, b); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("task %s: the training pool is too small to split: %d rows", task, pool)) ||
		!strings.Contains(err.Error(), fmt.Sprintf("leave halves A and B %d rows each; the budget asks for 2000, and a half needs at least 200", half)) {
		t.Errorf("a pool too small for the budget: %v", err)
	}
	// A small budget may shrink to half its halves, not below.
	b.NDocs = 4 * half / 2 * 2
	if _, _, err := splitsAt(t, task, b); err != nil {
		t.Errorf("halves of half the budget's: %v", err)
	}
	b.NDocs += 8
	if _, _, err := splitsAt(t, task, b); err == nil || !strings.Contains(err.Error(), "too small to split") {
		t.Errorf("halves below half the budget's: %v", err)
	}
	if MinHalf(160) != 40 || MinHalf(4000) != MinHalfRows || MinHalf(10) != 4 {
		t.Errorf("MinHalf: %d %d %d", MinHalf(160), MinHalf(4000), MinHalf(10))
	}
}

// TestTaskVersionInKeys: a task's Version enters the split spec, and a
// task never changed keeps the keys it had before the field existed.
func TestTaskVersionInKeys(t *testing.T) {
	task, _ := smallTask(t, 300)
	r, _, err := splitsAt(t, task, Budget{Scale: "test", NDocs: 100, NVal: 10, NTest: 20})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := r.splitSpec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, js, _ := store.Key("k", 1, sp)
	if strings.Contains(string(js), "TaskVersion") {
		t.Errorf("version 0 changes the key's spec: %s", js)
	}
	info := r.TaskInfo()
	info.Version = 2
	defer func() { info.Version = 0 }()
	sp2, _ := r.splitSpec(context.Background())
	k1, _, _ := store.Key("k", 1, sp)
	k2, js2, _ := store.Key("k", 1, sp2)
	if k1 == k2 || !strings.Contains(string(js2), `"TaskVersion":2`) {
		t.Errorf("version 2 keeps the key: %s", js2)
	}
}

// TestEveryTaskSplitsAtCPU makes the splits of every registered task from
// the real data at scale cpu's budget: none is refused, and each says in
// one line when its pool shrinks the budget.
func TestEveryTaskSplitsAtCPU(t *testing.T) {
	datatest.Require(t)
	b, err := BudgetFor("cpu")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range tasks.Names() {
		if strings.HasPrefix(name, "small-") {
			continue // this package's test tasks
		}
		r, log, err := splitsAt(t, name, b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		s, _ := r.Splits(context.Background())
		shrunk := s.Counts.A < r.nDocs()/2
		if said := strings.Count(log.String(), "\n"); shrunk != (said == 1) || s.Counts.A < MinHalfRows || s.Counts.B < s.Counts.A {
			t.Errorf("%s: halves %d and %d of the budget's %d, log %q", name, s.Counts.A, s.Counts.B, r.nDocs()/2, log.String())
		}
		if shrunk {
			t.Log(strings.TrimSpace(log.String()))
		}
	}
}

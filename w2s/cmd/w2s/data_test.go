package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

// TestDataListsEveryTask: w2s data lists every registered task (at least
// the 20 the paper's suite asks for) with its framing, pool, test rows,
// their classes and the majority-class accuracy, and --markdown prints the
// README's table with one row per task.
func TestDataListsEveryTask(t *testing.T) {
	datatest.Require(t)
	names := tasks.Names()
	if len(names) < 20 {
		t.Fatalf("%d tasks registered, want at least 20", len(names))
	}
	out, err := run(t, "data", "--n-docs", "400", "--n-val", "40", "--n-test", "100")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "task") || !strings.Contains(lines[0], "majority") || !strings.Contains(lines[0], "framing") {
		t.Errorf("header %q", lines[0])
	}
	for _, n := range names {
		task, _ := tasks.Get(n)
		row := ""
		for _, l := range lines {
			if strings.HasPrefix(l, n+" ") {
				row = l
			}
		}
		if row == "" || !strings.HasSuffix(row, task.Framing) {
			t.Errorf("%s: row %q lacks its framing %q", n, row, task.Framing)
		}
	}
	if !strings.Contains(out, fmt.Sprintf("%d tasks;", len(names))) {
		t.Errorf("no count line:\n%s", out)
	}
	// One task: its numbers, checked against the data (anli_r2: 1,000
	// records, 25% carved by premise, entailment 0 against the rest).
	out, err = run(t, "data", "--markdown", "anli_r2")
	if err != nil {
		t.Fatal(err)
	}
	d, err := tasks.Load(t.Context(), "anli_r2", tasks.LoadOptions{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	for _, e := range d.Test {
		zero += 1 - e.Label
	}
	majority := float64(max(zero, len(d.Test)-zero)) / float64(len(d.Test))
	want := fmt.Sprintf("| `anli_r2` | entailment / not_entailment | %s | `anli_r2/validation.jsonl`, 25%% carved out as test by content hash | %d | %d (%d/%d) | %.3f |\n",
		d.Task.Framing, len(d.Pool), len(d.Test), zero, len(d.Test)-zero, majority)
	if rows := strings.Split(out, "\n"); len(rows) != 4 || rows[2]+"\n" != want || len(d.Pool)+len(d.Test) != 1000 {
		t.Errorf("markdown:\n%s\nwant row\n%s", out, want)
	}
}

// suiteTasks are the tasks added for the paper's suite (issue 24).
var suiteTasks = []string{"cola", "wic", "multirc", "mrpc", "rte", "anli_r2", "dream", "mc_taco", "quail", "piqa", "social_i_qa",
	"tweet_eval_sentiment", "ethics_commonsense", "ethics_deontology", "ethics_justice", "ethics_virtue", "ethics_utilitarianism"}

// TestSweepOverSuiteTasks runs a ci-scale sweep over every task of the
// suite (one pair, one seed, xent): each trains, is scored on its 120 test
// rows, and enters the medians over tasks.
func TestSweepOverSuiteTasks(t *testing.T) {
	testgate.Integration(t, "trains the ci ladder on 17 tasks")
	datatest.Require(t)
	dir := t.TempDir()
	t.Setenv("W2S_CACHE", filepath.Join(dir, "cache"))
	start := time.Now()
	out, err := run(t, "sweep", "--scale", "ci", "--task", strings.Join(suiteTasks, ","), "--models", "zoo/xs,zoo/m",
		"--losses", "xent", "--seeds", "0", "--out", filepath.Join(dir, "out"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rows []string
	for _, n := range suiteTasks {
		rows = append(rows, n+" 120")
		if !strings.Contains(out, "sweep: task "+n+",") {
			t.Errorf("no sweep of %s", n)
		}
		if _, err := os.Stat(filepath.Join(dir, "out", n, "results.json")); err != nil {
			t.Error(err)
		}
	}
	if want := fmt.Sprintf("medians over %d tasks", len(suiteTasks)); !strings.Contains(out, want) {
		t.Errorf("output lacks %q", want)
	}
	if want := "test rows: " + strings.Join(rows, ", "); !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	t.Logf("%d tasks in %s", len(suiteTasks), time.Since(start).Round(time.Second))
}

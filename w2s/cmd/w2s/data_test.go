package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/tasks"
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

package w2s_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/w2s-lab/w2s/plots"
	"github.com/w2s-lab/w2s/w2s"
)

// Models are named by scale and size; tables show the size alone.
func ExampleModel() {
	os.Setenv("W2S_SCALE", "ci")
	defer os.Unsetenv("W2S_SCALE")
	fmt.Println(w2s.Model("xl"), w2s.Short(w2s.Model("xl")))
	fmt.Println(w2s.Ladder())
	// Output:
	// zoo/ci/xl xl
	// [zoo/ci/xs zoo/ci/s zoo/ci/m zoo/ci/l zoo/ci/xl]
}

// A labelled JSON Lines file of your own becomes a task with no Go edits
// beyond this call; the test set is carved out of it by a hash of each
// record.
func ExampleRegisterFile() {
	dir, _ := os.MkdirTemp("", "w2s-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mail.jsonl")
	os.WriteFile(path, []byte(`{"body": "win a prize now", "spam": 1}
{"body": "lunch at noon?", "spam": 0}
{"body": "cheap pills", "spam": 1}
{"body": "minutes of the meeting", "spam": 0}
`), 0o644)
	name := w2s.RegisterFile(w2s.FileSpec{Name: "mail", Train: path,
		TextField: "body", LabelField: "spam", Labels: []string{"ham", "spam"}})
	t := w2s.TaskInfo(name)
	fmt.Println(name, t.Labels, t.LabelWords)
	// Output: mail [ham spam] [ham spam]
}

// A notebook cell that sweeps two ladder models with two losses over the
// scale's seeds, then shows the chart, the table and one student's
// verdict. Every stage is stored, so running the cell again returns at
// once.
func ExampleSweep() {
	models := w2s.Models("xs", "m")
	sw := w2s.Sweep("sst2", models, "xent", "logconf")
	plots.Show(w2s.Must(plots.AccuracyVsCompute(sw, "xent")), sw.Table())
	if s, ok := sw.Find(models[0], models[1], "logconf"); ok {
		plots.Show(plots.Text(w2s.StudentSentence(s)))
	}
}

// The findings table of notebook 01: each claim of the paper, its result
// there, and the outcome here with its numbers.
func ExampleFindingsTable() {
	sw := w2s.Sweep("sst2", w2s.Defaults(), "xent", "logconf")
	plots.Show(w2s.FindingsTable(sw.Caption(),
		sw.FindPGRBetweenZeroAndOne("xent"),
		sw.FindImitation("xent"),
		sw.FindConfidenceLoss(),
	))
}

package tasks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeLines(t *testing.T, path string, lines ...string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRegisterFileClassification(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range 50 {
		lines = append(lines, fmt.Sprintf(`{"body":"message number %d about %s","spam":%d}`, i, []string{"lunch", "prizes"}[i%2], i%2))
	}
	train := writeLines(t, filepath.Join(dir, "mail.jsonl"), lines...)
	task, err := RegisterFile(FileSpec{Train: train, TextField: "body", LabelField: "spam", Labels: []string{"ham", "spam"}})
	if err != nil {
		t.Fatal(err)
	}
	if task.Name != "file:"+train || task.Kind != Classification || task.LabelWords[1] != "spam" || task.Framing != `field "body"; label = field "spam"` {
		t.Errorf("task %+v", task)
	}
	d, err := Load(context.Background(), task.Name, LoadOptions{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Pool)+len(d.Test) != 50 || len(d.Test) == 0 || !d.Carved {
		t.Errorf("pool %d, test %d, carved %v", len(d.Pool), len(d.Test), d.Carved)
	}
	again, err := RegisterFile(FileSpec{Train: train, TextField: "body", LabelField: "spam", Labels: []string{"ham", "spam"}})
	if err != nil || again != task {
		t.Errorf("registering the same spec again: %v", err)
	}
	if _, err := RegisterFile(FileSpec{Train: train, Labels: []string{"a", "b", "c"}}); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("another spec under the same name: %v", err)
	}
	if _, err := Get(task.Name); err != nil {
		t.Error(err)
	}
}

// TestRegisterFileInfersClasses: with no class names, integer labels name
// the classes "0", "1", …, read from the training and the test file (it
// failed until --labels named them).
func TestRegisterFileInfersClasses(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf(`{"text":"item %d","label":%d}`, i, i%2))
	}
	train := writeLines(t, filepath.Join(dir, "two.jsonl"), lines...)
	test := writeLines(t, filepath.Join(dir, "two-test.jsonl"), `{"text":"another","label":2}`)
	task, err := RegisterFile(FileSpec{Train: train, Test: test})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(task.Labels, []string{"0", "1", "2"}) || !slices.Equal(task.LabelWords, task.Labels) {
		t.Errorf("classes %v, words %v", task.Labels, task.LabelWords)
	}
	again, err := RegisterFile(FileSpec{Train: train, Test: test})
	if err != nil || again != task {
		t.Errorf("registering the same spec again: %v", err)
	}
	if _, err := Load(context.Background(), task.Name, LoadOptions{NoDownload: true}); err != nil {
		t.Error(err)
	}
}

func TestRegisterFilePreferenceAndTestFile(t *testing.T) {
	dir := t.TempDir()
	pool := writeLines(t, filepath.Join(dir, "pairs.jsonl"), `{"good":"Human: hi Assistant: hello","bad":"Human: hi Assistant: go away"}`,
		`{"good":"Human: help Assistant: sure","bad":"Human: help Assistant: no"}`)
	test := writeLines(t, filepath.Join(dir, "pairs-test.jsonl"), `{"good":"a","bad":"b"}`)
	task, err := RegisterFile(FileSpec{Name: "mypairs", Train: pool, Test: test, ChosenField: "good", RejectedField: "bad"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(context.Background(), "mypairs", LoadOptions{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	if task.Kind != Preference || len(d.Pool) != 2 || len(d.Test) != 1 || len(d.Pool[0].Candidates) != 2 {
		t.Errorf("kind %s, pool %d, test %d", task.Kind, len(d.Pool), len(d.Test))
	}
	if want := `preference: fields "good" and "bad" in random order; label = the position of "good"`; task.Framing != want {
		t.Errorf("framing %q, want %q", task.Framing, want)
	}
}

func TestRegisterFileBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeLines(t, filepath.Join(dir, "ok.jsonl"), `{"text":"x","label":0}`)
	cases := []struct {
		name  string
		spec  FileSpec
		lines []string
		want  string
	}{
		{"one class only", FileSpec{}, []string{`{"text":"a","label":0}`}, `has label 0 in field "label": a task needs two classes`},
		{"labels from 1", FileSpec{}, []string{`{"text":"a","label":1}`, `{"text":"b","label":2}`}, "no record of"},
		{"negative label", FileSpec{}, []string{`{"text":"a","label":0}`, `{"text":"b","label":-1}`}, "record 2: label -1: classes are numbered from 0"},
		{"text label", FileSpec{}, []string{`{"text":"a","label":"pos"}`}, `record 1: field "label" is pos (string), want an integer`},
		{"missing file", FileSpec{Train: filepath.Join(dir, "nope.jsonl"), Labels: []string{"a", "b"}}, nil, "no such file"},
		{"format", FileSpec{Train: filepath.Join(dir, "x.csv"), Labels: []string{"a", "b"}}, nil, "unknown format"},
		{"half a pair", FileSpec{ChosenField: "c"}, []string{`{"c":"a"}`}, "both the chosen and the rejected"},
		{"wrong field", FileSpec{TextField: "body", Labels: []string{"a", "b"}}, []string{`{"text":"a","label":0}`}, `record 1: missing field "body"`},
		{"label range", FileSpec{Labels: []string{"a", "b"}}, []string{`{"text":"a","label":0}`, `{"text":"b","label":2}`}, "record 2: label 2 out of range"},
		{"empty text", FileSpec{Labels: []string{"a", "b"}}, []string{`{"text":"a","label":0}`, `{"text":"  ","label":1}`}, "record 2: empty text"},
		{"malformed", FileSpec{Labels: []string{"a", "b"}}, []string{`{"text":"a","label":0}`, `{"text":`}, "line 2: malformed JSON"},
	}
	for i, c := range cases {
		spec := c.spec
		spec.Name = fmt.Sprintf("bad-%d", i)
		if c.lines != nil {
			spec.Train = writeLines(t, filepath.Join(dir, fmt.Sprintf("bad-%d.jsonl", i)), c.lines...)
		} else if spec.Train == "" {
			spec.Train = good
		}
		if spec.Train == filepath.Join(dir, "x.csv") {
			os.WriteFile(spec.Train, []byte("a,b\n"), 0o644)
		}
		_, err := RegisterFile(spec)
		if err == nil {
			_, err = Load(context.Background(), spec.Name, LoadOptions{NoDownload: true})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

package tasks

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/records"
)

func mustGet(t *testing.T, name string) *Task {
	t.Helper()
	task, err := Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// TestSuiteFormatters formats hand-written records of each task of the
// paper's suite with a fixed framing (no random draw) and checks the text,
// the label, the name of the class the label points to, and the group.
func TestSuiteFormatters(t *testing.T) {
	cases := []struct {
		task      string
		rec       records.Record
		text      string
		label     int
		className string // Labels[label]: which way the label points
		group     string // "" or the group's content
	}{
		{"cola", records.Record{"sentence": "They drank the pub.", "label": int64(0), "idx": int64(3)},
			"They drank the pub.", 0, "unacceptable", ""},
		{"wic", records.Record{"word": "bank", "sentence1": "He sat on the bank.", "sentence2": "The bank lent money.", "label": int64(0)},
			"Sentence 1: He sat on the bank.\nSentence 2: The bank lent money.\nWord: bank", 0, "different", ""},
		{"multirc", records.Record{"paragraph": "P.", "question": "Q?", "answer": "A", "label": int64(1)},
			"Paragraph: P.\nQuestion: Q?\nAnswer: A", 1, "true", "P."},
		{"mrpc", records.Record{"sentence1": "It rose.", "sentence2": "It went up.", "label": int64(1)},
			"Sentence 1: It rose.\nSentence 2: It went up.", 1, "equivalent", ""},
		{"rte", records.Record{"sentence1": "A dog ran.", "sentence2": "An animal ran.", "label": int64(0)},
			"Premise: A dog ran.\nHypothesis: An animal ran.", 0, "entailment", "A dog ran."},
		{"rte", records.Record{"sentence1": "A dog ran.", "sentence2": "A cat ran.", "label": int64(1)},
			"Premise: A dog ran.\nHypothesis: A cat ran.", 1, "not_entailment", "A dog ran."},
		{"anli_r2", records.Record{"premise": "P.", "hypothesis": "H.", "label": int64(0)}, "Premise: P.\nHypothesis: H.", 0, "entailment", "P."},
		{"anli_r2", records.Record{"premise": "P.", "hypothesis": "N.", "label": int64(1)}, "Premise: P.\nHypothesis: N.", 1, "not_entailment", "P."},
		{"anli_r2", records.Record{"premise": "P.", "hypothesis": "C.", "label": int64(2)}, "Premise: P.\nHypothesis: C.", 1, "not_entailment", "P."},
		{"mc_taco", records.Record{"sentence": "S.", "question": "How long?", "answer": "a year", "label": int64(0), "category": "Event Duration"},
			"Sentence: S.\nQuestion: How long?\nAnswer: a year", 0, "implausible", "S."},
		{"tweet_eval_sentiment", records.Record{"text": "awful day", "label": int64(0)}, "awful day", 0, "negative", ""},
		{"tweet_eval_sentiment", records.Record{"text": "great day", "label": int64(2)}, "great day", 1, "positive", ""},
		{"ethics_commonsense", records.Record{"input": "I kicked the dog.", "label": int64(1), "is_short": true, "edited": false},
			"I kicked the dog.", 1, "wrong", ""},
		{"ethics_deontology", records.Record{"scenario": "Can you paint the house?", "excuse": "No, it is raining.", "label": int64(1)},
			"Scenario: Can you paint the house?\nExcuse: No, it is raining.", 1, "reasonable", "Can you paint the house?"},
		{"ethics_justice", records.Record{"scenario": "I deserve a raise because I work hard.", "label": int64(1)},
			"I deserve a raise because I work hard.", 1, "reasonable", "I deserve a raise"},
		{"ethics_justice", records.Record{"scenario": "I gave him the prize, he won.", "label": int64(0)},
			"I gave him the prize, he won.", 0, "unreasonable", ""},
		{"ethics_virtue", records.Record{"scenario": "Martha was at ease with the sitter. [SEP] trustful", "label": int64(1)},
			"Sentence: Martha was at ease with the sitter.\nTrait: trustful", 1, "match", "Martha was at ease with the sitter."},
	}
	for _, c := range cases {
		task := mustGet(t, c.task)
		got, err := task.format(c.rec, "f", 0)
		if err != nil {
			t.Errorf("%s: %v", c.task, err)
			continue
		}
		if got.Text != c.text || got.Label != c.label || task.Labels[got.Label] != c.className {
			t.Errorf("%s: %q label %d (%s); want %q label %d (%s)", c.task, got.Text, got.Label, task.Labels[got.Label], c.text, c.label, c.className)
		}
		if want := groupOf(c.group); got.Group != want {
			t.Errorf("%s: group %q, want %q (of %q)", c.task, got.Group, want, c.group)
		}
		if task.Framing == "" || len(task.LabelWords) != len(task.Labels) || len(task.Labels) != 2 {
			t.Errorf("%s: framing %q, labels %v, words %v", c.task, task.Framing, task.Labels, task.LabelWords)
		}
	}
}

func groupOf(content string) string {
	if content == "" {
		return ""
	}
	return GroupKey(content)
}

// TestSuiteBinaryChoice checks the framings that draw from the record's
// content (multiple choice → correct or wrong answer; the order of the two
// ETHICS utilitarianism scenarios): the label says what the text shows,
// both labels occur, a wrong answer is one of the choices, the same record
// formats the same way every time, and rows of one context share a group.
func TestSuiteBinaryChoice(t *testing.T) {
	cases := []struct {
		task    string
		rec     func(i int) records.Record
		correct string // the text shown with label 1…
		wrong   []string
		group   string
	}{
		{"dream", func(i int) records.Record {
			return records.Record{"id": int64(i), "dialogue_id": "d1", "dialogue": []any{"W: Hi.", "M: Hello."}, "question": fmt.Sprint("Q", i),
				"choice": []any{"w1", "right", "w2"}, "answer": "right"}
		}, "\nAnswer: right", []string{"\nAnswer: w1", "\nAnswer: w2"}, "W: Hi.\nM: Hello."},
		{"quail", func(i int) records.Record {
			return records.Record{"id": fmt.Sprint(i), "context_id": "f1", "context": "C.", "question": fmt.Sprint("Q", i),
				"answers": []any{"w1", "w2", "right", "w3"}, "correct_answer_id": int64(2)}
		}, "\nAnswer: right", []string{"\nAnswer: w1", "\nAnswer: w2", "\nAnswer: w3"}, "C."},
		{"social_i_qa", func(i int) records.Record {
			return records.Record{"context": "C.", "question": fmt.Sprint("Q", i), "answerA": "w1", "answerB": "right", "answerC": "w2", "label": int64(2)}
		}, "\nAnswer: right", []string{"\nAnswer: w1", "\nAnswer: w2"}, "C."},
		{"piqa", func(i int) records.Record {
			return records.Record{"goal": "Open a jar.", "sol1": fmt.Sprint("twist ", i), "sol2": fmt.Sprint("smash ", i), "label": int64(0)}
		}, "\nSolution: twist", []string{"\nSolution: smash"}, "Open a jar."},
		{"ethics_utilitarianism", func(i int) records.Record {
			return records.Record{"baseline": fmt.Sprint("I won ", i, " dollars."), "less_pleasant": fmt.Sprint("I lost ", i, " dollars.")}
		}, "", nil, ""},
	}
	for _, c := range cases {
		task := mustGet(t, c.task)
		seen := map[int]bool{}
		for i := range 40 {
			rec := c.rec(i)
			ex, err := task.format(rec, "f", i)
			if err != nil {
				t.Fatalf("%s: %v", c.task, err)
			}
			seen[ex.Label] = true
			again, _ := task.format(rec, "f", i)
			if again.Text != ex.Text || again.Label != ex.Label || again.Group != ex.Group {
				t.Errorf("%s: the same record formats differently: %+v, %+v", c.task, ex, again)
			}
			if c.task == "ethics_utilitarianism" {
				// The label is the position of the more pleasant scenario.
				better := fmt.Sprintf("Scenario %d: I won %d dollars.", ex.Label+1, i)
				if !strings.Contains(ex.Text, better) || task.Labels[ex.Label] != []string{"first", "second"}[ex.Label] {
					t.Errorf("%s: label %d with %q", c.task, ex.Label, ex.Text)
				}
				if ex.Group != GroupKey(rec["baseline"].(string)) {
					t.Errorf("%s: group %q", c.task, ex.Group)
				}
				continue
			}
			if task.Labels[1] != "correct" {
				t.Errorf("%s: label 1 is %q", c.task, task.Labels[1])
			}
			shown := strings.Contains(ex.Text, c.correct)
			if shown != (ex.Label == 1) {
				t.Errorf("%s: label %d with %q", c.task, ex.Label, ex.Text)
			}
			if ex.Label == 0 {
				ok := false
				for _, w := range c.wrong {
					ok = ok || strings.Contains(ex.Text, w)
				}
				if !ok {
					t.Errorf("%s: label 0 shows no wrong choice: %q", c.task, ex.Text)
				}
			}
			if ex.Group != GroupKey(c.group) {
				t.Errorf("%s: group %q, want that of %q", c.task, ex.Group, c.group)
			}
		}
		if !seen[0] || !seen[1] {
			t.Errorf("%s: labels seen %v", c.task, seen)
		}
	}
}

// TestSuiteBadRecords: a record the framing cannot use is an error naming
// the file, the record and the field; a neutral tweet is left out.
func TestSuiteBadRecords(t *testing.T) {
	cases := []struct {
		task string
		rec  records.Record
		want string
	}{
		{"anli_r2", records.Record{"premise": "P", "hypothesis": "H", "label": int64(3)}, `"label" is 3`},
		{"tweet_eval_sentiment", records.Record{"text": "x", "label": int64(5)}, `"label" is 5`},
		{"dream", records.Record{"dialogue": []any{"W: a"}, "question": "Q", "choice": []any{"a", "b"}, "answer": "c"}, `"answer" "c" is not one of the choices`},
		{"dream", records.Record{"dialogue": "W: a", "question": "Q", "choice": []any{"a", "b"}, "answer": "a"}, `field "dialogue" is string`},
		{"quail", records.Record{"context": "C", "question": "Q", "answers": []any{"a", "b"}, "correct_answer_id": int64(2)}, `"correct_answer_id" is 2`},
		{"social_i_qa", records.Record{"context": "C", "question": "Q", "answerA": "a", "answerB": "b", "answerC": "c", "label": int64(0)}, `"label" is 0`},
		{"piqa", records.Record{"goal": "G", "sol1": "a", "sol2": "b", "label": int64(2)}, `"label" is 2`},
		{"piqa", records.Record{"goal": "G", "sol1": "same", "sol2": "same", "label": int64(0)}, "equal the true one"},
		{"ethics_virtue", records.Record{"scenario": "no separator here", "label": int64(0)}, `not "sentence [SEP] trait"`},
		{"ethics_utilitarianism", records.Record{"baseline": "x", "less_pleasant": "x"}, "the same text"},
		{"ethics_deontology", records.Record{"scenario": "S", "label": int64(0)}, `missing field "excuse"`},
		{"mrpc", records.Record{"sentence1": "a", "sentence2": "b", "label": int64(2)}, "label 2 out of range"},
	}
	for _, c := range cases {
		_, err := mustGet(t, c.task).format(c.rec, "x.jsonl", 6)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "x.jsonl record 7") {
			t.Errorf("%s: error %v, want %q in x.jsonl record 7", c.task, err, c.want)
		}
	}
	if _, err := mustGet(t, "tweet_eval_sentiment").format(records.Record{"text": "meh", "label": int64(1)}, "f", 0); err != ErrSkip {
		t.Errorf("neutral tweet: %v, want ErrSkip", err)
	}
}

// TestCarvingKeepsGroupsWhole carves a pool whose records share premises
// (ANLI's layout): every premise lands wholly in the pool or wholly in the
// test set, and which side does not depend on the hypotheses.
func TestCarvingKeepsGroupsWhole(t *testing.T) {
	root := t.TempDir()
	var b strings.Builder
	for p := range 200 {
		for h := range 1 + p%3 {
			fmt.Fprintf(&b, `{"uid":"%d-%d","premise":"premise %d","hypothesis":"hypothesis %d","label":%d,"reason":""}`+"\n", p, h, p, h, h%3)
		}
	}
	writeFile(t, filepath.Join(root, "anli_r2", "validation.jsonl"), b.String())
	d, err := Load(context.Background(), "anli_r2", LoadOptions{Roots: []string{root}, NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	side := map[string]string{}
	for name, set := range map[string][]Example{"pool": d.Pool, "test": d.Test} {
		for _, e := range set {
			if e.Group == "" {
				t.Fatalf("%s row %s has no group", name, e.ID)
			}
			if other, ok := side[e.Group]; ok && other != name {
				t.Fatalf("the premise of %s is in the pool and in the test set", e.ID)
			}
			side[e.Group] = name
		}
	}
	if !d.Carved || len(d.Test) < 50 || len(d.Pool) < 200 {
		t.Errorf("carved %v: pool %d, test %d of 400 rows", d.Carved, len(d.Pool), len(d.Test))
	}
	// The side of a premise is a function of the premise alone.
	task := mustGet(t, "anli_r2")
	one, _ := task.format(records.Record{"premise": "premise 7", "hypothesis": "new", "label": int64(0)}, "f", 0)
	two, _ := task.format(records.Record{"premise": "premise 7", "hypothesis": "other", "label": int64(2)}, "f", 0)
	if task.inTest(records.Record{"x": 1}, one) != task.inTest(records.Record{"x": 2}, two) {
		t.Error("two rows of one premise carved apart")
	}
}

// TestGroupLeaksDropped: pool rows whose group has test rows (a premise in
// both RTE files) leave the pool, and are counted; records a framing
// leaves out are counted too.
func TestGroupLeaksDropped(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "rte", "train.jsonl"), `{"sentence1":"shared","sentence2":"h1","label":0,"idx":0}
{"sentence1":"shared","sentence2":"h2","label":1,"idx":1}
{"sentence1":"own","sentence2":"h3","label":1,"idx":2}
`)
	writeFile(t, filepath.Join(root, "rte", "validation.jsonl"), `{"sentence1":"shared","sentence2":"h4","label":0,"idx":0}`+"\n")
	d, err := Load(context.Background(), "rte", LoadOptions{Roots: []string{root}, NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Pool) != 1 || d.Pool[0].Text != "Premise: own\nHypothesis: h3" || d.Leaked != 2 || len(d.Test) != 1 {
		t.Errorf("pool %+v, leaked %d, test %d", d.Pool, d.Leaked, len(d.Test))
	}
	writeFile(t, filepath.Join(root, "tweet_eval_sentiment", "validation.jsonl"), `{"text":"bad","label":0}
{"text":"so so","label":1}
`)
	var tweets strings.Builder
	for i := range 40 {
		fmt.Fprintf(&tweets, `{"text":"tweet %d","label":%d}`+"\n", i, i%3)
	}
	writeFile(t, filepath.Join(root, "tweet_eval_sentiment", "test.jsonl"), tweets.String())
	d, err = Load(context.Background(), "tweet_eval_sentiment", LoadOptions{Roots: []string{root}, NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Skipped != 1+13 || len(d.Pool)+len(d.Test) != 42-d.Skipped {
		t.Errorf("skipped %d, pool %d, test %d", d.Skipped, len(d.Pool), len(d.Test))
	}
	if got := d.Source(); got != "tweet_eval_sentiment/validation.jsonl, tweet_eval_sentiment/test.jsonl (test carved: 25%)" {
		t.Errorf("source %q", got)
	}
}

// TestNestedFolderSource: an ETHICS subset names its whole folder, and a
// task without a Hugging Face source says it reads only local files.
func TestNestedFolderSource(t *testing.T) {
	d := &Data{Task: mustGet(t, "ethics_justice"), Files: []string{"/data/ethics/justice/train.jsonl", "/data/ethics/justice/test.jsonl"}}
	if got, want := d.Source(), "ethics/justice/train.jsonl, ethics/justice/test.jsonl"; got != want {
		t.Errorf("source %q, want %q", got, want)
	}
	_, err := Load(context.Background(), "ethics_justice", LoadOptions{Roots: []string{t.TempDir()}, Cache: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "ethics/justice/{train}") || !strings.Contains(err.Error(), "no Hugging Face source") {
		t.Errorf("missing data: %v", err)
	}
}

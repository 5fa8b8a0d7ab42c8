package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/w2s-lab/w2s/w2s/hub"
	"github.com/w2s-lab/w2s/w2s/records"
)

func TestUnknownTaskListsKnown(t *testing.T) {
	_, err := Get("mnli")
	if err == nil || !strings.Contains(err.Error(), "sst2") || !strings.Contains(err.Error(), "hh_harmless") {
		t.Errorf("error %v", err)
	}
	for _, n := range []string{"sst2", "imdb", "amazon", "rotten_tomatoes", "ag_news", "boolq", "cosmos_qa", "cosmos_qa_mc", "hh_harmless"} {
		task, err := Get(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(task.LabelWords) != len(task.Labels) {
			t.Errorf("%s: %d label words for %d labels", n, len(task.LabelWords), len(task.Labels))
		}
	}
}

func TestFormatters(t *testing.T) {
	get := func(name string) *Task { task, _ := Get(name); return task }
	cases := []struct {
		task string
		rec  records.Record
		want Example
	}{
		{"sst2", records.Record{"sentence": "a gem .", "label": int64(1)}, Example{Text: "a gem .", Label: 1}},
		{"boolq", records.Record{"passage": "P.", "question": "is it", "answer": true}, Example{Text: "Passage: P.\nQuestion: is it", Label: 1}},
		{"amazon", records.Record{"text": "Great\n\tLoved it.", "label": int64(1)}, Example{Text: "Great Loved it.", Label: 1}},
		{"amazon", records.Record{"title": "Bad", "content": "Broke.", "label": int64(0)}, Example{Text: "Bad Broke.", Label: 0}},
		{"cosmos_qa_mc", records.Record{"context": "C", "question": "Q?", "answer0": "a", "answer1": "b", "answer2": "c", "answer3": "d", "label": int64(2)},
			Example{Text: "Context: C\nQuestion: Q?\nA) a\nB) b\nC) c\nD) d", Label: 2}},
	}
	for _, c := range cases {
		got, err := get(c.task).format(c.rec, "f", 0)
		if err != nil || got.Text != c.want.Text || got.Label != c.want.Label {
			t.Errorf("%s: %+v, %v; want %+v", c.task, got, err, c.want)
		}
	}
	// Binary CosmosQA: label 1 shows the true answer, label 0 a wrong one,
	// and "None of the above choices ." is always label 0.
	cosmos := get("cosmos_qa")
	seen := map[int]bool{}
	for i := range 40 {
		rec := records.Record{"context": "C", "question": string(rune('a' + i%26)), "answer0": "right", "answer1": "w1", "answer2": "w2", "answer3": "w3", "label": int64(0)}
		ex, err := cosmos.format(rec, "f", i)
		if err != nil {
			t.Fatal(err)
		}
		seen[ex.Label] = true
		if strings.HasSuffix(ex.Text, "Answer: right") != (ex.Label == 1) {
			t.Errorf("label %d with text %q", ex.Label, ex.Text)
		}
		again, _ := cosmos.format(rec, "f", i)
		if again.Text != ex.Text || again.Label != ex.Label {
			t.Error("formatting the same record twice differs")
		}
	}
	if !seen[0] || !seen[1] {
		t.Errorf("labels seen %v", seen)
	}
	// Rows on one passage or context share a group (carved together).
	for task, rec := range map[string]records.Record{
		"boolq":        {"passage": "P.", "question": "is it", "answer": true},
		"cosmos_qa":    {"context": "P.", "question": "Q", "answer0": "a", "answer1": "b", "answer2": "c", "answer3": "d", "label": int64(1)},
		"cosmos_qa_mc": {"context": "P.", "question": "Q", "answer0": "a", "answer1": "b", "answer2": "c", "answer3": "d", "label": int64(1)},
	} {
		if ex, err := get(task).format(rec, "f", 0); err != nil || ex.Group != GroupKey("P.") {
			t.Errorf("%s: group %q, %v", task, ex.Group, err)
		}
	}
	none := records.Record{"context": "C", "question": "Q", "answer0": "None of the above choices .", "answer1": "x", "answer2": "y", "answer3": "z", "label": int64(0)}
	if ex, _ := cosmos.format(none, "f", 0); ex.Label != 0 {
		t.Error("None of the above must give label 0")
	}
	hh := get("hh_harmless")
	ex, err := hh.format(records.Record{"chosen": "good", "rejected": "bad"}, "f", 0)
	if err != nil || ex.Candidates[ex.Label] != "good" || len(ex.Candidates) != 2 {
		t.Errorf("preference: %+v %v", ex, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBadInputErrors(t *testing.T) {
	cases := []struct {
		name, train, test string
		want              []string
	}{
		{"malformed", "{\"sentence\":\"a\",\"label\":1}\n{\"sentence\": x}\n", `{"sentence":"b","label":0}`, []string{"train.jsonl line 2", "malformed JSON"}},
		{"missing field", `{"text":"a","label":1}`, `{"sentence":"b","label":0}`, []string{"train.jsonl record 1", `missing field "sentence"`}},
		{"label range", `{"sentence":"a","label":2}`, `{"sentence":"b","label":0}`, []string{"train.jsonl record 1", "label 2 out of range"}},
		{"empty test", `{"sentence":"a","label":1}`, "", []string{"test set is empty"}},
		{"empty train", "", `{"sentence":"b","label":0}`, []string{"training pool is empty"}},
	}
	for _, c := range cases {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, "sst2", "train.jsonl"), c.train)
		writeFile(t, filepath.Join(root, "sst2", "test.jsonl"), c.test)
		writeFile(t, filepath.Join(root, "sst2", "validation.jsonl"), "") // sst2 tests on both
		_, err := Load(context.Background(), "sst2", LoadOptions{Roots: []string{root}, NoDownload: true})
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to contain %q", c.name, err, w)
			}
		}
	}
	// Nothing local and no network allowed: the error says where it looked.
	_, err := Load(context.Background(), "boolq", LoadOptions{Roots: []string{t.TempDir()}, NoDownload: true, Cache: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "boolq/validation") {
		t.Errorf("missing data: %v", err)
	}
}

type boolqRow struct {
	Question string `parquet:"question"`
	Answer   bool   `parquet:"answer"`
	Passage  string `parquet:"passage"`
}

func parquetBytes(t *testing.T, rows []boolqRow) []byte {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[boolqRow](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return buf.Bytes()
}

// TestDownloadFromHub serves BoolQ's parquet shards from a local server in
// the hub's layout and checks Load downloads, caches and reads them.
func TestDownloadFromHub(t *testing.T) {
	files := map[string][]byte{
		"train-0.parquet": parquetBytes(t, []boolqRow{{"q1", true, "p1"}, {"q2", false, "p2"}}),
		"train-1.parquet": parquetBytes(t, []boolqRow{{"q3", true, "p3"}}),
		"val-0.parquet":   parquetBytes(t, []boolqRow{{"q4", false, "p4"}, {"q5", true, "p5"}}),
	}
	var requests atomic.Int32
	cut := atomic.Bool{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("Authorization") != "Bearer hf_test" {
			http.Error(w, "token required", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/api/datasets/google/boolq/parquet/default/train":
			json.NewEncoder(w).Encode([]string{srv.URL + "/f/train-0.parquet", srv.URL + "/f/train-1.parquet"})
		case "/api/datasets/google/boolq/parquet/default/validation":
			json.NewEncoder(w).Encode([]string{srv.URL + "/f/val-0.parquet"})
		default:
			data, ok := files[filepath.Base(r.URL.Path)]
			if !ok {
				http.NotFound(w, r)
				return
			}
			if cut.Load() && filepath.Base(r.URL.Path) == "train-1.parquet" {
				w.Header().Set("Content-Length", "100000")
				w.Write(data[:10])
				return
			}
			w.Write(data)
		}
	}))
	defer srv.Close()
	cache := t.TempDir()
	opt := LoadOptions{Roots: []string{t.TempDir()}, Cache: cache, Hub: &hub.Client{Endpoint: srv.URL, Token: "hf_test"}}

	// First an interrupted download: an error, and nothing that looks complete.
	cut.Store(true)
	if _, err := Load(context.Background(), "boolq", opt); err == nil || !strings.Contains(err.Error(), "download") {
		t.Fatalf("cut download: %v", err)
	}
	if _, ok := find([]string{cache}, "hf/boolq", "train"); ok {
		t.Fatal("a half-downloaded split is visible")
	}
	matches, _ := filepath.Glob(filepath.Join(cache, "hf", "boolq", "*part*"))
	if len(matches) != 0 {
		t.Errorf("partial files left: %v", matches)
	}

	cut.Store(false)
	d, err := Load(context.Background(), "boolq", opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Pool) != 3 || len(d.Test) != 2 || d.Carved {
		t.Fatalf("pool %d test %d carved %v", len(d.Pool), len(d.Test), d.Carved)
	}
	if d.Pool[2].Text != "Passage: p3\nQuestion: q3" || d.Pool[2].Label != 1 {
		t.Errorf("third pool example %+v", d.Pool[2])
	}
	// A second load reads the cache without the network.
	before := requests.Load()
	opt.NoDownload = true
	if _, err := Load(context.Background(), "boolq", opt); err != nil {
		t.Fatal(err)
	}
	if requests.Load() != before {
		t.Error("cached data was downloaded again")
	}
}

func TestDataSource(t *testing.T) {
	d := &Data{Task: &Task{CarveTest: 0.2}, Files: []string{"/data/sst2/train.jsonl.gz", "/data/sst2/test.jsonl"}}
	if got, want := d.Source(), "sst2/train.jsonl.gz, sst2/test.jsonl"; got != want {
		t.Errorf("source %q, want %q", got, want)
	}
	d.Files, d.Carved = d.Files[:1], true
	if got, want := d.Source(), "sst2/train.jsonl.gz (test carved: 20%)"; got != want {
		t.Errorf("source %q, want %q", got, want)
	}
}

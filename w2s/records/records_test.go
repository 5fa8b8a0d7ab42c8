package records

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

type row struct {
	Sentence string  `parquet:"sentence"`
	Label    int64   `parquet:"label"`
	Answer   bool    `parquet:"answer"`
	Score    float32 `parquet:"score"`
}

func writeParquet(t testing.TB, path string, rows []row) {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gz(t *testing.T, data string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(data))
	zw.Close()
	return buf.Bytes()
}

const jsonl = `{"sentence":"a fine film","label":1,"answer":true,"score":0.5}
{"sentence":"dull","label":0,"answer":false,"score":-1}
`

func TestFormatsAgree(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.jsonl"), []byte(jsonl), 0o644)
	os.WriteFile(filepath.Join(dir, "x.jsonl.gz"), gz(t, jsonl), 0o644)
	writeParquet(t, filepath.Join(dir, "x.parquet"), []row{{"a fine film", 1, true, 0.5}, {"dull", 0, false, -1}})
	for _, name := range []string{"x.jsonl", "x.jsonl.gz", "x.parquet"} {
		recs, err := ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(recs) != 2 {
			t.Fatalf("%s: %d records", name, len(recs))
		}
		s, err1 := recs[0].String("sentence")
		l, err2 := recs[0].Int("label")
		b, err3 := recs[1].Bool("answer")
		a, err4 := recs[0].Int("answer")
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || s != "a fine film" || l != 1 || b || a != 1 {
			t.Errorf("%s: got %q %d %v %d (%v %v %v %v)", name, s, l, b, a, err1, err2, err3, err4)
		}
		if recs[1]["score"] != float64(-1) && recs[1]["score"] != int64(-1) {
			t.Errorf("%s: score %v (%T)", name, recs[1]["score"], recs[1]["score"])
		}
	}
}

func TestLongLines(t *testing.T) {
	long := strings.Repeat("x", 300_000) // longer than bufio.Scanner's default 64 KiB
	recs, err := ReadJSONL(strings.NewReader(`{"text":"`+long+`"}`+"\n"), "long.jsonl")
	if err != nil || len(recs) != 1 {
		t.Fatalf("%v, %d records", err, len(recs))
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		return p
	}
	truncated := gz(t, strings.Repeat(jsonl, 50))
	cases := []struct {
		path string
		want []string
	}{
		{write("bad.jsonl", []byte("{\"a\":1}\n{\"a\": oops}\n")), []string{"bad.jsonl line 2", "malformed JSON"}},
		{write("two.jsonl", []byte("{\"a\":1} {\"b\":2}\n")), []string{"two.jsonl line 1", "more than one"}},
		{write("blank.jsonl", []byte("{\"a\":1}\n\n{\"a\":2}\n")), []string{"blank.jsonl line 2", "blank line"}},
		{write("array.jsonl", []byte("[1,2]\n")), []string{"array.jsonl line 1"}},
		{write("notgz.jsonl.gz", []byte("plain text")), []string{"notgz.jsonl.gz", "not a valid gzip"}},
		{write("trunc.jsonl.gz", truncated[:len(truncated)/2]), []string{"trunc.jsonl.gz", "gzip"}},
		{write("bad.parquet", []byte("PAR1 this is not parquet PAR1")), []string{"bad.parquet", "corrupt parquet"}},
		{write("data.csv", []byte("a,b\n")), []string{"data.csv", "unknown format"}},
	}
	for _, c := range cases {
		_, err := ReadFile(c.path)
		if err == nil {
			t.Errorf("%s accepted", c.path)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", filepath.Base(c.path), err, w)
			}
		}
	}
	r := Record{"label": 1.5, "text": 3}
	if _, err := r.Int("label"); err == nil || !strings.Contains(err.Error(), `"label"`) {
		t.Errorf("fractional label: %v", err)
	}
	if _, err := r.String("text"); err == nil || !strings.Contains(err.Error(), `"text"`) {
		t.Errorf("numeric text: %v", err)
	}
	if _, err := r.String("missing"); err == nil || !strings.Contains(err.Error(), `missing field "missing"`) {
		t.Errorf("missing field: %v", err)
	}
}

func TestStrings(t *testing.T) {
	recs, err := ReadJSONL(strings.NewReader(`{"choice":["a","b c"],"mixed":["a",2],"one":"a","empty":[]}`), "list.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	if got, err := r.Strings("choice"); err != nil || len(got) != 2 || got[1] != "b c" {
		t.Errorf("choice: %q, %v", got, err)
	}
	if got, err := r.Strings("empty"); err != nil || len(got) != 0 {
		t.Errorf("empty list: %q, %v", got, err)
	}
	for field, want := range map[string]string{"mixed": `field "mixed" element 1 is int64`, "one": `field "one" is string, want a list`, "gone": `missing field "gone"`} {
		if _, err := r.Strings(field); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", field, err, want)
		}
	}
	if _, err := (Record{"l": []any{"ok", "\xff"}}).Strings("l"); err == nil || !strings.Contains(err.Error(), "element 1 is not valid UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

// TestReadFileRefusesWhatIsNotARegularFile: a named pipe (which would
// block the open until a writer comes, and can be read only once) and a
// folder are refused by name.
func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder.jsonl")
	os.Mkdir(folder, 0o755)
	for path, want := range map[string]string{fifo: " is a named pipe", folder: " is a folder"} {
		done := make(chan error, 1)
		go func() { _, err := ReadFile(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path+want) {
				t.Errorf("%s: %v", path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadFile still blocked after 5 s", path)
		}
	}
}

// TestByteOrderMark: a UTF-8 byte-order mark before the first record, as
// some editors write, is skipped (it gave "invalid character 'ï'"); one
// inside the file is still an error naming its line.
func TestByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	body := "\xef\xbb\xbf" + `{"text": "a", "label": 0}` + "\n" + `{"text": "b", "label": 1}` + "\n"
	plain := filepath.Join(dir, "bom.jsonl")
	os.WriteFile(plain, []byte(body), 0o644)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	zipped := filepath.Join(dir, "bom.jsonl.gz")
	os.WriteFile(zipped, gz.Bytes(), 0o644)
	for _, p := range []string{plain, zipped} {
		recs, err := ReadFile(p)
		if err != nil || len(recs) != 2 || recs[0]["text"] != "a" {
			t.Errorf("%s: %v, %v", p, recs, err)
		}
	}
	inside := filepath.Join(dir, "inside.jsonl")
	os.WriteFile(inside, []byte(`{"text": "a", "label": 0}`+"\n\xef\xbb\xbf"+`{"text": "b", "label": 1}`+"\n"), 0o644)
	if _, err := ReadFile(inside); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a mark on line 2: %v", err)
	}
}

// TestMaxRecords: a file with more records than a file may hold is
// refused by name, whatever its format.
func TestMaxRecords(t *testing.T) {
	defer func(n int) { maxRecords = n }(maxRecords)
	maxRecords = 3
	dir := t.TempDir()
	var b strings.Builder
	for i := range 4 {
		fmt.Fprintf(&b, `{"text": "t%d", "label": 0}`+"\n", i)
	}
	path := filepath.Join(dir, "four.jsonl")
	os.WriteFile(path, []byte(b.String()), 0o644)
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path+": more than 3 records") {
		t.Errorf("four records: %v", err)
	}
	maxRecords = 4
	if recs, err := ReadFile(path); err != nil || len(recs) != 4 {
		t.Errorf("four records allowed: %d, %v", len(recs), err)
	}
}

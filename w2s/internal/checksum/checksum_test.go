package checksum

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCachedFollowsSizeAndModTime(t *testing.T) {
	t.Setenv("W2S_CACHE", t.TempDir())
	files = memo{} // a fresh process
	p := filepath.Join(t.TempDir(), "data.jsonl")
	os.WriteFile(p, []byte("one\n"), 0o644)
	a, err := Cached(p)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := File(p)
	if a != want {
		t.Fatalf("Cached %s, File %s", a, want)
	}
	// New content, new modification time: recomputed.
	os.WriteFile(p, []byte("two\n"), 0o644)
	later := time.Now().Add(time.Minute)
	os.Chtimes(p, later, later)
	b, _ := Cached(p)
	if b == a {
		t.Error("a changed file kept its old checksum")
	}
	// Another process reads the memo file: same answer without rehashing.
	files = memo{}
	if _, err := os.Stat(MemoFile()); err != nil {
		t.Fatalf("no memo file: %v", err)
	}
	c, _ := Cached(p)
	if c != b {
		t.Errorf("from the memo: %s, want %s", c, b)
	}
	if Combined(map[string]string{"x": a, "y": b}) == Combined(map[string]string{"x": b, "y": a}) {
		t.Error("Combined ignores which input has which checksum")
	}
}

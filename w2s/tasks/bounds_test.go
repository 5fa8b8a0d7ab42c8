package tasks

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLargeFileHelper loads the task file $W2S_TEST_LOAD for
// TestMemoryOfAMillionRows, in a process of its own.
func TestLargeFileHelper(t *testing.T) {
	path := os.Getenv("W2S_TEST_LOAD")
	if path == "" {
		t.Skip("started by TestMemoryOfAMillionRows")
	}
	task, err := RegisterFile(FileSpec{Train: path, Labels: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(context.Background(), task.Name, LoadOptions{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("rows %d\n", len(d.Pool)+len(d.Test))
}

// TestMemoryOfAMillionRows: loading a task of 10⁶ tiny rows (23 MB) took
// 1.07 GB of memory at its peak, every record's map kept until the last
// was read; records are now formatted as they are read.
func TestMemoryOfAMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a million rows")
	}
	path := filepath.Join(t.TempDir(), "tiny.jsonl")
	var b bytes.Buffer
	for i := range 1_000_000 {
		fmt.Fprintf(&b, `{"text":"r%d","label":%d}`+"\n", i, i%2)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLargeFileHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "W2S_TEST_LOAD="+path)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rows 1000000") {
		t.Fatalf("%v\n%s", err, out)
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss >> 10 // KiB to MiB
	t.Logf("peak resident memory %d MiB", peak)
	if peak > 600 {
		t.Errorf("peak resident memory %d MiB loading 10⁶ tiny rows, want at most 600", peak)
	}
}

// TestBlankLinesBounded: a gzipped file of nothing but newlines was read
// to its end (4 GB: 110 s of CPU) before "the training pool is empty"; it
// is refused after MaxBlankLines of them.
func TestBlankLinesBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newlines.jsonl.gz")
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte("\n"), 64<<20))
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	task, err := RegisterFile(FileSpec{Train: path, Labels: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Load(context.Background(), task.Name, LoadOptions{NoDownload: true})
	if err == nil || !strings.Contains(err.Error(), path+" line 1001: more than 1000 blank lines in a row") {
		t.Errorf("error %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %s to refuse it", took)
	}
}

// Package checksum computes the SHA-256 of files, as build records,
// training state and artifact manifests record them.
package checksum

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/w2s-lab/w2s/w2s/internal/paths"
)

// File returns the hex SHA-256 of a file's content and its size.
func File(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// memo remembers the checksums of files by path, size and modification
// time, in this process and in a file of the cache, so inputs hashed for
// every stage key (data files, model weights) are read once, not per run.
type memo struct {
	mu     sync.Mutex
	loaded bool
	sums   map[string]memoEntry // absolute path → entry
}

type memoEntry struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
}

var files memo

// MemoFile is where Cached keeps checksums between processes.
func MemoFile() string { return filepath.Join(paths.Cache(), "checksums.json") }

// Cached is File for inputs: the checksum is recomputed only when the
// file's size or modification time changed since it was last computed
// (by any process using the same cache).
func Cached(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	files.mu.Lock()
	defer files.mu.Unlock()
	if !files.loaded {
		files.sums = map[string]memoEntry{}
		if raw, err := os.ReadFile(MemoFile()); err == nil {
			json.Unmarshal(raw, &files.sums) // a corrupt memo is only a slower start
		}
		files.loaded = true
	}
	if e, ok := files.sums[abs]; ok && e.Size == st.Size() && e.ModTime == st.ModTime().UnixNano() {
		return e.SHA256, nil
	}
	sum, _, err := File(abs)
	if err != nil {
		return "", err
	}
	files.sums[abs] = memoEntry{Size: st.Size(), ModTime: st.ModTime().UnixNano(), SHA256: sum}
	saveMemo()
	return sum, nil
}

// saveMemo merges this process's checksums into the memo file, written
// atomically; concurrent writers can lose each other's entries, which
// only costs a recomputation.
func saveMemo() {
	merged := map[string]memoEntry{}
	if raw, err := os.ReadFile(MemoFile()); err == nil {
		json.Unmarshal(raw, &merged)
	}
	for k, v := range files.sums {
		merged[k] = v
	}
	js, err := json.Marshal(merged)
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(MemoFile()), 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(MemoFile()), ".checksums-*")
	if err != nil {
		return
	}
	if _, err := tmp.Write(js); err != nil || tmp.Close() != nil {
		os.Remove(tmp.Name())
		return
	}
	if os.Rename(tmp.Name(), MemoFile()) != nil {
		os.Remove(tmp.Name())
	}
}

// Combined hashes the checksums of several named inputs into one (names
// sorted), for keys that depend on a set of files.
func Combined(sums map[string]string) string {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%s\x00", n, sums[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

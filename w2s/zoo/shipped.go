package zoo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"

	"embed"

	"github.com/w2s-lab/w2s/w2s/internal/paths"
)

// The ladders committed with the source are compiled into every program
// that uses this package, so a w2s binary copied to another machine (a GPU
// node, say) carries them: no source tree, module cache or flag is needed.
//
//go:embed ladders
var shipped embed.FS

var shippedMu sync.Mutex

// shippedFiles lists the embedded files of a scale's ladder, sorted.
func shippedFiles(scale string) []string {
	var files []string
	fs.WalkDir(shipped, path.Join("ladders", scale), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

// shippedDirName is the folder the ladder of scale is extracted into
// (under the cache), named by the digest of its build records: they hold
// the sha256 of every model file. "" when none was shipped.
func shippedDirName(scale string) string {
	files := shippedFiles(scale)
	if len(files) == 0 {
		return ""
	}
	h := sha256.New()
	for _, f := range files {
		if path.Base(f) == RecordFile || path.Base(f) == BaselinesFile {
			raw, _ := shipped.ReadFile(f)
			fmt.Fprintf(h, "%s\x00%d\x00", f, len(raw))
			h.Write(raw)
		}
	}
	return filepath.Join(paths.Cache(), "zoo-shipped", scale+"-"+hex.EncodeToString(h.Sum(nil))[:16])
}

// ShippedRecord returns the build record of a ladder model compiled into
// this program and the sha256 of its build.json, or false when the program
// ships no such model. Extracted copies are checked against it, never
// against the build.json found beside them, which could belong to another
// model.
func ShippedRecord(scale, size string) (*Record, string, bool) {
	raw, err := shipped.ReadFile(path.Join("ladders", scale, size, RecordFile))
	if err != nil {
		return nil, "", false
	}
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, "", false // a test of this package reads every shipped record
	}
	sum := sha256.Sum256(raw)
	return &r, hex.EncodeToString(sum[:]), true
}

// ShippedDir returns a folder holding the ladder of scale that was
// compiled into this program, extracting it into the cache the first time
// (a folder named by the content's digest, written atomically), or "" when
// none was shipped or it cannot be extracted.
func ShippedDir(scale string) string {
	dir := shippedDirName(scale)
	if dir == "" {
		return ""
	}
	root := path.Join("ladders", scale)
	files := shippedFiles(scale)
	shippedMu.Lock()
	defer shippedMu.Unlock()
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	if err := extract(files, root, dir); err != nil {
		fmt.Fprintf(os.Stderr, "w2s: could not extract the shipped %s ladder into %s: %v\n", scale, dir, err)
		return ""
	}
	return dir
}

// extract copies the embedded files under root into dir, through a
// temporary folder renamed at the end, so dir is never seen half-written.
func extract(files []string, root, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".extract-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		rel, _ := filepath.Rel(root, filepath.FromSlash(f))
		dest := filepath.Join(tmp, rel)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		raw, err := shipped.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dest, raw, 0o644); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(dir); serr == nil {
			return nil // another process extracted it first
		}
		return err
	}
	return nil
}

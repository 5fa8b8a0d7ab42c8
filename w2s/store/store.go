// Package store keeps the artifacts of experiment stages — checkpoints,
// labels, predictions, curves, metrics — under a key hashed from everything
// that determines them, so asking again returns the stored result at once.
//
// An artifact is a folder root/<kind>/<key> with a manifest (artifact.json)
// holding the spec, and the size and sha256 of every file. It is filled in
// a temporary folder and renamed into place only when complete, so an
// interrupted stage leaves nothing half-written; a lock file serialises
// processes computing the same artifact; an artifact whose files do not
// match its manifest is reported, removed and computed again.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/w2s-lab/w2s/w2s/atomicfile"
	"github.com/w2s-lab/w2s/w2s/checksum"
	"github.com/w2s-lab/w2s/w2s/nanjson"
	"github.com/w2s-lab/w2s/w2s/paths"
)

// ManifestFile is the manifest in each artifact folder.
const ManifestFile = "artifact.json"

// Store is a folder of artifacts.
type Store struct {
	Root string
	Log  io.Writer // reports of corrupt artifacts (default os.Stderr)

	mu       sync.Mutex
	verified map[string]bool // folders verified by this process
}

// Open returns the store at root (default: the cache's artifacts folder).
func Open(root string) (*Store, error) {
	if root == "" {
		root = filepath.Join(paths.Cache(), "artifacts")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	return &Store{Root: root, Log: os.Stderr, verified: map[string]bool{}}, nil
}

// Manifest describes an artifact.
type Manifest struct {
	Kind    string              `json:"kind"`
	Version int                 `json:"version"`
	Key     string              `json:"key"`
	Spec    json.RawMessage     `json:"spec"`
	Created string              `json:"created"`
	Seconds float64             `json:"seconds"` // time spent computing it
	Files   map[string]FileInfo `json:"files"`
}

// FileInfo is a file's size and checksum.
type FileInfo struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Artifact is a stored artifact.
type Artifact struct {
	Dir string
	Manifest
}

// Path is the path of one of the artifact's files.
func (a *Artifact) Path(name string) string { return filepath.Join(a.Dir, name) }

// ReadJSON decodes the artifact's JSON file name into v.
func (a *Artifact) ReadJSON(name string, v any) error {
	raw, err := os.ReadFile(a.Path(name))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", a.Path(name), err)
	}
	return nil
}

// WriteJSON writes v as dir/name, for fill functions; non-finite floats
// become null.
func WriteJSON(dir, name string, v any) error {
	js, err := nanjson.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), append(js, '\n'), 0o644)
}

// Key hashes kind, version and spec (as canonical JSON: struct fields in
// order, map keys sorted) into the artifact's key.
func Key(kind string, version int, spec any) (string, json.RawMessage, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return "", nil, fmt.Errorf("store: spec of %s: %w", kind, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", kind, version)
	h.Write(js)
	return hex.EncodeToString(h.Sum(nil))[:32], js, nil
}

func (s *Store) dir(kind, key string) string { return filepath.Join(s.Root, kind, key) }

// WorkDir is a folder a computation may keep between attempts (resumable
// training state); Do removes it once the artifact is stored.
func (s *Store) WorkDir(kind, key string) string {
	return filepath.Join(s.Root, kind, ".work-"+key)
}

// Get returns the artifact kind/key when it is stored and intact. A corrupt
// artifact is reported on Log and removed, and Get returns false.
func (s *Store) Get(kind, key string) (*Artifact, bool) {
	dir := s.dir(kind, key)
	a, err := s.load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		fmt.Fprintf(s.Log, "store: corrupt artifact %s: %v; removing it, it will be computed again\n", dir, err)
		os.RemoveAll(dir)
		return nil, false
	}
	return a, true
}

func (s *Store) load(dir string) (*Artifact, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		if _, statErr := os.Stat(dir); statErr == nil && errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no %s", ManifestFile)
		}
		return nil, err
	}
	a := &Artifact{Dir: dir}
	if err := json.Unmarshal(raw, &a.Manifest); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	s.mu.Lock()
	ok := s.verified[dir]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	for name, want := range a.Files {
		got, err := fileInfo(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if got != want {
			return nil, fmt.Errorf("%s: size %d sha256 %.12s, manifest says size %d sha256 %.12s", name, got.Size, got.SHA256, want.Size, want.SHA256)
		}
	}
	s.mu.Lock()
	s.verified[dir] = true
	s.mu.Unlock()
	return a, nil
}

func fileInfo(path string) (FileInfo, error) {
	sum, n, err := checksum.File(path)
	return FileInfo{Size: n, SHA256: sum}, err
}

// Do returns the artifact for (kind, version, spec), computing it with fill
// when it is not stored. fill writes the artifact's files into dir, a fresh
// temporary folder; only when it returns nil are the files checksummed, the
// manifest written and the folder renamed into place. Processes asking for
// the same artifact at once wait for each other: the first computes it, the
// others get the stored result.
func (s *Store) Do(ctx context.Context, kind string, version int, spec any, fill func(dir string) error) (*Artifact, error) {
	key, specJSON, err := Key(kind, version, spec)
	if err != nil {
		return nil, err
	}
	if a, ok := s.Get(kind, key); ok {
		return a, nil
	}
	if err := os.MkdirAll(filepath.Join(s.Root, kind), 0o755); err != nil {
		return nil, err
	}
	unlock, err := lock(ctx, filepath.Join(s.Root, kind, key+".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if a, ok := s.Get(kind, key); ok { // made while we waited
		return a, nil
	}
	// Leftovers of an attempt that died are ours to remove (we hold the lock).
	old, _ := filepath.Glob(filepath.Join(s.Root, kind, ".tmp-"+key+"-*"))
	for _, o := range old {
		os.RemoveAll(o)
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.Root, kind), ".tmp-"+key+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	start := time.Now()
	if err := fill(tmp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := Manifest{Kind: kind, Version: version, Key: key, Spec: specJSON, Created: time.Now().UTC().Format(time.RFC3339),
		Seconds: time.Since(start).Seconds(), Files: map[string]FileInfo{}}
	err = filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tmp, path)
		info, err := fileInfo(path)
		m.Files[filepath.ToSlash(rel)] = info
		return err
	})
	if err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(tmp, ManifestFile), js); err != nil {
		return nil, err
	}
	final := s.dir(kind, key)
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	os.RemoveAll(s.WorkDir(kind, key))
	return &Artifact{Dir: final, Manifest: m}, nil
}

// lock takes an exclusive lock on path, waiting while another process or
// goroutine holds it (or until ctx is done).
func lock(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("store: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Entry describes a stored artifact, for listings.
type Entry struct {
	Kind, Key string
	Bytes     int64
	Created   time.Time
	Spec      json.RawMessage
	Err       error // set for a corrupt artifact or leftover
	Leftover  bool  // an unfinished temporary or work folder
	Dir       string
}

// List returns every artifact (optionally of one kind), and leftovers of
// interrupted computations.
func (s *Store) List(kind string) ([]Entry, error) {
	kinds := []string{kind}
	if kind == "" {
		des, err := os.ReadDir(s.Root)
		if err != nil {
			return nil, err
		}
		kinds = nil
		for _, d := range des {
			if d.IsDir() {
				kinds = append(kinds, d.Name())
			}
		}
	}
	var out []Entry
	for _, k := range kinds {
		des, err := os.ReadDir(filepath.Join(s.Root, k))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, err
		}
		for _, d := range des {
			if !d.IsDir() {
				continue
			}
			dir := filepath.Join(s.Root, k, d.Name())
			e := Entry{Kind: k, Key: d.Name(), Dir: dir, Bytes: dirSize(dir)}
			if strings.HasPrefix(d.Name(), ".") {
				e.Leftover = true
				if info, err := d.Info(); err == nil {
					e.Created = info.ModTime()
				}
			} else if a, err := s.load(dir); err != nil {
				e.Err = err
			} else {
				e.Spec = a.Spec
				e.Created, _ = time.Parse(time.RFC3339, a.Created)
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Created.Before(out[j].Created)
	})
	return out, nil
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// GC removes corrupt artifacts, leftovers of interrupted computations that
// nobody is working on (not locked), and artifacts created before olderThan
// ago (0 keeps them). It returns what it removed.
func (s *Store) GC(olderThan time.Duration) ([]Entry, error) {
	entries, err := s.List("")
	if err != nil {
		return nil, err
	}
	var removed []Entry
	for _, e := range entries {
		remove := e.Err != nil || (olderThan > 0 && !e.Created.IsZero() && time.Since(e.Created) > olderThan)
		if e.Leftover {
			key := strings.TrimPrefix(strings.TrimPrefix(e.Key, ".tmp-"), ".work-")
			key, _, _ = strings.Cut(key, "-")
			unlock, err := tryLock(filepath.Join(s.Root, e.Kind, key+".lock"))
			if err != nil {
				continue // in use
			}
			remove = true
			defer unlock()
		}
		if remove {
			if err := os.RemoveAll(e.Dir); err != nil {
				return removed, err
			}
			removed = append(removed, e)
		}
	}
	return removed, nil
}

func tryLock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Package store keeps the artifacts of experiment stages — checkpoints,
// labels, predictions, curves, metrics — under a key hashed from everything
// that determines them, so asking again returns the stored result at once.
//
// An artifact is a folder root/<kind>/<key> with a manifest (artifact.json)
// holding the spec, and the size and sha256 of every file. It is filled in
// a temporary folder and renamed into place only when complete, so an
// interrupted stage leaves nothing half-written; a lock file (root/<kind>/
// <key>.lock) serialises processes computing the same artifact; every
// process using an artifact holds a shared lock on another (<key>.use) until
// it closes the store or exits, so GC never removes an artifact in use (a
// process that may not write the store, which cannot remove anything,
// reads it without creating lock files); an
// artifact whose files do not match its manifest is reported, removed and
// computed again.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/internal/checksum"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
)

// ManifestFile is the manifest in each artifact folder.
const ManifestFile = "artifact.json"

// Store is a folder of artifacts.
type Store struct {
	Root string
	Log  io.Writer // reports of corrupt artifacts (default os.Stderr)

	mu       sync.Mutex
	verified map[string]bool     // folders verified by this process
	held     map[string]*os.File // kind/key → its lock file, locked shared while this process uses it
	keyMu    map[string]*sync.Mutex
	made     map[string]int     // kind → artifacts this Store computed
	used     map[string]float64 // kind/key → seconds its computation took, for every artifact returned
}

// Open returns the store at root (default: the cache's artifacts folder).
func Open(root string) (*Store, error) {
	if root == "" {
		root = filepath.Join(paths.Cache(), "artifacts")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	return &Store{Root: root, Log: os.Stderr, verified: map[string]bool{}, held: map[string]*os.File{}}, nil
}

// Close releases the shared locks this process holds on the artifacts it
// used (process exit releases them too).
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, f := range s.held {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		delete(s.held, k)
	}
	return nil
}

// lockPath is the lock of computing an artifact; usePath the lock of
// using one (shared by users, exclusive for GC).
func (s *Store) lockPath(kind, key string) string { return filepath.Join(s.Root, kind, key+".lock") }
func (s *Store) usePath(kind, key string) string  { return filepath.Join(s.Root, kind, key+".use") }

// hold takes a shared lock on an artifact for the rest of this process
// (or until Close): GC in any process then leaves it alone. It fails when
// another process holds the lock exclusively (GC removing it right now).
func (s *Store) hold(kind, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == nil {
		s.held = map[string]*os.File{}
	}
	if _, ok := s.held[kind+"/"+key]; ok {
		return nil
	}
	f, err := lockFile(context.Background(), s.usePath(kind, key), syscall.LOCK_SH, false)
	if errors.Is(err, fs.ErrNotExist) || readOnly(err) {
		// A store this process may not write has no use lock to take, and
		// this process cannot remove anything from it either: read it
		// unlocked.
		return nil
	}
	if err != nil {
		return err
	}
	s.held[kind+"/"+key] = f
	return nil
}

// readOnly tells the errors of writing where this process may not.
func readOnly(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// Manifest describes an artifact.
type Manifest struct {
	Kind    string          `json:"kind"`
	Version int             `json:"version"`
	Key     string          `json:"key"`
	Spec    json.RawMessage `json:"spec"`
	Created string          `json:"created"`
	Seconds float64         `json:"seconds"` // time spent computing it
	// Backend says what computed it (backend.Info.Label: the backend, its
	// plugin and versions); "" for artifacts stored before it was recorded,
	// or computed without one.
	Backend string              `json:"backend,omitempty"`
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

// WriteJSON writes v as dir/name, for fill functions. Values that may be
// undefined are metrics.Float, which writes NaN as null.
func WriteJSON(dir, name string, v any) error {
	js, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("store: %s: %w", filepath.Join(dir, name), err)
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
	if _, err := os.Stat(dir); err != nil {
		return nil, false
	}
	if err := s.hold(kind, key); err != nil {
		return nil, false // being removed right now
	}
	a, err := s.load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		fmt.Fprintf(s.Log, "store: corrupt artifact %s: %v; removing it, it will be computed again\n", dir, err)
		os.RemoveAll(dir)
		return nil, false
	}
	s.use(kind, key, a.Seconds)
	return a, true
}

// use records an artifact this Store returned.
func (s *Store) use(kind, key string, seconds float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used == nil {
		s.used = map[string]float64{}
	}
	s.used[kind+"/"+key] = seconds
}

// Used reports how many distinct artifacts this Store has returned, found
// stored or computed, and how long computing them took when they were made:
// what the same calls would take with an empty store, less loading data.
func (s *Store) Used() (n int, seconds float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range s.used {
		seconds += sec
	}
	return len(s.used), seconds
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
	return s.DoBy(ctx, "", kind, version, spec, fill)
}

// DoBy is Do recording in the manifest of an artifact it computes what
// computed it (by: the backend's label). The backend is not part of the
// key: an artifact stored by one backend is returned to another, and its
// manifest (Artifact.Backend, List, w2s cache ls) says which made it.
func (s *Store) DoBy(ctx context.Context, by, kind string, version int, spec any, fill func(dir string) error) (*Artifact, error) {
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
	k := kind + "/" + key
	mu := s.keyMutex(k) // one goroutine of this process computes a key at a time
	mu.Lock()
	defer mu.Unlock()
	if a, ok := s.Get(kind, key); ok { // another goroutine made it
		return a, nil
	}
	lf, err := lockFile(ctx, s.lockPath(kind, key), syscall.LOCK_EX, true)
	if err != nil {
		return nil, err
	}
	defer func() { syscall.Flock(int(lf.Fd()), syscall.LOCK_UN); lf.Close() }()
	if a, ok := s.Get(kind, key); ok { // another process made it while we waited
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
		Seconds: time.Since(start).Seconds(), Backend: by, Files: map[string]FileInfo{}}
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
	if err := s.hold(kind, key); err != nil { // before it appears: GC cannot take it away
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	os.RemoveAll(s.WorkDir(kind, key))
	s.mu.Lock()
	if s.made == nil {
		s.made = map[string]int{}
	}
	s.made[kind]++
	s.mu.Unlock()
	s.use(kind, key, m.Seconds)
	return &Artifact{Dir: final, Manifest: m}, nil
}

// Made reports how many artifacts of kind ("" for every kind) this Store
// has computed (rather than found stored), for callers and tests that check
// what a call did.
func (s *Store) Made(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind != "" {
		return s.made[kind]
	}
	n := 0
	for _, m := range s.made {
		n += m
	}
	return n
}

// errBusy is lockFile's answer when another holder's lock conflicts.
var errBusy = errors.New("locked by another process")

// keyMutex returns the in-process mutex of an artifact key.
func (s *Store) keyMutex(k string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keyMu == nil {
		s.keyMu = map[string]*sync.Mutex{}
	}
	m, ok := s.keyMu[k]
	if !ok {
		m = &sync.Mutex{}
		s.keyMu[k] = m
	}
	return m
}

// lockFile opens path (creating it when this process may) and locks it with how (LOCK_EX or
// LOCK_SH); with wait it retries every 100 ms while another process holds
// a conflicting lock, until ctx is done. It checks that the file it locked
// is still the one at path: GC removes lock files of removed artifacts, and
// a lock on a removed file would protect nothing.
func lockFile(ctx context.Context, path string, how int, wait bool) (*os.File, error) {
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if readOnly(err) {
			f, err = os.Open(path) // flock needs no write access: lock an existing file read-only
		}
		if err != nil {
			return nil, err
		}
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			var a, b syscall.Stat_t
			if syscall.Fstat(int(f.Fd()), &a) == nil && syscall.Stat(path, &b) == nil && a.Ino == b.Ino && a.Dev == b.Dev {
				return f, nil
			}
			f.Close() // removed meanwhile: lock the new one
			continue
		}
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("store: lock %s: %w", path, err)
		}
		if !wait {
			return nil, fmt.Errorf("%s: %w", path, errBusy)
		}
		select {
		case <-ctx.Done():
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
	Backend   string // what computed it ("" when not recorded)
	Err       error  // set for a corrupt artifact or leftover
	Leftover  bool   // an unfinished temporary or work folder
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
				e.Spec, e.Backend = a.Spec, a.Backend
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

// KeepFinished is GC's olderThan that keeps every intact artifact.
const KeepFinished time.Duration = -1

// GC removes corrupt artifacts, leftovers of interrupted computations that
// nobody is working on, artifacts created more than olderThan ago (0: every
// artifact created before now; KeepFinished or any negative duration keeps
// them), and lock files left without an artifact. A finished artifact is
// removed only under its use lock taken exclusively, so one that any
// process is using is kept and reported in inUse; a leftover only under
// its compute lock, so a computation under way keeps its work.
func (s *Store) GC(olderThan time.Duration) (removed, inUse []Entry, err error) {
	entries, err := s.List("")
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		key := e.Key
		lockOf := s.usePath
		if e.Leftover {
			key = strings.TrimPrefix(strings.TrimPrefix(key, ".tmp-"), ".work-")
			key, _, _ = strings.Cut(key, "-")
			lockOf = s.lockPath
		} else if e.Err == nil && (olderThan < 0 || e.Created.IsZero() || time.Since(e.Created) <= olderThan) {
			continue
		}
		s.mu.Lock()
		_, mine := s.held[e.Kind+"/"+key]
		s.mu.Unlock()
		var lf *os.File
		var lerr error
		if !mine {
			lf, lerr = lockFile(context.Background(), lockOf(e.Kind, key), syscall.LOCK_EX, false)
		}
		if mine || lerr != nil {
			inUse = append(inUse, e)
			continue
		}
		err = os.RemoveAll(e.Dir)
		if err == nil && !e.Leftover {
			os.Remove(lf.Name()) // users of the old file notice (lockFile) and lock anew
		}
		syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		lf.Close()
		if err != nil {
			return removed, inUse, err
		}
		removed = append(removed, e)
	}
	// Lock files whose artifact is gone and that nobody holds.
	for _, pattern := range []string{"*.lock", "*.use"} {
		locks, _ := filepath.Glob(filepath.Join(s.Root, "*", pattern))
		for _, l := range locks {
			key := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(l), ".lock"), ".use")
			kind := filepath.Base(filepath.Dir(l))
			if _, err := os.Stat(s.dir(kind, key)); err == nil {
				continue
			}
			if work, _ := filepath.Glob(filepath.Join(s.Root, kind, ".*-"+key+"*")); len(work) > 0 {
				continue // an interrupted computation may resume from it
			}
			if lf, err := lockFile(context.Background(), l, syscall.LOCK_EX, false); err == nil {
				os.Remove(l)
				syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
				lf.Close()
			}
		}
	}
	return removed, inUse, nil
}

package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type spec struct {
	Task  string
	Seed  int
	Extra map[string]float64
}

func TestDoOnceAndKeys(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.Log = &bytes.Buffer{}
	calls := 0
	fill := func(dir string) error {
		calls++
		return WriteJSON(dir, "result.json", map[string]int{"answer": 42})
	}
	ctx := context.Background()
	sp := spec{"sst2", 1, map[string]float64{"b": 2, "a": 1}}
	a, err := s.Do(ctx, "labels", 1, sp, fill)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Do(ctx, "labels", 1, spec{"sst2", 1, map[string]float64{"a": 1, "b": 2}}, fill)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || a.Dir != b.Dir {
		t.Fatalf("computed %d times; dirs %s %s", calls, a.Dir, b.Dir)
	}
	var got map[string]int
	if err := b.ReadJSON("result.json", &got); err != nil || got["answer"] != 42 {
		t.Fatalf("read back %v %v", got, err)
	}
	// Anything that determines the result changes the key.
	k1, _, _ := Key("labels", 1, sp)
	k2, _, _ := Key("labels", 2, sp)
	k3, _, _ := Key("labels", 1, spec{"sst2", 2, nil})
	k4, _, _ := Key("preds", 1, sp)
	if k1 == k2 || k1 == k3 || k1 == k4 {
		t.Error("version, spec or kind did not change the key")
	}
}

func TestFailedFillLeavesNothing(t *testing.T) {
	s, _ := Open(t.TempDir())
	boom := errors.New("boom")
	_, err := s.Do(context.Background(), "ckpt", 1, spec{Task: "x"}, func(dir string) error {
		os.WriteFile(filepath.Join(dir, "half.bin"), []byte("half"), 0o644)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	entries, _ := s.List("")
	for _, e := range entries {
		if !e.Leftover {
			t.Errorf("a failed computation left an artifact: %+v", e)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(s.Root, "ckpt", ".tmp-*"))
	if len(matches) != 0 {
		t.Errorf("temporary folders left: %v", matches)
	}
}

func TestCorruptArtifactIsRecomputed(t *testing.T) {
	s, _ := Open(t.TempDir())
	var log bytes.Buffer
	s.Log = &log
	calls := 0
	fill := func(dir string) error {
		calls++
		return os.WriteFile(filepath.Join(dir, "w.bin"), []byte("weights"), 0o644)
	}
	a, _ := s.Do(context.Background(), "ckpt", 1, spec{Task: "y"}, fill)
	os.WriteFile(a.Path("w.bin"), []byte("weightz"), 0o644)
	s2, _ := Open(s.Root) // a new process: nothing verified yet
	s2.Log = &log
	if _, ok := s2.Get("ckpt", a.Key); ok {
		t.Fatal("corrupt artifact returned")
	}
	if !strings.Contains(log.String(), "corrupt artifact") || !strings.Contains(log.String(), "w.bin") {
		t.Errorf("corruption not reported: %q", log.String())
	}
	b, err := s2.Do(context.Background(), "ckpt", 1, spec{Task: "y"}, fill)
	if err != nil || calls != 2 {
		t.Fatalf("recompute: calls %d, %v", calls, err)
	}
	if raw, _ := os.ReadFile(b.Path("w.bin")); string(raw) != "weights" {
		t.Errorf("recomputed content %q", raw)
	}
}

func TestConcurrentDoComputesOnce(t *testing.T) {
	root := t.TempDir()
	var mu sync.Mutex
	calls := 0
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := Open(root) // separate stores, as separate processes would have
			_, err := s.Do(context.Background(), "labels", 1, spec{Task: "z"}, func(dir string) error {
				mu.Lock()
				calls++
				mu.Unlock()
				time.Sleep(200 * time.Millisecond)
				return os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644)
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if calls != 1 {
		t.Errorf("computed %d times", calls)
	}
}

// TestTwoProcesses runs the same stage in two processes at once.
func TestTwoProcesses(t *testing.T) {
	if root := os.Getenv("STORE_CHILD_ROOT"); root != "" {
		s, _ := Open(root)
		_, err := s.Do(context.Background(), "labels", 1, spec{Task: "proc"}, func(dir string) error {
			f, err := os.OpenFile(filepath.Join(root, "calls.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			f.WriteString("call\n")
			f.Close()
			time.Sleep(300 * time.Millisecond)
			return os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	root := t.TempDir()
	var cmds []*exec.Cmd
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTwoProcesses$")
		cmd.Env = append(os.Environ(), "STORE_CHILD_ROOT="+root)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	log, _ := os.ReadFile(filepath.Join(root, "calls.log"))
	if n := strings.Count(string(log), "call"); n != 1 {
		t.Errorf("two processes computed the artifact %d times", n)
	}
}

func TestListAndGC(t *testing.T) {
	root := t.TempDir()
	s, _ := Open(root)
	s.Log = &bytes.Buffer{}
	ctx := context.Background()
	good, _ := s.Do(ctx, "metrics", 1, spec{Task: "a"}, func(dir string) error { return WriteJSON(dir, "m.json", 1) })
	bad, _ := s.Do(ctx, "metrics", 1, spec{Task: "b"}, func(dir string) error { return WriteJSON(dir, "m.json", 2) })
	os.WriteFile(bad.Path("m.json"), []byte("3"), 0o644)
	os.MkdirAll(filepath.Join(s.Root, "metrics", ".tmp-deadbeef-123"), 0o755)
	entries, err := s.List("")
	if err != nil || len(entries) != 3 {
		t.Fatalf("list: %d entries, %v", len(entries), err)
	}
	// Another store (another process): s still uses both artifacts.
	other, _ := Open(root)
	removed, inUse, err := other.GC(KeepFinished)
	if err != nil || len(removed) != 1 || !removed[0].Leftover || len(inUse) != 1 || inUse[0].Key != bad.Key {
		t.Fatalf("gc while in use removed %v, skipped %v: %v", removed, inUse, err)
	}
	s.Close() // the using process is done
	removed, _, err = other.GC(KeepFinished)
	if err != nil || len(removed) != 1 || removed[0].Key != bad.Key {
		t.Fatalf("gc removed %v: %v", removed, err)
	}
	if _, ok := other.Get("metrics", good.Key); !ok {
		t.Error("gc removed a good artifact")
	}
	other.Close()
	removed, _, _ = other.GC(time.Nanosecond)
	if len(removed) != 1 {
		t.Errorf("gc by age removed %d", len(removed))
	}
	if locks, _ := filepath.Glob(filepath.Join(root, "*", "*.lock")); len(locks) != 0 {
		t.Errorf("lock files left without artifacts: %v", locks)
	}
}

// TestGCSparesArtifactsInUse: `cache gc --older-than` during a run once
// deleted a checkpoint the run was still reading.
func TestGCSparesArtifactsInUse(t *testing.T) {
	root := t.TempDir()
	run, _ := Open(root)
	a, err := run.Do(context.Background(), "trained", 1, spec{Task: "x"}, func(dir string) error { return WriteJSON(dir, "config.json", 1) })
	if err != nil {
		t.Fatal(err)
	}
	gc, _ := Open(root)
	removed, inUse, err := gc.GC(time.Nanosecond)
	if err != nil || len(removed) != 0 || len(inUse) != 1 {
		t.Fatalf("gc during the run removed %v, skipped %v: %v", removed, inUse, err)
	}
	if _, err := os.Stat(a.Path("config.json")); err != nil {
		t.Fatalf("the run's artifact is gone: %v", err)
	}
	// A run starting afterwards finds it stored.
	again, _ := Open(root)
	if _, ok := again.Get("trained", a.Key); !ok {
		t.Error("stored artifact not found")
	}
}

func TestUsedCountsEachArtifactOnceWithItsRecordedTime(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	slow := func(dir string) error {
		time.Sleep(20 * time.Millisecond)
		return WriteJSON(dir, "r.json", 1)
	}
	for _, n := range []int{1, 2, 1} { // the third call finds the first
		if _, err := s.Do(ctx, "x", 1, n, slow); err != nil {
			t.Fatal(err)
		}
	}
	if s.Made("") != 2 || s.Made("x") != 2 || s.Made("y") != 0 {
		t.Fatalf("Made: %d in all, %d of x, %d of y; want 2, 2, 0", s.Made(""), s.Made("x"), s.Made("y"))
	}
	n, sec := s.Used()
	if n != 2 || sec < 0.04 {
		t.Fatalf("Used() = %d artifacts, %.3fs; want 2, at least 0.04s", n, sec)
	}
	// Another process finds them stored: it reports the time they took to
	// make, not the time it took to read them.
	other, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := other.Used(); n != 0 {
		t.Fatalf("a fresh Store reports %d artifacts used", n)
	}
	key, _, _ := Key("x", 1, 2)
	if _, ok := other.Get("x", key); !ok {
		t.Fatal("stored artifact not found")
	}
	n2, sec2 := other.Used()
	if n2 != 1 || sec2 < 0.02 || sec2 > sec {
		t.Fatalf("after one Get: %d artifacts, %.3fs; want 1, between 0.02s and %.3fs", n2, sec2, sec)
	}
}

// readStoreOnly is what TestReadOnlyStore checks in the process that may
// not write the store: every artifact is found, none computed.
func readStoreOnly(root string) error {
	s, err := Open(root)
	if err != nil {
		return err
	}
	defer s.Close()
	s.Log = os.Stderr
	for i := range 3 {
		a, err := s.Do(context.Background(), "labels", 1, spec{Task: "t", Seed: i}, func(string) error {
			return errors.New("computed again")
		})
		if err != nil {
			return fmt.Errorf("artifact %d: %w", i, err)
		}
		var got int
		if err := a.ReadJSON("r.json", &got); err != nil || got != i {
			return fmt.Errorf("artifact %d reads %d, %v", i, got, err)
		}
	}
	return nil
}

// TestReadOnlyStoreHelper runs readStoreOnly for TestReadOnlyStore.
func TestReadOnlyStoreHelper(t *testing.T) {
	root := os.Getenv("W2S_TEST_READONLY_STORE")
	if root == "" {
		t.Skip("started by TestReadOnlyStore")
	}
	if err := readStoreOnly(root); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyStore: a complete store that this process may not write
// (read-only files and folders, no lock files yet for some artifacts) is
// read without computing anything: readers take no write locks. As root,
// whom permissions do not stop, the reading runs as user nobody.
func TestReadOnlyStore(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "store")
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Do(context.Background(), "labels", 1, spec{Task: "t", Seed: i}, func(dir string) error { return WriteJSON(dir, "r.json", i) }); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	uses, _ := filepath.Glob(filepath.Join(root, "labels", "*.use"))
	os.Remove(uses[0]) // made by an older build, or removed by gc: there is none to open
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			mode := os.FileMode(0o444)
			if d.IsDir() {
				mode = 0o555
			}
			err = os.Chmod(p, mode)
		}
		return err
	})
	t.Cleanup(func() {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error { os.Chmod(p, 0o755); return nil })
	})
	if os.Geteuid() != 0 {
		if err := readStoreOnly(root); err != nil {
			t.Fatal(err)
		}
		return
	}
	// The test's own folders become reachable for nobody; the folders above
	// them must be already.
	os.Chmod(base, 0o755)
	os.Chmod(filepath.Dir(base), 0o755)
	for dir := filepath.Dir(filepath.Dir(base)); ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(dir); err != nil || st.Mode().Perm()&0o001 == 0 {
			t.Skipf("user nobody cannot reach %s, above the test's folder", dir)
		}
		if dir == filepath.Dir(dir) {
			break
		}
	}
	bin := filepath.Join(base, "store.test")
	raw, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestReadOnlyStoreHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "W2S_TEST_READONLY_STORE="+root, "HOME=/nonexistent", "GOCOVERDIR=")
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestReadOnlyStoreHelper") {
		t.Errorf("reading as nobody: %v\n%s", err, out)
	}
}

// TestDoByRecordsTheBackend: an artifact says what computed it, in its
// manifest and in listings; one found stored keeps what made it.
func TestDoByRecordsTheBackend(t *testing.T) {
	s, _ := Open(t.TempDir())
	ctx := context.Background()
	fill := func(dir string) error { return WriteJSON(dir, "r.json", 1) }
	a, err := s.DoBy(ctx, "xla on cpu: plugin", "labels", 1, spec{Task: "t"}, fill)
	if err != nil || a.Backend != "xla on cpu: plugin" {
		t.Fatalf("%+v, %v", a, err)
	}
	again, _ := Open(s.Root)
	b, err := again.DoBy(ctx, "go on go", "labels", 1, spec{Task: "t"}, fill)
	if err != nil || b.Backend != "xla on cpu: plugin" {
		t.Errorf("found stored: backend %q, %v", b.Backend, err)
	}
	old, _ := s.Do(ctx, "labels", 1, spec{Task: "u"}, fill)
	entries, _ := s.List("labels")
	got := map[string]string{}
	for _, e := range entries {
		got[e.Key] = e.Backend
	}
	if got[a.Key] != "xla on cpu: plugin" || got[old.Key] != "" || len(got) != 2 {
		t.Errorf("listing: %v", got)
	}
}

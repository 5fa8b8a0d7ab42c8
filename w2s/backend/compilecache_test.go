package backend

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/w2s-lab/w2s/w2s/testgate"
)

// TestCompileCacheChild is the process TestCompileCacheAcrossProcesses
// starts: it compiles and runs two small graphs on XLA's CPU plugin and
// prints what it compiled and what they computed.
func TestCompileCacheChild(t *testing.T) {
	out := os.Getenv("W2S_CACHE_CHILD_OUT")
	if out == "" {
		t.Skip("run by TestCompileCacheAcrossProcesses")
	}
	b, err := New("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	var results [][]float32
	for _, n := range []int{3, 5} {
		exec := MustNewExec(b, func(x *Node) *Node { return Add(Mul(x, x), Sin(x)) })
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i) / 3
		}
		results = append(results, tensors.MustCopyFlatData[float32](exec.MustExec(x)[0]))
	}
	raw, _ := json.Marshal(map[string]any{"compiled": Compiled(), "info": Describe(b), "results": results})
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCompileCacheAcrossProcesses: a second process compiling the same
// graphs at the same shapes loads them from the persistent cache, compiles
// nothing, and computes the same numbers; a damaged entry is compiled again.
func TestCompileCacheAcrossProcesses(t *testing.T) {
	testgate.Integration(t, "compiles in two child processes")
	plugin, _ := FindCPUPlugin()
	testgate.Require(t, testgate.XLA, plugin != "", "XLA's CPU plugin is not installed (kernel/setup installs it)")
	cache := t.TempDir()
	type child struct {
		Compiled Compilation
		Info     Info
		Results  [][]float32
	}
	run := func(env ...string) child {
		t.Helper()
		out := filepath.Join(t.TempDir(), "out.json")
		cmd := exec.Command(os.Args[0], "-test.run", "^TestCompileCacheChild$", "-test.v")
		cmd.Env = append(os.Environ(), "W2S_CACHE="+cache, "W2S_CACHE_CHILD_OUT="+out, "W2S_COMPILE_CACHE=", "XLA_FLAGS=")
		cmd.Env = append(cmd.Env, env...)
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, o)
		}
		var c child
		raw, _ := os.ReadFile(out)
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := run()
	if first.Compiled.Graphs != 2 || first.Compiled.Cached != 0 || first.Info.CompileCache != filepath.Join(cache, "xla-executables") {
		t.Fatalf("first process: %+v, compile cache %q", first.Compiled, first.Info.CompileCache)
	}
	second := run()
	if second.Compiled.Graphs != 2 || second.Compiled.Cached != 2 {
		t.Errorf("second process: %+v, want both graphs from the cache", second.Compiled)
	}
	for i := range first.Results {
		for j := range first.Results[i] {
			if first.Results[i][j] != second.Results[i][j] {
				t.Fatalf("graph %d computes %v from the cache, %v compiled", i, second.Results[i], first.Results[i])
			}
		}
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "xla-executables", "*.pjrt"))
	if len(entries) != 2 {
		t.Fatalf("%d cache entries, want 2", len(entries))
	}
	// Other XLA flags may emit other code: nothing is shared with them.
	if flagged := run("XLA_FLAGS=--xla_cpu_enable_fast_math=false"); flagged.Compiled.Cached != 0 {
		t.Errorf("with other XLA_FLAGS: %+v, want every graph compiled", flagged.Compiled)
	}
	// A flipped byte in an entry: the entry is refused and compiled again.
	raw, _ := os.ReadFile(entries[0])
	raw[len(raw)/2] ^= 0xff
	os.WriteFile(entries[0], raw, 0o644)
	third := run()
	if third.Compiled.Cached != 1 {
		t.Errorf("after damaging an entry: %+v, want one graph compiled, one from the cache", third.Compiled)
	}
}

// TestGoXLAVersionMatchesGoMod: the wrapper is built against the PJRT
// header of the go-xla that go.mod names.
func TestGoXLAVersionMatchesGoMod(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/gomlx/go-xla " + goXLAVersion; !strings.Contains(string(raw), want) {
		t.Errorf("go.mod does not require %q: update goXLAVersion", want)
	}
}

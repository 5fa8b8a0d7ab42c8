package backend

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

typedef void (*stats_fn)(int64_t*, int64_t*, int64_t*);

static int w2s_cache_stats(const char* path, int64_t* h, int64_t* m, int64_t* f) {
	void* lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (!lib) return -1;
	stats_fn fn = (stats_fn)dlsym(lib, "w2s_pjrt_cache_stats");
	if (!fn) { dlclose(lib); return -1; }
	fn(h, m, f);
	dlclose(lib);
	return 0;
}
*/
import "C"

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"unsafe"

	"github.com/w2s-lab/w2s/w2s/internal/paths"
)

// XLA's compiled executables outlive the process: the CPU plugin is loaded
// through a small wrapper plugin (pjrtcache/pjrt_cache.c, built here with
// the C compiler on first use) that keeps every executable it compiles in
// the cache folder and serves it to later processes, keyed by the plugin's
// file, the program (graph and shapes) and the compile options, checked
// against its SHA-256 on load. $W2S_COMPILE_CACHE=off turns it off; without
// a C compiler or go-xla's PJRT header it is off, and `w2s env` says so.

//go:embed pjrtcache/pjrt_cache.c
var cacheSource []byte

// CompileCacheDir is where compiled executables are kept.
func CompileCacheDir() string { return filepath.Join(paths.Cache(), "xla-executables") }

var (
	wrapperOnce sync.Once
	wrapperPath string
	wrapperErr  error
)

// cachingPlugin returns the wrapper plugin to load in place of the CPU
// plugin real, building it the first time, with the environment the
// wrapper reads set; or "" and why not.
func cachingPlugin(real string) (string, error) {
	if strings.EqualFold(os.Getenv("W2S_COMPILE_CACHE"), "off") {
		return "", fmt.Errorf("off ($W2S_COMPILE_CACHE=off)")
	}
	wrapperOnce.Do(func() { wrapperPath, wrapperErr = buildWrapper() })
	if wrapperErr != nil {
		return "", wrapperErr
	}
	if err := os.MkdirAll(CompileCacheDir(), 0o755); err != nil {
		return "", err
	}
	os.Setenv("W2S_PJRT_REAL_PLUGIN", real)
	os.Setenv("W2S_PJRT_CACHE_DIR", CompileCacheDir())
	return wrapperPath, nil
}

// buildWrapper compiles pjrt_cache.c against go-xla's pjrt_c_api.h into
// the cache, under a name fixed by both files' content; a build another
// process finished is reused.
func buildWrapper() (string, error) {
	header, err := pjrtHeader()
	if err != nil {
		return "", err
	}
	hdr, err := os.ReadFile(header)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(append([]byte{}, cacheSource...), hdr...))
	dir := filepath.Join(paths.Cache(), "pjrt-cache", hex.EncodeToString(sum[:8]))
	lib := filepath.Join(dir, "libpjrt_cpu_cache.so")
	if _, err := os.Stat(lib); err == nil {
		return lib, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".build-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "pjrt_cache.c")
	if err := os.WriteFile(src, cacheSource, 0o644); err != nil {
		return "", err
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	out := filepath.Join(tmp, "lib.so")
	var stderr bytes.Buffer
	cmd := exec.Command(cc, "-O2", "-shared", "-fPIC", "-I", filepath.Dir(header), "-o", out, src, "-ldl")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the compile cache with %s: %v: %s", cc, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.Rename(out, lib); err != nil {
		return "", err
	}
	return lib, nil
}

// goXLAVersion is the go-xla version of go.mod (a test keeps them equal):
// the PJRT header the wrapper is built against.
const goXLAVersion = "v0.1.4"

// pjrtHeader finds go-xla's pjrt_c_api.h in the Go module cache, for the
// go-xla version this binary was built with.
func pjrtHeader() (string, error) {
	version := goXLAVersion
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/gomlx/go-xla" && m.Version != "" && m.Version != "(devel)" {
				version = m.Version
			}
		}
	}
	var roots []string
	if r := os.Getenv("GOMODCACHE"); r != "" {
		roots = append(roots, r)
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		roots = append(roots, strings.TrimSpace(string(out)))
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		roots = append(roots, filepath.Join(gp, "pkg", "mod"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, "go", "pkg", "mod"))
	}
	for _, r := range roots {
		p := filepath.Join(r, "github.com", "gomlx", "go-xla@"+version, "pkg", "pjrt", "pjrt_c_api.h")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("go-xla %s's pjrt_c_api.h is not in the Go module cache (looked in %s)", version, strings.Join(roots, ", "))
}

// CompileCacheStats are the compilations a process served from the
// persistent cache (Hits), compiled and stored (Misses), and could not
// store (Failures).
type CompileCacheStats struct {
	Hits, Misses, Failures int64
}

// CacheStats returns the persistent compile cache's counts for this
// process, and false when it is not in use.
func CacheStats() (CompileCacheStats, bool) {
	pluginsMu.Lock()
	defer pluginsMu.Unlock()
	for _, p := range plugins {
		if !strings.Contains(p, "pjrt-cache") {
			continue
		}
		cp := C.CString(p)
		defer C.free(unsafe.Pointer(cp))
		var h, m, f C.int64_t
		if C.w2s_cache_stats(cp, &h, &m, &f) == 0 {
			return CompileCacheStats{Hits: int64(h), Misses: int64(m), Failures: int64(f)}, true
		}
	}
	return CompileCacheStats{}, false
}

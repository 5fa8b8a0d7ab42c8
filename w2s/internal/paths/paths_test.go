package paths

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRelativeDataHint(t *testing.T) {
	t.Setenv("W2S_DATA", "../shared/data")
	if h := RelativeDataHint(); !strings.Contains(h, "relative") || !strings.Contains(h, "$PWD/../shared/data") {
		t.Errorf("relative W2S_DATA: hint %q", h)
	}
	t.Setenv("W2S_DATA", "/abs/data")
	if h := RelativeDataHint(); h != "" {
		t.Errorf("absolute W2S_DATA: hint %q", h)
	}
}

// TestRelativeCacheIsMadeAbsolute: a relative $W2S_CACHE was used as is,
// so each working folder had a cache of its own.
func TestRelativeCacheIsMadeAbsolute(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("W2S_CACHE", "rel/cache")
	want := filepath.Join(dir, "rel", "cache")
	if got := Cache(); got != want {
		t.Errorf("Cache() = %q, want %q", got, want)
	}
	if err := AbsoluteCacheEnv(); err != nil || os.Getenv("W2S_CACHE") != want {
		t.Errorf("AbsoluteCacheEnv: %v, W2S_CACHE=%s", err, os.Getenv("W2S_CACHE"))
	}
	t.Chdir(t.TempDir())
	if got := Cache(); got != want {
		t.Errorf("after a change of folder Cache() = %q, want %q", got, want)
	}
}

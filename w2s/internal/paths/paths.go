// Package paths says where the toolkit reads data and keeps its cache.
package paths

import (
	"fmt"
	"os"
	"path/filepath"
)

// Cache is the folder for downloads, built models and stored artifacts:
// $W2S_CACHE, else the user cache folder's w2s (~/.cache/w2s on Linux).
// A relative $W2S_CACHE is made absolute against the working folder, so
// every path derived from it (stage keys' checksums, Slurm scripts, lock
// files) names the same folder from anywhere; AbsoluteCacheEnv fixes it for
// the whole process.
func Cache() string {
	if d := os.Getenv("W2S_CACHE"); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			return abs
		}
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "w2s")
	}
	return filepath.Join(os.TempDir(), "w2s-cache")
}

// AbsoluteCacheEnv sets a relative $W2S_CACHE to its absolute path, as a
// program's first step: a later change of working folder, or a process it
// starts elsewhere, then uses the same cache.
func AbsoluteCacheEnv() error {
	d := os.Getenv("W2S_CACHE")
	if d == "" || filepath.IsAbs(d) {
		return nil
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		return fmt.Errorf("W2S_CACHE=%s: %w", d, err)
	}
	return os.Setenv("W2S_CACHE", abs)
}

// Data lists the folders searched for datasets, in order: $W2S_DATA, then
// the cache's data folder (where downloads land).
func Data() []string {
	var out []string
	if d := os.Getenv("W2S_DATA"); d != "" {
		out = append(out, d)
	}
	return append(out, filepath.Join(Cache(), "data"))
}

// RelativeDataHint explains, for error messages, a relative $W2S_DATA:
// it is read from the current folder, which go test sets to each package's
// folder and the notebook kernel to a temporary one. Empty otherwise.
func RelativeDataHint() string {
	d := os.Getenv("W2S_DATA")
	if d == "" || filepath.IsAbs(d) {
		return ""
	}
	wd, _ := os.Getwd()
	return fmt.Sprintf(" (W2S_DATA=%s is relative, here to %s; give an absolute path, e.g. W2S_DATA=$PWD/%s)", d, wd, d)
}

// FindData returns the first existing path rel under the data folders.
func FindData(rel string) (string, bool) {
	for _, d := range Data() {
		p := filepath.Join(d, rel)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// Venv is the Python virtual environment kernel/setup installs XLA's PJRT
// plugins (and, for tests and benchmarks, PyTorch and transformers) into:
// $W2S_VENV, else the user cache folder's w2s/venv (~/.cache/w2s/venv on
// Linux). It does not follow $W2S_CACHE, so the artifact caches of CI and of
// experiments share one installation.
func Venv() string {
	if d := os.Getenv("W2S_VENV"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "w2s", "venv")
	}
	return filepath.Join(os.TempDir(), "w2s-venv")
}

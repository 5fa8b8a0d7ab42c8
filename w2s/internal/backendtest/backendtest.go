// Package backendtest runs a test on every backend this machine has: the
// pure-Go backend always, and XLA's CPU plugin when it is installed, so the
// pure-Go path stays covered while the default backend is XLA.
package backendtest

import (
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

var (
	once   sync.Once
	goB    backends.Backend
	xlaB   backends.Backend
	goErr  error
	xlaErr error
)

func open() {
	goB, goErr = backend.New("go")
	if plugin, _ := backend.FindCPUPlugin(); plugin != "" {
		xlaB, xlaErr = backend.New("xla:cpu")
	}
}

// Go returns the process's pure-Go backend.
func Go(t testing.TB) backends.Backend {
	t.Helper()
	once.Do(open)
	if goErr != nil {
		t.Fatal(goErr)
	}
	return goB
}

// XLA returns the process's XLA CPU backend, or skips t when the plugin is
// not installed — unless $W2S_REQUIRE_XLA is set (CI), where t fails.
func XLA(t testing.TB) backends.Backend {
	t.Helper()
	once.Do(open)
	switch {
	case xlaErr != nil:
		t.Fatal(xlaErr)
	}
	testgate.Require(t, testgate.XLA, xlaB != nil, "XLA's CPU plugin is not installed (kernel/setup installs it)")
	return xlaB
}

// Each runs f as a subtest "go" on the pure-Go backend and "xla" on XLA's
// CPU plugin (skipped, or failed under $W2S_REQUIRE_XLA, without it).
func Each(t *testing.T, f func(t *testing.T, b backends.Backend)) {
	t.Run("go", func(t *testing.T) { f(t, Go(t)) })
	t.Run("xla", func(t *testing.T) { f(t, XLA(t)) })
}

// Package testgate gates the project's tests, in two ways.
//
// Tiers: `go test ./...` runs the unit tests, in minutes; a test that
// takes long (a notebook executed, a sweep on Slurm, models trained end to
// end) calls Integration and runs only when $W2S_INTEGRATION is set, as
// CI and the README's test command set it.
//
// Requirements: a test that needs what a machine may lack (the shared
// data, XLA's CPU plugin, transformers, the notebooks' kernel, a Slurm
// cluster) calls Require, which skips it with the reason, or fails it when
// $W2S_REQUIRE_<NAME> is set (CI sets them all), so that a package cannot
// print "ok" without having run it.
package testgate

import (
	"os"
	"testing"
)

// IntegrationEnv turns the integration tier on when set (to anything but
// "" or "0").
const IntegrationEnv = "W2S_INTEGRATION"

// What a test may require; each is gated by $W2S_REQUIRE_<NAME>.
const (
	Data         = "DATA"         // the shared datasets ($W2S_DATA)
	XLA          = "XLA"          // XLA's CPU plugin (kernel/setup)
	Transformers = "TRANSFORMERS" // PyTorch and transformers in the venv (kernel/setup --torch)
	Notebooks    = "NOTEBOOKS"    // jupyter and the "Go (w2s)" kernel of this checkout
	Slurm        = "SLURM"        // a Slurm cluster answering sinfo
)

func set(name string) bool {
	v := os.Getenv(name)
	return v != "" && v != "0"
}

// Integration skips t, saying why it is slow, unless $W2S_INTEGRATION is
// set.
func Integration(t testing.TB, why string) {
	t.Helper()
	if !set(IntegrationEnv) {
		t.Skipf("integration tier (%s): runs with %s=1", why, IntegrationEnv)
	}
}

// Require does nothing when have is true; otherwise it skips t with why,
// or fails it when $W2S_REQUIRE_<what> is set.
func Require(t testing.TB, what string, have bool, why string) {
	t.Helper()
	if have {
		return
	}
	if env := "W2S_REQUIRE_" + what; set(env) {
		t.Fatalf("%s; %s forbids skipping this test", why, env)
	}
	t.Skip(why)
}

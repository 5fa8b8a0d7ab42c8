// Package datatest gates the tests that read the shared datasets: they
// run when $W2S_DATA names the data folder, skip with a message saying so
// otherwise, and fail instead of skipping when $W2S_REQUIRE_DATA is set (as
// CI sets it), so a package cannot print "ok" without having run them.
package datatest

import (
	"os"
	"testing"
)

// Require returns the data folder, or skips (fails under
// $W2S_REQUIRE_DATA) when $W2S_DATA is not set.
func Require(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("W2S_DATA")
	if dir != "" {
		return dir
	}
	const msg = "W2S_DATA is not set: this test reads the shared datasets (W2S_DATA=$PWD/../shared/data go test ./...)"
	if os.Getenv("W2S_REQUIRE_DATA") != "" {
		t.Fatal(msg + "; W2S_REQUIRE_DATA forbids skipping it")
	}
	t.Skip(msg)
	return ""
}

// Package datatest gates the tests that read the shared datasets: they
// run when $W2S_DATA names the data folder, skip with a message saying so
// otherwise, and fail instead of skipping when $W2S_REQUIRE_DATA is set (as
// CI sets it), so a package cannot print "ok" without having run them.
package datatest

import (
	"os"
	"testing"

	"github.com/w2s-lab/w2s/w2s/testgate"
)

// Require returns the data folder, or skips (fails under
// $W2S_REQUIRE_DATA) when $W2S_DATA is not set.
func Require(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("W2S_DATA")
	testgate.Require(t, testgate.Data, dir != "", "W2S_DATA is not set: this test reads the shared datasets (W2S_DATA=$PWD/../shared/data go test ./...)")
	return dir
}

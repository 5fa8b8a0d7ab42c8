// Package kernel checks the notebook tooling. The tools themselves are two
// scripts beside this file:
//
//	kernel/setup   installs Jupyter (Debian packages), builds GoNB and
//	               goimports, and registers the "Go (w2s)" kernel
//	kernel/run     executes notebooks headless at a scale, saves them with
//	               outputs, exports HTML and reports the time of each
//
// The tests execute every notebook at scale ci in the integration tier
// (W2S_INTEGRATION=1) when the kernel is set up (and fail instead of
// skipping when W2S_REQUIRE_NOTEBOOKS=1, as in CI), and check the
// committed notebooks carry their outputs.
package kernel

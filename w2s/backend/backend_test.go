package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpecPrecedence(t *testing.T) {
	t.Setenv("W2S_BACKEND", "")
	t.Setenv("GOMLX_BACKEND", "")
	if s := Spec(""); s != "cpu" {
		t.Errorf("default spec %q, want cpu", s)
	}
	t.Setenv("GOMLX_BACKEND", "go:ops_sequential")
	if s := Spec(""); s != "go:ops_sequential" {
		t.Errorf("spec %q, want GOMLX_BACKEND's", s)
	}
	t.Setenv("W2S_BACKEND", "gpu")
	if s := Spec(""); s != "gpu" {
		t.Errorf("spec %q, want W2S_BACKEND's", s)
	}
	if s := Spec("cpu"); s != "cpu" {
		t.Errorf("explicit spec lost: %q", s)
	}
}

func TestCPUBackendOptions(t *testing.T) {
	for _, spec := range []string{"cpu", "go", "go:ops_sequential", "go:parallelism=2"} {
		b, err := New(spec)
		if err != nil {
			t.Fatalf("New(%q): %v", spec, err)
		}
		if b.String() != "go" {
			t.Errorf("New(%q) = %s backend", spec, b.String())
		}
	}
	if _, err := New("go:bogus"); err == nil {
		t.Error("unknown simplego option accepted")
	}
	if _, err := New("tpu"); err == nil || !strings.Contains(err.Error(), "unknown backend") {
		t.Errorf("New(tpu): %v", err)
	}
}

func TestFindCUDAPlugin(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", dir)
	if found, _ := FindCUDAPlugin(); found != "" && strings.HasPrefix(found, dir) {
		t.Fatalf("found %s in an empty folder", found)
	}
	// A JAX-style install under a virtual environment is found.
	venv := t.TempDir()
	plugin := filepath.Join(venv, "lib", "python3.12", "site-packages", "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	os.MkdirAll(filepath.Dir(plugin), 0o755)
	os.WriteFile(plugin, []byte("not really a plugin"), 0o644)
	t.Setenv("VIRTUAL_ENV", venv)
	if found, _ := FindCUDAPlugin(); found != plugin {
		t.Errorf("found %q, want %q", found, plugin)
	}
	// PJRT_PLUGIN_LIBRARY_PATH comes first.
	direct := filepath.Join(dir, "pjrt_c_api_cuda_plugin.so")
	os.WriteFile(direct, []byte("x"), 0o644)
	if found, _ := FindCUDAPlugin(); found != direct {
		t.Errorf("found %q, want %q", found, direct)
	}
}

func TestMissingPluginErrorListsSearchedPaths(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", dir)
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv("HOME", t.TempDir())
	_, err := New("gpu")
	if err == nil {
		t.Skip("a CUDA plugin is installed on this machine")
	}
	for _, want := range []string{"no CUDA PJRT plugin found", dir, "jax_plugins"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	_, err = New("xla:/nonexistent/xla_cuda_plugin.so")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/xla_cuda_plugin.so") {
		t.Errorf("explicit missing plugin: %v", err)
	}
}

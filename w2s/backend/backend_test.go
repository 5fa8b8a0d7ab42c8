package backend

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
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

func TestGoBackendOptions(t *testing.T) {
	for _, spec := range []string{"go", "go:ops_sequential", "go:parallelism=2"} {
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
	if _, err := New("cpu:parallelism=2"); err == nil {
		t.Error("cpu with options accepted")
	}
}

// noPlugins points every plugin search at empty folders.
func noPlugins(t *testing.T) {
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("W2S_VENV", t.TempDir())
}

func TestCPUFallsBackToGoWithOneLine(t *testing.T) {
	if plugin, _ := FindCPUPlugin(); plugin != "" {
		// The real plugin may also sit in a system-wide Python; the search
		// below must not find it, or the fallback cannot be observed.
		t.Logf("plugin installed at %s", plugin)
	}
	noPlugins(t)
	if plugin, _ := FindCPUPlugin(); plugin != "" {
		t.Skipf("a system-wide XLA CPU plugin (%s) cannot be hidden", plugin)
	}
	var notices strings.Builder
	Notices, fallbackOnce = &notices, sync.Once{}
	defer func() { Notices = os.Stderr }()
	for range 2 {
		b, err := New("cpu")
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != "go" {
			t.Errorf("cpu without a plugin = %s backend, want go", b.String())
		}
	}
	lines := strings.Split(strings.TrimSpace(notices.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "kernel/setup") || !strings.Contains(lines[0], "pure-Go") {
		t.Errorf("fallback notice %q: want one line naming the pure-Go backend and kernel/setup", notices.String())
	}
	_, err := New("xla:cpu")
	if err == nil || !strings.Contains(err.Error(), "no XLA CPU plugin found") || !strings.Contains(err.Error(), "xla_cpu_pjrt.so") {
		t.Errorf("xla:cpu without a plugin: %v", err)
	}
}

func TestCPUIsXLAWhenInstalled(t *testing.T) {
	plugin, _ := FindCPUPlugin()
	if plugin == "" {
		t.Skip("XLA's CPU plugin is not installed (kernel/setup installs it); the fallback is tested above")
	}
	b, err := New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	info := Describe(b)
	if info.Backend != "xla" || info.Platform != "cpu" || info.Plugin != plugin {
		t.Errorf("cpu = %+v, want xla on cpu with %s", info, plugin)
	}
	if !strings.HasPrefix(info.PJRTVersion, "0.") || !strings.HasPrefix(info.PluginPackage, "xla-cpu-pjrt ") {
		t.Errorf("plugin version %q, package %q", info.PJRTVersion, info.PluginPackage)
	}
}

func TestFindCPUPluginInVenv(t *testing.T) {
	noPlugins(t)
	venv := os.Getenv("W2S_VENV")
	site := filepath.Join(venv, "lib", "python3.11", "site-packages")
	plugin := filepath.Join(site, "xla_plugins", "xla_cpu_pjrt", "xla_cpu_pjrt.so")
	os.MkdirAll(filepath.Dir(plugin), 0o755)
	os.WriteFile(plugin, []byte("not really a plugin"), 0o644)
	info := filepath.Join(site, "xla_cpu_pjrt-0.0.1.dist-info")
	os.MkdirAll(info, 0o755)
	os.WriteFile(filepath.Join(info, "METADATA"), []byte("Metadata-Version: 2.1\nName: xla_cpu_pjrt\nVersion: 0.0.1\n\nbody\n"), 0o644)
	os.WriteFile(filepath.Join(info, "RECORD"), []byte("xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so,sha256=x,1\n"), 0o644)
	if found, _ := FindCPUPlugin(); found != plugin {
		t.Fatalf("found %q, want %q", found, plugin)
	}
	if got := pluginPackage(plugin); got != "xla-cpu-pjrt 0.0.1" {
		t.Errorf("package %q, want xla-cpu-pjrt 0.0.1", got)
	}
	// PJRT_PLUGIN_LIBRARY_PATH comes first.
	direct := filepath.Join(os.Getenv("PJRT_PLUGIN_LIBRARY_PATH"), "pjrt_c_api_cpu_plugin.so")
	os.WriteFile(direct, []byte("x"), 0o644)
	if found, _ := FindCPUPlugin(); found != direct {
		t.Errorf("found %q, want %q", found, direct)
	}
	if got := pluginPackage(direct); got != "" {
		t.Errorf("a loose plugin file has package %q", got)
	}
}

func TestFindCUDAPlugin(t *testing.T) {
	noPlugins(t)
	dir := os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")
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
	noPlugins(t)
	dir := os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")
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

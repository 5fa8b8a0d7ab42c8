// Package backend chooses where GoMLX graphs run: GoMLX's pure-Go CPU backend
// by default, or the XLA backend with a CUDA PJRT plugin found on this
// machine. Nothing is ever downloaded.
//
// The choice comes from a spec string (a flag), else $W2S_BACKEND, else
// $GOMLX_BACKEND, else "cpu":
//
//	cpu, go, go:OPTIONS       the pure-Go backend (always with parallelism=-1,
//	                          which avoids the executor deadlock of v0.26.0)
//	gpu, cuda, xla, xla:cuda  XLA with a CUDA plugin searched for on disk
//	xla:/abs/plugin.so        XLA with exactly that plugin
package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/backends/xla"
)

// Spec returns the backend spec in effect: explicit if non-empty, else
// $W2S_BACKEND, else $GOMLX_BACKEND, else "cpu".
func Spec(explicit string) string {
	for _, s := range []string{explicit, os.Getenv("W2S_BACKEND"), os.Getenv("GOMLX_BACKEND")} {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return "cpu"
}

// New creates the backend named by spec (see the package comment).
func New(spec string) (backends.Backend, error) {
	name, config, _ := strings.Cut(Spec(spec), ":")
	switch strings.ToLower(name) {
	case "cpu", "go", "simplego":
		return newCPU(config)
	case "gpu", "cuda", "xla", "stablehlo":
		plugin := ""
		if filepath.IsAbs(config) || strings.HasSuffix(config, ".so") {
			plugin = config
		} else if config != "" && config != "cuda" {
			return nil, fmt.Errorf("backend %q: only the CUDA plugin is supported (use xla:cuda or xla:/abs/path/plugin.so)", spec)
		}
		return newXLA(plugin)
	default:
		return nil, fmt.Errorf("unknown backend %q: want cpu, go[:options], gpu, xla[:cuda|:/abs/plugin.so]", spec)
	}
}

var (
	defaultOnce    sync.Once
	defaultBackend backends.Backend
	defaultErr     error
)

// Default returns a process-wide backend made by New("") on first use.
// Creating an XLA client is expensive; share this one.
func Default() (backends.Backend, error) {
	defaultOnce.Do(func() { defaultBackend, defaultErr = New("") })
	return defaultBackend, defaultErr
}

// MustDefault is Default for programs and tests that cannot go on without it.
func MustDefault() backends.Backend {
	b, err := Default()
	if err != nil {
		panic(err)
	}
	return b
}

// cpuMu serialises creation of CPU backends: simplego announces its
// parallelism on standard output, which we silence while it is created.
var cpuMu sync.Mutex

func newCPU(config string) (backends.Backend, error) {
	var opts []string
	hasParallelism := false
	for _, o := range strings.Split(config, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if strings.HasPrefix(o, "parallelism=") {
			hasParallelism = true
		}
		opts = append(opts, o)
	}
	if !hasParallelism {
		opts = append(opts, "parallelism=-1")
	}
	cpuMu.Lock()
	defer cpuMu.Unlock()
	stdout := os.Stdout
	if devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stdout = devnull
		defer func() { os.Stdout = stdout; devnull.Close() }()
	}
	b, err := simplego.New(strings.Join(opts, ","))
	if err != nil {
		return nil, fmt.Errorf("cpu backend: %w", err)
	}
	return b, nil
}

var (
	pluginsMu sync.Mutex
	plugins   = map[backends.Backend]string{} // plugin path of each XLA backend made here
)

func newXLA(plugin string) (backends.Backend, error) {
	// Never let go-xla reach for the network, and keep its CUDA checks from
	// rewriting XLA_FLAGS with a wrong data directory.
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	os.Setenv("GOPJRT_CUDA_CHECKS", "0")
	if os.Getenv("XLA_FLAGS") == "" {
		if _, err := os.Stat("/usr/local/cuda"); err == nil {
			os.Setenv("XLA_FLAGS", "--xla_gpu_cuda_data_dir=/usr/local/cuda")
		}
	}
	if plugin == "" {
		found, searched := FindCUDAPlugin()
		if found == "" {
			return nil, fmt.Errorf("no CUDA PJRT plugin found; set GOMLX_BACKEND=xla:/abs/path/xla_cuda_plugin.so or PJRT_PLUGIN_LIBRARY_PATH. Searched:\n  %s",
				strings.Join(searched, "\n  "))
		}
		plugin = found
	} else if _, err := os.Stat(plugin); err != nil {
		return nil, fmt.Errorf("CUDA PJRT plugin %s: %w", plugin, err)
	}
	abs, err := filepath.Abs(plugin)
	if err != nil {
		return nil, err
	}
	b, err := xla.New(abs)
	if err != nil {
		return nil, fmt.Errorf("xla backend with plugin %s: %w", abs, err)
	}
	pluginsMu.Lock()
	plugins[b] = abs
	pluginsMu.Unlock()
	return b, nil
}

// FindCUDAPlugin looks for a CUDA PJRT plugin: first in the folders of
// $PJRT_PLUGIN_LIBRARY_PATH, then in JAX installs (site-packages or
// dist-packages folders holding jax_plugins/xla_cuda*/xla_cuda_plugin.so).
// It returns the first file found and every pattern it searched.
func FindCUDAPlugin() (found string, searched []string) {
	var patterns []string
	for _, dir := range filepath.SplitList(os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")) {
		if dir == "" {
			continue
		}
		patterns = append(patterns,
			filepath.Join(dir, "pjrt_c_api_cuda*_plugin.so"),
			filepath.Join(dir, "xla_cuda*_plugin.so"),
			filepath.Join(dir, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
	}
	var roots []string
	if v := os.Getenv("VIRTUAL_ENV"); v != "" {
		roots = append(roots, v)
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".local"))
	}
	roots = append(roots, "/opt/*/.venv", "/opt/*/venv", "/opt/conda", "/usr/local", "/usr")
	for _, root := range roots {
		for _, pkgs := range []string{"site-packages", "dist-packages"} {
			patterns = append(patterns, filepath.Join(root, "lib", "python3*", pkgs, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
		}
	}
	for _, p := range patterns {
		matches, _ := filepath.Glob(p)
		sort.Sort(sort.Reverse(sort.StringSlice(matches))) // newest CUDA first: xla_cuda13 before xla_cuda12
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && !st.IsDir() {
				return m, patterns
			}
		}
	}
	return "", patterns
}

// Info describes a backend for `w2s env` and for build records.
type Info struct {
	Backend  string // short name: "go" or "xla"
	Device   string // human description
	Plugin   string // PJRT plugin path, for XLA
	Devices  int
	GoMLX    string
	GoXLA    string
	Go       string
	OS       string
	CPUs     int // logical CPUs of the machine
	MaxProcs int // GOMAXPROCS: the threads Go runs on at once
}

// Describe reports what b is and the versions around it.
func Describe(b backends.Backend) Info {
	info := Info{
		Backend:  b.String(),
		Device:   b.Description(),
		Devices:  b.NumDevices(),
		Go:       runtime.Version(),
		OS:       runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:     runtime.NumCPU(),
		MaxProcs: runtime.GOMAXPROCS(0),
		GoMLX:    moduleVersion("github.com/gomlx/gomlx"),
		GoXLA:    moduleVersion("github.com/gomlx/go-xla"),
	}
	pluginsMu.Lock()
	info.Plugin = plugins[b]
	pluginsMu.Unlock()
	if info.Plugin != "" && info.Devices > 0 {
		info.Device = b.DeviceDescription(0)
	}
	return info
}

func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, m := range bi.Deps {
		if m.Path == path {
			if m.Replace != nil {
				return m.Replace.Version
			}
			return m.Version
		}
	}
	return "unknown"
}

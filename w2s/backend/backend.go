// Package backend chooses where GoMLX graphs run: XLA's CPU plugin by
// default (installed by kernel/setup from PyPI), GoMLX's pure-Go backend
// when asked for or when the plugin is missing, or XLA with a CUDA plugin.
// Nothing is ever downloaded here.
//
// The choice comes from a spec string (a flag), else $W2S_BACKEND, else
// $GOMLX_BACKEND, else "cpu":
//
//	cpu                       XLA's CPU plugin when one is found (see
//	                          FindCPUPlugin), else the pure-Go backend, with
//	                          one line on standard error saying so
//	xla:cpu                   XLA's CPU plugin, or an error
//	go, go:OPTIONS            the pure-Go backend (always with parallelism=-1,
//	                          which avoids the executor deadlock of v0.26.0)
//	gpu, cuda, xla, xla:cuda  XLA with a CUDA plugin searched for on disk
//	xla:/abs/plugin.so        XLA with exactly that plugin
package backend

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/gomlx/go-xla/pkg/pjrt"
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

// Notices receives the one line printed when "cpu" falls back to the
// pure-Go backend. Tests and embedding programs may redirect it.
var Notices io.Writer = os.Stderr

var fallbackOnce sync.Once

// New creates the backend named by spec (see the package comment).
func New(spec string) (backends.Backend, error) {
	spec = Spec(spec)
	name, config, _ := strings.Cut(spec, ":")
	switch strings.ToLower(name) {
	case "cpu":
		if config != "" {
			return nil, fmt.Errorf("backend %q: cpu takes no options (use go:OPTIONS for the pure-Go backend)", spec)
		}
		if plugin, _ := FindCPUPlugin(); plugin != "" {
			return newXLA(plugin)
		}
		fallbackOnce.Do(func() {
			fmt.Fprintf(Notices, "w2s: XLA's CPU plugin is not installed, so the pure-Go backend runs (about 10× slower); run kernel/setup to install it, or set W2S_BACKEND=go to choose pure Go and silence this line\n")
		})
		return newGo("")
	case "go", "simplego":
		return newGo(config)
	case "gpu", "cuda", "xla", "stablehlo":
		switch {
		case filepath.IsAbs(config) || strings.HasSuffix(config, ".so"):
			return newXLA(config)
		case strings.EqualFold(config, "cpu"):
			plugin, searched := FindCPUPlugin()
			if plugin == "" {
				return nil, fmt.Errorf("no XLA CPU plugin found; run kernel/setup (it installs xla-cpu-pjrt into %s), or set W2S_BACKEND=xla:/abs/path/plugin.so. Searched:\n  %s",
					Venv(), strings.Join(searched, "\n  "))
			}
			return newXLA(plugin)
		case config == "" || strings.EqualFold(config, "cuda"):
			plugin, searched := FindCUDAPlugin()
			if plugin == "" {
				return nil, fmt.Errorf("no CUDA PJRT plugin found; run kernel/setup --gpu, or set W2S_BACKEND=xla:/abs/path/xla_cuda_plugin.so or PJRT_PLUGIN_LIBRARY_PATH. Searched:\n  %s",
					strings.Join(searched, "\n  "))
			}
			return newXLA(plugin)
		default:
			return nil, fmt.Errorf("backend %q: want xla:cpu, xla:cuda or xla:/abs/path/plugin.so", spec)
		}
	default:
		return nil, fmt.Errorf("unknown backend %q: want cpu, go[:options], xla:cpu, gpu, xla[:cuda|:/abs/plugin.so]", spec)
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

// goMu serialises creation of pure-Go backends: simplego announces its
// parallelism on standard output, which we silence while it is created.
var goMu sync.Mutex

func newGo(config string) (backends.Backend, error) {
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
	goMu.Lock()
	defer goMu.Unlock()
	stdout := os.Stdout
	if devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stdout = devnull
		defer func() { os.Stdout = stdout; devnull.Close() }()
	}
	b, err := simplego.New(strings.Join(opts, ","))
	if err != nil {
		return nil, fmt.Errorf("go backend: %w", err)
	}
	return &timed{b}, nil
}

var (
	pluginsMu sync.Mutex
	plugins   = map[backends.Backend]string{} // plugin path each XLA backend made here loaded
	realOf    = map[backends.Backend]string{} // the real plugin, where a wrapper was loaded
	cacheNote = map[backends.Backend]string{} // why the compile cache is off, if it is
)

func newXLA(plugin string) (backends.Backend, error) {
	// Never let go-xla reach for the network, and keep its CUDA checks from
	// rewriting XLA_FLAGS with a wrong data directory.
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	os.Setenv("GOPJRT_CUDA_CHECKS", "0")
	if _, err := os.Stat(plugin); err != nil {
		return nil, fmt.Errorf("PJRT plugin %s: %w", plugin, err)
	}
	abs, err := filepath.Abs(plugin)
	if err != nil {
		return nil, err
	}
	cpu := isCPUPlugin(abs)
	if !cpu && os.Getenv("XLA_FLAGS") == "" {
		if dir := cudaDataDir(abs); dir != "" {
			os.Setenv("XLA_FLAGS", "--xla_gpu_cuda_data_dir="+dir)
		}
	}
	load, note := abs, ""
	if cpu {
		// Compiled executables persist across processes (compilecache.go).
		if wrapper, err := cachingPlugin(abs); err == nil {
			load = wrapper
		} else {
			note = err.Error()
		}
	}
	config := load
	if cpu {
		// Host buffers can be shared with the CPU device instead of copied.
		config += ",shared_buffers"
	}
	x, err := xla.New(config)
	if err != nil {
		return nil, fmt.Errorf("xla backend with plugin %s: %w", abs, err)
	}
	b := &timed{x}
	pluginsMu.Lock()
	plugins[b], realOf[b], cacheNote[b] = load, abs, note
	pluginsMu.Unlock()
	return b, nil
}

// cudaDataDir is where XLA finds ptxas and libdevice for a CUDA plugin:
// the NVIDIA wheels beside a pip-installed plugin (site-packages/nvidia/cu13,
// as kernel/setup --gpu installs them), else /usr/local/cuda; "" if neither.
func cudaDataDir(plugin string) string {
	site := filepath.Dir(filepath.Dir(filepath.Dir(plugin))) // …/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so
	for _, dir := range []string{filepath.Join(site, "nvidia", "cu13"), "/usr/local/cuda"} {
		if _, err := os.Stat(filepath.Join(dir, "bin", "ptxas")); err == nil {
			return dir
		}
	}
	if _, err := os.Stat("/usr/local/cuda"); err == nil {
		return "/usr/local/cuda"
	}
	return ""
}

// isCPUPlugin tells a CPU plugin from a GPU one by its file name.
func isCPUPlugin(path string) bool {
	base := strings.ToLower(filepath.Base(path))
	return strings.Contains(base, "cpu")
}

// Info describes a backend for `w2s env`, notebooks and build records.
type Info struct {
	Backend       string // short name: "go" or "xla"
	Platform      string // "go", "cpu" or "cuda"
	Device        string // human description
	Plugin        string // PJRT plugin path, for XLA
	PluginPackage string // the Python package that installed the plugin, with its version ("xla-cpu-pjrt 0.0.1")
	// CompileCache is where compiled executables persist across processes
	// ("" when they do not), or why not.
	CompileCache string
	PJRTVersion  string // the PJRT C API version the plugin reports ("0.81")
	Devices      int
	Threads      string // who runs the work, and on how many threads
	GoMLX        string
	GoXLA        string
	Go           string
	OS           string
	CPUs         int // logical CPUs of the machine
	MaxProcs     int // GOMAXPROCS: the threads Go runs on at once
}

// Describe reports what b is and the versions around it.
func Describe(b backends.Backend) Info {
	info := Info{
		Backend:  b.String(),
		Platform: "go",
		Device:   b.Description(),
		Devices:  b.NumDevices(),
		Go:       runtime.Version(),
		OS:       runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:     runtime.NumCPU(),
		MaxProcs: runtime.GOMAXPROCS(0),
		GoMLX:    moduleVersion("github.com/gomlx/gomlx"),
		GoXLA:    moduleVersion("github.com/gomlx/go-xla"),
	}
	info.Threads = fmt.Sprintf("Go: GOMAXPROCS=%d of %d CPUs", info.MaxProcs, info.CPUs)
	pluginsMu.Lock()
	loaded, note := plugins[b], cacheNote[b]
	info.Plugin = realOf[b]
	pluginsMu.Unlock()
	if info.Plugin == "" {
		return info
	}
	if loaded != info.Plugin {
		info.CompileCache = CompileCacheDir()
	} else if note != "" {
		info.CompileCache = "off: " + note
	}
	info.Platform = "cuda"
	if isCPUPlugin(info.Plugin) {
		info.Platform = "cpu"
		info.Threads = fmt.Sprintf("XLA's own thread pool, one thread per CPU (%d); Go: GOMAXPROCS=%d", info.CPUs, info.MaxProcs)
	}
	if info.Devices > 0 {
		info.Device = b.DeviceDescription(0)
	}
	if p, err := pjrt.GetPlugin(loaded); err == nil { // the loaded singleton
		major, minor := p.Version()
		info.PJRTVersion = fmt.Sprintf("%d.%d", major, minor)
	}
	info.PluginPackage = pluginPackage(info.Plugin)
	return info
}

// Label names the backend in one line, as stored artifacts and results
// record what computed them: the backend and platform, for XLA the PJRT
// plugin (package and version, C API version, path), and GoMLX's version,
// e.g. "xla on cpu with xla-cpu-pjrt 0.0.1 (PJRT C API 0.81) at
// /…/xla_cpu_pjrt.so, GoMLX v0.26.0" or "go on go, GoMLX v0.26.0". Results
// of different labels may differ in their last bits.
func (i Info) Label() string {
	s := i.Backend + " on " + i.Platform
	if i.Plugin != "" {
		pkg := i.PluginPackage
		if pkg == "" {
			pkg = "a plugin of no known package"
		}
		s += fmt.Sprintf(" with %s (PJRT C API %s) at %s", pkg, i.PJRTVersion, i.Plugin)
	}
	return s + ", GoMLX " + i.GoMLX
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

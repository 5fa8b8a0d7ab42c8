package backend

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/w2s-lab/w2s/w2s/internal/paths"
)

// Venv is where kernel/setup installs the plugins (see paths.Venv).
func Venv() string { return paths.Venv() }

// sitePackages lists the site-packages (and dist-packages) folders of the
// Python environments a plugin may be installed in: the project's own
// (Venv), $VIRTUAL_ENV, ~/.local, then system-wide ones. Entries are glob
// patterns.
func sitePackages() []string {
	roots := []string{Venv()}
	if v := os.Getenv("VIRTUAL_ENV"); v != "" {
		roots = append(roots, v)
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".local"))
	}
	roots = append(roots, "/opt/*/.venv", "/opt/*/venv", "/opt/conda", "/usr/local", "/usr")
	var out []string
	for _, root := range roots {
		for _, pkgs := range []string{"site-packages", "dist-packages"} {
			out = append(out, filepath.Join(root, "lib", "python3*", pkgs))
		}
	}
	return out
}

// FindCPUPlugin looks for XLA's CPU PJRT plugin: first in the folders of
// $PJRT_PLUGIN_LIBRARY_PATH (pjrt_c_api_cpu_plugin.so, xla_cpu_pjrt.so),
// then as the PyPI package xla-cpu-pjrt in the Python environments of
// sitePackages. It returns the first file found and every pattern searched.
func FindCPUPlugin() (found string, searched []string) {
	var patterns []string
	for _, dir := range pluginPathDirs() {
		patterns = append(patterns,
			filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"),
			filepath.Join(dir, "xla_cpu_pjrt.so"),
			filepath.Join(dir, "xla_plugins", "xla_cpu_pjrt", "xla_cpu_pjrt.so"))
	}
	for _, site := range sitePackages() {
		patterns = append(patterns, filepath.Join(site, "xla_plugins", "xla_cpu_pjrt", "xla_cpu_pjrt.so"))
	}
	return firstFile(patterns), patterns
}

// FindCUDAPlugin looks for a CUDA PJRT plugin: first in the folders of
// $PJRT_PLUGIN_LIBRARY_PATH, then in JAX installs (jax_plugins/xla_cuda*/
// xla_cuda_plugin.so, as the PyPI packages jax-cuda13-pjrt and
// jax-cuda12-pjrt lay it out) in the environments of sitePackages. It
// returns the first file found and every pattern searched.
func FindCUDAPlugin() (found string, searched []string) {
	var patterns []string
	for _, dir := range pluginPathDirs() {
		patterns = append(patterns,
			filepath.Join(dir, "pjrt_c_api_cuda*_plugin.so"),
			filepath.Join(dir, "xla_cuda*_plugin.so"),
			filepath.Join(dir, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
	}
	for _, site := range sitePackages() {
		patterns = append(patterns, filepath.Join(site, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
	}
	return firstFile(patterns), patterns
}

func pluginPathDirs() []string {
	var out []string
	for _, dir := range filepath.SplitList(os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")) {
		if dir != "" {
			out = append(out, dir)
		}
	}
	return out
}

// firstFile returns the first regular file matching the patterns in order;
// within one pattern the names sorting last come first (xla_cuda13 before
// xla_cuda12, python3.12 before python3.11).
func firstFile(patterns []string) string {
	for _, p := range patterns {
		matches, _ := filepath.Glob(p)
		sort.Sort(sort.Reverse(sort.StringSlice(matches)))
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
				return m
			}
		}
	}
	return ""
}

// pluginPackage names the Python package (and version) that installed a
// plugin file, from the RECORD of a *.dist-info folder up to three levels
// above it; "" when the file came from no package.
func pluginPackage(plugin string) string {
	dir := filepath.Dir(plugin)
	for range 3 {
		dir = filepath.Dir(dir)
		rel, err := filepath.Rel(dir, plugin)
		if err != nil {
			return ""
		}
		infos, _ := filepath.Glob(filepath.Join(dir, "*.dist-info"))
		for _, info := range infos {
			if recordLists(filepath.Join(info, "RECORD"), filepath.ToSlash(rel)) {
				return metadataNameVersion(filepath.Join(info, "METADATA"))
			}
		}
	}
	return ""
}

func recordLists(record, rel string) bool {
	f, err := os.Open(record)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, _, _ := strings.Cut(sc.Text(), ","); name == rel {
			return true
		}
	}
	return false
}

func metadataNameVersion(metadata string) string {
	f, err := os.Open(metadata)
	if err != nil {
		return ""
	}
	defer f.Close()
	var name, version string
	sc := bufio.NewScanner(f)
	for sc.Scan() && (name == "" || version == "") {
		line := sc.Text()
		if line == "" {
			break // end of the headers
		}
		if v, ok := strings.CutPrefix(line, "Name: "); ok {
			name = strings.ReplaceAll(strings.TrimSpace(v), "_", "-")
		} else if v, ok := strings.CutPrefix(line, "Version: "); ok {
			version = strings.TrimSpace(v)
		}
	}
	if name == "" {
		return ""
	}
	return strings.TrimSpace(name + " " + version)
}

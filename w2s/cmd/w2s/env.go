package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/gomlx/gomlx/backends"
	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
)

func envCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "env",
		Short: "Print the backend, device, plugin, versions, threads and folders in use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, spec, err := openBackend(cmd)
			if err != nil {
				return err
			}
			info := backend.Describe(b)
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			row := func(k, v string) { fmt.Fprintf(w, "%s\t%s\n", k, v) }
			row("backend", fmt.Sprintf("%s on %s (spec %q)", info.Backend, info.Platform, spec))
			row("device", info.Device)
			row("devices", fmt.Sprint(info.Devices))
			if info.Plugin == "" {
				row("pjrt plugin", "none (pure-Go backend)")
			} else {
				row("pjrt plugin", info.Plugin)
				row("plugin package", orUnknown(info.PluginPackage))
				row("pjrt c api", orUnknown(info.PJRTVersion)+" (go-xla "+info.GoXLA+" speaks 0.83)")
				if info.CompileCache != "" {
					row("compile cache", info.CompileCache)
				}
			}
			row("threads", info.Threads)
			row("python env", paths.Venv())
			row("go", info.Go+" "+info.OS)
			row("gomlx", info.GoMLX)
			row("go-xla", info.GoXLA)
			row("data folders", strings.Join(paths.Data(), ":"))
			row("cache", paths.Cache())
			if v := os.Getenv("GOMLX_BACKEND"); v != "" {
				row("GOMLX_BACKEND", v)
			}
			return w.Flush()
		},
	}
}

// openBackend creates the backend named by --backend (or the environment).
func openBackend(cmd *cobra.Command) (backends.Backend, string, error) {
	flag, _ := cmd.Flags().GetString("backend")
	spec := backend.Spec(flag)
	b, err := backend.New(spec)
	return b, spec, err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

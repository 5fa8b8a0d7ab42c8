package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/gomlx/gomlx/backends"
	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/paths"
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
			row("backend", fmt.Sprintf("%s (spec %q)", info.Backend, spec))
			row("device", info.Device)
			row("devices", fmt.Sprint(info.Devices))
			plugin := info.Plugin
			if plugin == "" {
				plugin = "none (pure-Go backend)"
			}
			row("pjrt plugin", plugin)
			row("threads", fmt.Sprintf("GOMAXPROCS=%d of %d CPUs", info.MaxProcs, info.CPUs))
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

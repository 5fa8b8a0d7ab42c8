package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/store"
)

func cacheCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cache", Short: "List, size and clean the artifact store"}
	cmd.AddCommand(cacheLsCmd(), cacheDuCmd(), cacheGCCmd())
	return cmd
}

func cacheLsCmd() *cobra.Command {
	var kind string
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List stored artifacts (and leftovers of interrupted stages), with the backend that computed each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := store.Open("")
			if err != nil {
				return err
			}
			entries, err := st.List(kind)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "kind\tkey\tsize\tcreated\tstate\tbackend\tspec")
			plugins := map[string]string{} // label → plugin path
			for _, e := range entries {
				spec := string(e.Spec)
				if len(spec) > 100 {
					spec = spec[:100] + "…"
				}
				made := e.Backend
				if !e.Leftover && e.Err == nil && made == "" {
					made = stage.NotRecorded
				}
				made, plugin := withoutPluginPath(made)
				if plugin != "" {
					plugins[made] = plugin
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Kind, e.Key, humanize.IBytes(uint64(e.Bytes)), e.Created.Format(time.DateTime), e.State(), made, spec)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, made := range slices.Sorted(maps.Keys(plugins)) {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: plugin %s\n", made, plugins[made])
			}
			return nil
		},
	}
	ls.Flags().StringVar(&kind, "kind", "", "only this kind (features, trained, predictions)")
	return ls
}

// withoutPluginPath splits the PJRT plugin's path off a backend label
// (backend.Info.Label: "… at /path/plugin.so, GoMLX …"), so that listings
// show it once, below the table.
func withoutPluginPath(label string) (shown, plugin string) {
	at := strings.Index(label, " at /")
	end := strings.LastIndex(label, ", GoMLX ")
	if at < 0 || end < at {
		return label, ""
	}
	return label[:at] + label[end:], label[at+len(" at ") : end]
}

func cacheDuCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "du",
		Short: "Disk use of the artifact store, per kind",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := store.Open("")
			if err != nil {
				return err
			}
			u, err := st.DiskUsage()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
			for _, k := range u.Kinds {
				fmt.Fprintf(tw, "%s\t%d artifacts\t%s\t\n", k.Kind, k.Count, humanize.IBytes(uint64(k.Bytes)))
			}
			fmt.Fprintf(tw, "total\t%d artifacts\t%s\t\n", u.Count, humanize.IBytes(uint64(u.Bytes)))
			fmt.Fprintf(tw, "store\t%s\t\t\n", st.Root)
			return tw.Flush()
		},
	}
}

func cacheGCCmd() *cobra.Command {
	var olderThan time.Duration
	gc := &cobra.Command{
		Use:   "gc",
		Short: "Remove corrupt artifacts, leftovers of interrupted stages, and (with --older-than) old artifacts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			age := store.KeepFinished
			if cmd.Flags().Changed("older-than") {
				if olderThan < 0 {
					return fmt.Errorf("--older-than %s: want a duration of 0 or more (0: every artifact not in use)", olderThan)
				}
				age = olderThan
			}
			st, err := store.Open("")
			if err != nil {
				return err
			}
			removed, inUse, err := st.GC(age)
			for _, e := range removed {
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s/%s (%s)\n", e.Kind, e.Key, humanize.IBytes(uint64(e.Bytes)))
			}
			for _, e := range inUse {
				fmt.Fprintf(cmd.OutOrStdout(), "kept %s/%s: in use by a running process\n", e.Kind, e.Key)
			}
			freed := store.Summarize(removed).Bytes
			fmt.Fprintf(cmd.OutOrStdout(), "%d removed, %s freed, %d in use kept\n", len(removed), humanize.IBytes(uint64(freed)), len(inUse))
			return err
		},
	}
	gc.Flags().DurationVar(&olderThan, "older-than", 0, "also remove the artifacts created longer ago than this (e.g. 720h; 0s: every artifact not in use)")
	return gc
}

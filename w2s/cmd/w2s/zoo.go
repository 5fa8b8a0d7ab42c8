package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/w2s-lab/w2s/w2s"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/ladder"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

func zooCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zoo",
		Short: "Build, list and verify the ladder of pretrained models",
	}
	var scale string
	cmd.PersistentFlags().StringVar(&scale, "scale", "", "ci, cpu or gpu (default $W2S_SCALE, else cpu)")
	cmd.AddCommand(zooBuildCmd(&scale), zooListCmd(&scale), zooVerifyCmd(&scale), zooProbeCmd(&scale), zooExploreCmd(&scale), zooCeilingsCmd(&scale))
	return cmd
}

// zooCeilingsCmd measures what the ladder shows on tasks: every rung
// finetuned on gold labels, over seeds, beside the majority class.
func zooCeilingsCmd(scale *string) *cobra.Command {
	var f experimentFlags
	var models []string
	cmd := &cobra.Command{
		Use:   "ceilings",
		Short: "Every rung finetuned on gold labels of each --task, over seeds: test accuracy with its interval beside the majority class",
		Long: `Trains (or reads from the store) the gold-trained ceiling of every ladder
model on each task of --task (comma-separated) under every seed — the same
stage every sweep's ceilings are — and prints one row per task: always
answering the majority class, each rung's test accuracy over all test rows
and seeds with its 95% interval, the span from the bottom rung to the top
with its paired interval, and whether the ladder learns the task (some rung
beats the majority class by 3 standard errors). Neighbouring rungs whose
accuracy falls by more than one standard error are listed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.scale == "" {
				f.scale = *scale
			}
			sess, err := f.setup(cmd)
			if err != nil {
				return err
			}
			if len(models) == 0 {
				models = sess.Ladder()
			}
			for i, m := range models {
				models[i] = f.model(m)
			}
			var lcs []*analysis.LadderCeilings
			for _, task := range strings.Split(f.task, ",") {
				rs, err := sess.Runners(task, f.seedList(sess.Budget)...)
				if err != nil {
					return err
				}
				lc, err := analysis.RunLadderCeilings(cmd.Context(), rs, models)
				if err != nil {
					return err
				}
				lcs = append(lcs, lc)
			}
			if f.out != "" {
				if err := os.MkdirAll(f.out, 0o755); err != nil {
					return err
				}
				if err := analysis.WriteCeilings(filepath.Join(f.out, "ceilings.json"), lcs); err != nil {
					return err
				}
			}
			return analysis.CeilingsTable(lcs).WriteText(cmd.OutOrStdout())
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&f.out, "out", "", "also write the ceilings as JSON into <out>/ceilings.json")
	cmd.Flags().StringSliceVar(&models, "models", nil, "models from weakest to strongest (default: every rung of the scale's ladder)")
	return cmd
}

// terminalProgress shows the progress of each model's training on the
// terminal.
func terminalProgress(desc string) train.Progress { return w2s.TerminalProgress(os.Stderr, desc) }

func zooBuildCmd(scale *string) *cobra.Command {
	var out string
	var sizes []string
	build := &cobra.Command{
		Use:   "build",
		Short: "Pretrain the ladder of a scale (resumes after an interrupt; finished sizes are skipped)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := zoo.GetScale(*scale)
			if err != nil {
				return err
			}
			b, _, err := openBackend(cmd)
			if err != nil {
				return err
			}
			if out == "" {
				out = zoo.BuildDir(s.Name)
			}
			start := time.Now()
			_, err = ladder.Build(cmd.Context(), s, ladder.BuildOptions{Out: out, Backend: b, Sizes: sizes, Log: cmd.ErrOrStderr(),
				Progress: terminalProgress})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ladder %s built in %s into %s\n\n", s.Name, time.Since(start).Round(time.Second), out)
			return printLadder(cmd.OutOrStdout(), cmd, s.Name, out)
		},
	}
	build.Flags().StringVar(&out, "out", "", "ladder folder (default: the cache's zoo/<scale>)")
	build.Flags().StringSliceVar(&sizes, "sizes", nil, "build only these sizes")
	return build
}

func zooListCmd(scale *string) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Print the ladder of a scale: parameters, tokens, validation loss, build time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printLadder(cmd.OutOrStdout(), cmd, *scale, "")
		},
	}
}

func zooVerifyCmd(scale *string) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check every model file of the ladder against its build record (the shipped ladder: the record compiled into this program)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ok, err := zoo.VerifyLadder(cmd.Context(), *scale)
			for _, e := range ok {
				fmt.Fprintf(cmd.OutOrStdout(), "ok  %-3s %s (%d files)\n", e.Size.Name, e.Dir, len(e.Record.Files))
			}
			return err
		},
	}
}

func zooProbeCmd(scale *string) *cobra.Command {
	var task string
	var pools []string
	var seeds []uint
	probe := &cobra.Command{
		Use:   "probe",
		Short: "Measure the ladder: validation loss beside n-gram baselines; linear probes on frozen features over seeds beside a TF-IDF baseline",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sess, err := newSession(cmd, *scale)
			if err != nil {
				return err
			}
			var ss []uint64
			for _, x := range seeds {
				ss = append(ss, uint64(x))
			}
			rep, err := analysis.ProbeBuiltLadder(cmd.Context(), sess, task, ss, pools)
			if err != nil {
				return err
			}
			return rep.Table().WriteText(cmd.OutOrStdout())
		},
	}
	probe.Flags().StringVar(&task, "task", "sst2", "task of the probes")
	probe.Flags().StringSliceVar(&pools, "pool", []string{"last", "mean"}, "features: the last real token (as the paper's head) and/or the mean over tokens")
	probe.Flags().UintSliceVar(&seeds, "seeds", []uint{0, 1, 2}, "split seeds (each a different draw of training rows)")
	return probe
}

func zooExploreCmd(scale *string) *cobra.Command {
	var flops float64
	var variants []string
	var base string
	explore := &cobra.Command{
		Use:   "explore",
		Short: "Choose a recipe by measurement: train variants (vocabulary, context, shape, learning rate) at equal compute, compare bits per byte",
		Long: `Trains each --variant for --flops training FLOPs on the scale's pretraining
corpus and prints validation loss and bits per byte on the same held-out
text. A variant is written as fields changing the base: "V2048" (vocabulary),
"T64" (context), "B16" (sequences per step), "L6 d96" (layers, width; heads default to width/32),
"h4" (heads), "lr0.01" (peak learning rate at width 128). Finished variants
are kept in the cache and skipped when asked again; an interrupted one
resumes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := zoo.GetScale(*scale)
			if err != nil {
				return err
			}
			b, _, err := openBackend(cmd)
			if err != nil {
				return err
			}
			vs, err := ladder.Variants(s, base, variants)
			if err != nil {
				return err
			}
			dir := ladder.ExploreDir(s.Name)
			res, err := ladder.Explore(cmd.Context(), s, vs, flops, dir, ladder.BuildOptions{Backend: b, Log: cmd.ErrOrStderr(),
				Progress: terminalProgress})
			if err != nil {
				return err
			}
			return printExplore(cmd.OutOrStdout(), s.Name, flops, dir, res)
		},
	}
	explore.Flags().Float64Var(&flops, "flops", 2e13, "training FLOPs per variant")
	explore.Flags().StringArrayVar(&variants, "variant", nil, "a variant (repeatable), e.g. \"V2048\" or \"L6 d96\"")
	explore.Flags().StringVar(&base, "base", "", "changes to the base variant (default: the scale's vocabulary, context, learning rate and middle size)")
	return explore
}

// printExplore prints the variants explored on a scale, each trained for
// flops training FLOPs, with results kept in dir.
func printExplore(w io.Writer, scale string, flops float64, dir string, res []ladder.ExploreResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "variant	non-emb params	params	tokens	valid loss	bits/byte	tokens/s	\n")
	for _, r := range res {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.4f\t%.4f\t%.0f\t\n", r.Name, r.NonEmbeddingParams, r.Params, r.Tokens, r.ValidLoss, r.ValidBitsPerByte, r.TokensPerSecond)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "each trained for %.3g FLOPs on scale %s's corpus; results in %s\n", flops, scale, dir)
	return nil
}

func printLadder(w io.Writer, cmd *cobra.Command, scale, dir string) error {
	s, err := zoo.GetScale(scale)
	if err != nil {
		return err
	}
	entries, err := zoo.List(cmd.Context(), s.Name, dir)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "model\tlayers\twidth\theads\tnon-emb params\tparams\ttokens\tcompute\tvalid loss\tbits/byte\tbuild time\tfolder\t\n")
	var lo, hi float64
	for _, e := range entries {
		name := zoo.Name(s.Name, e.Size.Name)
		if e.Record == nil {
			state := "not built"
			if e.Err != nil {
				state = "corrupt: see w2s zoo verify"
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\t\t%d\t\t%s\t\t\t\t\n", name, e.Size.Layers, e.Size.Width, e.Size.Heads, s.Tokens(e.Size), state)
			continue
		}
		r := e.Record
		c := r.Compute()
		if lo == 0 || c < lo {
			lo = c
		}
		hi = max(hi, c)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.2g\t%.4f\t%.3f\t%s\t%s\t\n", name, r.Layers, r.Width, r.Heads,
			r.NonEmbeddingParams, r.Params, r.Tokens, c, r.ValidLoss, r.ValidBitsPerByte,
			(time.Duration(r.WallSeconds) * time.Second).String(), relative(e.Dir))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if lo > 0 {
		_, err = fmt.Fprintf(w, "compute = non-embedding parameters × pretraining tokens; the built rungs span %.3g× (%.2g to %.2g)\n", hi/lo, lo, hi)
	}
	return err
}

func relative(dir string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, dir); err == nil && len(rel) < len(dir) {
			return rel
		}
	}
	return dir
}

// Command w2s is the command line of the weak-to-strong toolkit.
//
//	w2s env     where and how computations run
//	w2s train   a short GPT language-model training run that prints its loss curve
//	w2s data    tasks, their sources and split counts; pretraining corpora
//	w2s zoo     build, list and verify the ladder of pretrained models
//	w2s run     one weak→strong experiment
//	w2s sweep   weak→strong pairs × losses × seeds, with a summary table
//	w2s cache   list, size and clean the artifact store
//	w2s tune    finetuning settings per model, chosen on gold rows that are not test rows
//	w2s earlystop, bootstrap, prompting, generative, reward   the analyses
//	w2s errors  which weak-label errors a student copies (beyond the paper)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/internal/interrupt"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
)

func main() {
	// SIGINT or SIGTERM cancels the context: long commands save their state
	// and stop; one still running interrupt.Grace later, or a second
	// signal, ends the process (package interrupt).
	if err := paths.AbsoluteCacheEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "w2s:", err)
		os.Exit(1)
	}
	ctx, stop := interrupt.Context(context.Background(), os.Stderr)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "w2s: interrupted; run the same command again to resume")
			stop()
			os.Exit(interrupt.ExitCode)
		}
		fmt.Fprintln(os.Stderr, "w2s:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "w2s",
		Short:         "Weak-to-strong generalization experiments on GoMLX",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("backend", "", "cpu, gpu or xla:/abs/plugin.so (default $W2S_BACKEND, $GOMLX_BACKEND, else cpu)")
	root.AddCommand(envCmd(), trainCmd(), dataCmd(), zooCmd(), runCmd(), sweepCmd(), cacheCmd(),
		earlyStopCmd(), bootstrapCmd(), promptingCmd(), generativeCmd(), rewardCmd(), errorsCmd(), tuneCmd())
	return root
}

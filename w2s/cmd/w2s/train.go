package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/w2s-lab/w2s/w2s"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/pretrain"
	"github.com/w2s-lab/w2s/w2s/train"
)

// followSteps sets the defaults that depend on --steps (flags left at -1)
// from it: a warm-up of a 15th of the steps, an evaluation every 12th.
func followSteps(c *train.Config) {
	if c.Warmup < 0 {
		c.Warmup = c.Steps / 15
	}
	if c.EvalEvery < 0 {
		c.EvalEvery = max(1, c.Steps/12)
	}
}

func trainCmd() *cobra.Command {
	var (
		corpus string
		lm     pretrain.ByteLM
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a byte-level GPT language model on a text file and print its loss curve",
		Long: `Trains a GPT language model whose tokens are the bytes of a text file (the
last 10% held out for validation), prints the training and validation loss
curve, and saves the model in the Hugging Face GPT-2 layout. Interrupted
runs resume from their last saved state when run again with the same flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			followSteps(&lm.Config)
			return runTrain(cmd, corpus, lm)
		},
	}
	f := cmd.Flags()
	f.StringVar(&corpus, "corpus", "", "text file (default: corpora/tiny_shakespeare.txt from the data folder)")
	f.IntVar(&lm.Layers, "layers", 2, "transformer blocks")
	f.IntVar(&lm.Width, "width", 128, "model width")
	f.IntVar(&lm.Heads, "heads", 4, "attention heads")
	f.IntVar(&lm.Context, "context", 64, "context length in bytes")
	f.IntVar(&lm.Batch, "batch", 16, "sequences per step")
	f.IntVar(&lm.Config.Steps, "steps", 300, "optimizer steps")
	f.IntVar(&lm.Config.Warmup, "warmup", -1, "warm-up steps (default a 15th of --steps)")
	f.IntVar(&lm.Config.EvalEvery, "eval-every", -1, "evaluate every k steps (default a 12th of --steps)")
	f.Float64Var(&lm.Config.LR, "lr", 3e-3, "peak learning rate")
	f.Float64Var(&lm.Config.WeightDecay, "weight-decay", 0.01, "decoupled weight decay")
	f.Float64Var(&lm.Config.ClipNorm, "clip", 1, "global gradient-norm clip (0: off)")
	f.Uint64Var(&lm.Config.Seed, "seed", 1, "seed of initialisation, batches and dropout")
	f.StringVar(&lm.Out, "out", "runs/byte-lm", "folder for the model and resumable state (\"\" keeps nothing)")
	return cmd
}

// runTrain trains lm on the corpus file (default: the data folder's Tiny
// Shakespeare) and prints the run.
func runTrain(cmd *cobra.Command, corpus string, lm pretrain.ByteLM) error {
	if corpus == "" {
		p, ok := paths.FindData("corpora/tiny_shakespeare.txt")
		if !ok {
			return fmt.Errorf("no --corpus given and corpora/tiny_shakespeare.txt is in none of the data folders %v (set W2S_DATA)", paths.Data())
		}
		corpus = p
	}
	c, err := pretrain.ReadByteCorpus(cmd.Context(), corpus)
	if err != nil {
		return err
	}
	b, spec, err := openBackend(cmd)
	if err != nil {
		return err
	}
	m, err := lm.NewModel()
	if err != nil {
		return err
	}
	_, nonEmb := lm.ModelConfig().NumParams()
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "corpus %s: %d bytes (%d train, %d validation)\n", corpus, c.Len(), len(c.Train), len(c.Valid))
	fmt.Fprintf(w, "model: %d layers, width %d, %d heads, context %d, %d non-embedding parameters; backend %s\n",
		lm.Layers, lm.Width, lm.Heads, lm.Context, nonEmb, spec)
	start := time.Now()
	res, err := lm.Run(cmd.Context(), b, m, c, w2s.TerminalProgress(os.Stderr, "train"))
	if err != nil {
		return err
	}
	if res.ResumedFrom > 0 {
		fmt.Fprintf(w, "resumed from step %d of %d (state in %s)\n", res.ResumedFrom, lm.Config.Steps, filepath.Join(lm.Out, "state"))
	}
	printCurve(w, res.Curve)
	fmt.Fprintln(w)
	if ran := res.Steps - res.ResumedFrom; ran > 0 {
		fmt.Fprintf(w, "%d steps in %s (%.0f tokens/s); ", ran, time.Since(start).Round(time.Second),
			float64(ran*lm.Batch*lm.Context)/res.Elapsed.Seconds())
	}
	fmt.Fprintf(w, "final validation loss %.4f nats/byte (%.3f bits/byte)\n", res.ValidLoss, res.ValidLoss/math.Ln2)
	if lm.Out != "" {
		fmt.Fprintf(w, "model saved to %s (config.json, model.safetensors)\n", lm.Out)
	}
	return nil
}

// printCurve prints the evaluated points as a table and a text chart.
func printCurve(w io.Writer, curve []train.Point) {
	fmt.Fprintf(w, "\n%6s  %10s  %10s\n", "step", "train loss", "valid loss")
	var rows []train.Point
	var sum float64
	var n int
	for _, p := range curve {
		sum += p.Loss
		n++
		if v, ok := p.Metrics["valid_loss"]; ok {
			mean := p
			mean.Loss = sum / float64(n) // mean training loss since the last evaluation
			sum, n = 0, 0
			fmt.Fprintf(w, "%6d  %10.4f  %10.4f\n", p.Step, mean.Loss, v)
			rows = append(rows, mean)
		}
	}
	if len(rows) < 2 {
		return
	}
	// A chart of both losses: one row per evaluation, bars scaled to the range.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		for _, v := range []float64{r.Loss, float64(r.Metrics["valid_loss"])} {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	const width = 50
	pos := func(v float64) int { return int(math.Round((v - lo) / (hi - lo + 1e-12) * (width - 1))) }
	fmt.Fprintf(w, "\n%6s  %-*s  (t = train, v = valid; %.2f … %.2f)\n", "step", width, "loss", lo, hi)
	for _, r := range rows {
		line := []byte(strings.Repeat(" ", width))
		line[pos(r.Loss)] = 't'
		if p := pos(float64(r.Metrics["valid_loss"])); line[p] == 't' {
			line[p] = '*'
		} else {
			line[p] = 'v'
		}
		fmt.Fprintf(w, "%6d  |%s|\n", r.Step, line)
	}
}

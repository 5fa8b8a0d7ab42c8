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

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/pretrain"
	"github.com/w2s-lab/w2s/w2s/train"
)

func trainCmd() *cobra.Command {
	var (
		corpus                        string
		layers, width, heads, context int
		batch, steps, warmup, every   int
		lr, decay, clip               float64
		seed                          uint64
		out                           string
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
			if corpus == "" {
				p, ok := paths.FindData("corpora/tiny_shakespeare.txt")
				if !ok {
					return fmt.Errorf("no --corpus given and corpora/tiny_shakespeare.txt is in none of the data folders %v (set W2S_DATA)", paths.Data())
				}
				corpus = p
			}
			text, err := os.ReadFile(corpus)
			if err != nil {
				return err
			}
			tokens := make([]int32, len(text))
			for i, c := range text {
				tokens[i] = int32(c)
			}
			split := len(tokens) * 9 / 10
			b, spec, err := openBackend(cmd)
			if err != nil {
				return err
			}
			cfg := model.Small(256, context, width, layers, heads)
			m, err := model.New(cfg, seed, dtypes.Float32)
			if err != nil {
				return err
			}
			_, nonEmb := cfg.NumParams()
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "corpus %s: %d bytes (%d train, %d validation)\n", corpus, len(tokens), split, len(tokens)-split)
			fmt.Fprintf(w, "model: %d layers, width %d, %d heads, context %d, %d non-embedding parameters; backend %s\n",
				layers, width, heads, context, nonEmb, spec)
			start := time.Now()
			res, err := pretrain.Run(cmd.Context(), pretrain.Options{
				Backend: b, Model: m, Train: tokens[:split], Valid: tokens[split:], Batch: batch,
				EvalTokens: 16 * batch * context, Out: out,
				Config: train.Config{Steps: steps, LR: lr, Warmup: warmup, WeightDecay: decay, ClipNorm: clip,
					EvalEvery: every, Seed: seed},
				Progress: w2s.TerminalProgress(os.Stderr, "train"),
			})
			if err != nil {
				return err
			}
			if res.ResumedFrom > 0 {
				fmt.Fprintf(w, "resumed from step %d of %d (state in %s)\n", res.ResumedFrom, steps, filepath.Join(out, "state"))
			}
			printCurve(w, res.Curve)
			fmt.Fprintln(w)
			if ran := res.Steps - res.ResumedFrom; ran > 0 {
				fmt.Fprintf(w, "%d steps in %s (%.0f tokens/s); ", ran, time.Since(start).Round(time.Second),
					float64(ran*batch*context)/res.Elapsed.Seconds())
			}
			fmt.Fprintf(w, "final validation loss %.4f nats/byte (%.3f bits/byte)\n", res.ValidLoss, res.ValidLoss/math.Ln2)
			if out != "" {
				fmt.Fprintf(w, "model saved to %s (config.json, model.safetensors)\n", out)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&corpus, "corpus", "", "text file (default: corpora/tiny_shakespeare.txt from the data folder)")
	f.IntVar(&layers, "layers", 2, "transformer blocks")
	f.IntVar(&width, "width", 128, "model width")
	f.IntVar(&heads, "heads", 4, "attention heads")
	f.IntVar(&context, "context", 64, "context length in bytes")
	f.IntVar(&batch, "batch", 16, "sequences per step")
	f.IntVar(&steps, "steps", 300, "optimizer steps")
	f.IntVar(&warmup, "warmup", 20, "warm-up steps")
	f.IntVar(&every, "eval-every", 25, "evaluate every k steps")
	f.Float64Var(&lr, "lr", 3e-3, "peak learning rate")
	f.Float64Var(&decay, "weight-decay", 0.01, "decoupled weight decay")
	f.Float64Var(&clip, "clip", 1, "global gradient-norm clip (0: off)")
	f.Uint64Var(&seed, "seed", 1, "seed of initialisation, batches and dropout")
	f.StringVar(&out, "out", "runs/byte-lm", "folder for the model and resumable state (\"\" keeps nothing)")
	return cmd
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

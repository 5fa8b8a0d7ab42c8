package main

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// tuneCmd chooses the finetuning learning rate and epochs of each model
// on gold rows that are never test rows.
func tuneCmd() *cobra.Command {
	var f experimentFlags
	var models []string
	var lrs, epochs []float64
	cmd := &cobra.Command{
		Use:   "tune",
		Short: "Choose each model's finetuning learning rate and epochs: train on gold half A, score on gold half B (never test)",
		Long: `Finetunes every --models model with every --lrs learning rate and --epochs
length on the gold labels of half A (the supervisor's rows) of the first
seed's split, and scores it on half A (training accuracy) and on the gold
labels of half B (rows the supervisor never sees; never test rows). Prints
the grid and the setting of each model with the best validation accuracy,
and writes them as JSON (--out) for the scale's budget (Budget.Finetune).
Every training is stored: a supervisor trained here with the setting later
chosen is reused by experiments with the same seed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := f.runners(cmd)
			if err != nil {
				return err
			}
			if len(models) == 0 {
				s, err := zoo.GetScale(f.scale)
				if err != nil {
					return err
				}
				for _, z := range s.Sizes {
					models = append(models, zoo.Name(s.Name, z.Name))
				}
			}
			for i, m := range models {
				models[i] = f.model(m)
			}
			tu, err := analysis.RunTuning(cmd.Context(), rs[0], models, lrs, epochs)
			if err != nil {
				return err
			}
			if err := tu.Table(cmd.OutOrStdout()); err != nil {
				return err
			}
			if f.out == "" {
				f.out = filepath.Join("runs", "tune-"+slug(f.task)+"-"+f.scale)
			}
			js, err := json.MarshalIndent(tu, "", " ")
			if err != nil {
				return err
			}
			if err := os.MkdirAll(f.out, 0o755); err != nil {
				return err
			}
			return atomicfile.WriteBytes(filepath.Join(f.out, "tuning.json"), append(js, '\n'))
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&f.out, "out", "", "folder for tuning.json (default runs/tune-<task>-<scale>)")
	cmd.Flags().StringSliceVar(&models, "models", nil, "models to tune (default: every size of the scale's ladder)")
	cmd.Flags().Float64SliceVar(&lrs, "lrs", []float64{3e-4, 1e-3, 3e-3}, "peak learning rates to try")
	cmd.Flags().Float64SliceVar(&epochs, "epochs", []float64{4, 8}, "passes over half A to try")
	return cmd
}

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
		Short: "Choose each model's finetuning learning rate and epochs on the task's tuning pool (rows no experiment trains or tests on)",
		Long: `Finetunes every --models model with every --lrs learning rate and --epochs
length on the gold labels of half tuneA of the task's tuning pool, under
each of --seeds, and scores it on tuneA (training accuracy) and on the gold
labels of tuneB. The tuning pool is the same for every seed and lies outside
every seed's halves A and B, validation slice and test set, so no experiment
trains or is scored on rows its settings were chosen on. Prints the grid and
the setting of each model with the best mean validation accuracy, and writes
them as JSON (--out) for the scale's budget (Budget.Finetune). --head tunes
for another head than the scale's.`,
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
			if err := checkModels(cmd, models...); err != nil {
				return err
			}
			tu, err := analysis.RunTuning(cmd.Context(), rs, models, lrs, epochs)
			if err != nil {
				return err
			}
			if err := tu.Table().WriteText(cmd.OutOrStdout()); err != nil {
				return err
			}
			if f.out == "" {
				f.out = filepath.Join("runs", "tune-"+slug(f.task)+"-"+f.scale+"-"+rs[0].Budget.Head())
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

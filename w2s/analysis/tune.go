package analysis

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"

	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// TuneCell is one finetuning of a model on gold half A with a learning
// rate and a number of epochs, scored on half A (training accuracy) and on
// gold half B (validation: rows the supervisor never trains on, and never
// test rows).
type TuneCell struct {
	Model    string  `json:"model"`
	LR       float64 `json:"lr"`
	Epochs   float64 `json:"epochs"`
	Steps    int     `json:"steps"`
	TrainAcc float64 `json:"train_acc"`
	ValAcc   float64 `json:"val_acc"`
}

// Tuning is a grid of finetunings per model and the setting each model
// gets: the highest validation accuracy (the first in grid order on ties,
// so the smaller rate and the shorter training).
type Tuning struct {
	Task      string                 `json:"task"`
	Scale     string                 `json:"scale"`
	Seed      uint64                 `json:"seed"`
	TrainRows int                    `json:"train_rows"`
	ValRows   int                    `json:"val_rows"`
	Cells     []TuneCell             `json:"cells"`
	Best      map[string]stage.Hyper `json:"best"` // by ladder size (or model name)
}

// RunTuning finetunes every model with every learning rate and number of
// epochs on r's gold half A and scores it on gold half B.
func RunTuning(ctx context.Context, r *stage.Runner, models []string, lrs, epochs []float64) (*Tuning, error) {
	if len(models) == 0 || len(lrs) == 0 || len(epochs) == 0 {
		return nil, fmt.Errorf("tuning: need models, learning rates and epochs")
	}
	if r.Budget.Probe {
		return nil, fmt.Errorf("tuning: the budget trains linear probes; tuning chooses finetuning settings")
	}
	s, err := r.Splits(ctx)
	if err != nil {
		return nil, err
	}
	tu := &Tuning{Task: r.Task, Scale: r.Budget.Scale, Seed: r.Seed, TrainRows: len(s.A), ValRows: len(s.B), Best: map[string]stage.Hyper{}}
	for _, m := range models {
		best := -1
		for _, ep := range epochs {
			for _, lr := range lrs {
				c, err := tuneOne(ctx, r, m, lr, ep)
				if err != nil {
					return tu, err
				}
				tu.Cells = append(tu.Cells, c)
				if best < 0 || c.ValAcc > tu.Cells[best].ValAcc {
					best = len(tu.Cells) - 1
				}
			}
		}
		b := tu.Cells[best]
		tu.Best[zoo.Short(m)] = stage.Hyper{LR: b.LR, Epochs: b.Epochs}
	}
	return tu, nil
}

// tuneOne trains model on gold half A with one setting and scores it.
func tuneOne(ctx context.Context, r *stage.Runner, model string, lr, epochs float64) (TuneCell, error) {
	b := r.Budget
	b.LR, b.Epochs, b.Finetune = lr, epochs, nil
	rr := r.WithBudget(b)
	t, err := rr.TrainSupervisor(ctx, model)
	if err != nil {
		return TuneCell{}, err
	}
	l, err := rr.Predict(ctx, t, stage.SetA, stage.SetB)
	if err != nil {
		return TuneCell{}, err
	}
	return TuneCell{Model: model, LR: lr, Epochs: epochs, Steps: t.Info.Steps,
		TrainAcc: float64(stage.Score(l.Sets[stage.SetA]).Accuracy),
		ValAcc:   float64(stage.Score(l.Sets[stage.SetB]).Accuracy)}, nil
}

// Table prints the grid, one row per model and setting, the chosen
// setting marked.
func (tu *Tuning) Table(w io.Writer) error {
	fmt.Fprintf(w, "finetuning on %d gold rows of %s (half A, split seed %d), scored on %d other gold rows (half B); never test rows\n",
		tu.TrainRows, tu.Task, tu.Seed, tu.ValRows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "model\tlr\tepochs\tsteps\ttrain acc\tval acc\tchosen\t\n")
	for _, c := range tu.Cells {
		mark := ""
		if h := tu.Best[zoo.Short(c.Model)]; h.LR == c.LR && h.Epochs == c.Epochs {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%g\t%g\t%d\t%.3f\t%.3f\t%s\t\n", zoo.Short(c.Model), c.LR, c.Epochs, c.Steps, c.TrainAcc, c.ValAcc, mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	se := 0.5 / math.Sqrt(float64(max(1, tu.ValRows)))
	fmt.Fprintf(w, "validation accuracies carry a standard error of up to %.3f (%d rows)\n", se, tu.ValRows)
	sizes := make([]string, 0, len(tu.Best))
	for k := range tu.Best {
		sizes = append(sizes, k)
	}
	slices.Sort(sizes)
	for _, k := range sizes {
		fmt.Fprintf(w, "%s: lr %g, %g epochs\n", k, tu.Best[k].LR, tu.Best[k].Epochs)
	}
	return nil
}

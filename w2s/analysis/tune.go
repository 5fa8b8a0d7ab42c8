package analysis

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// TuneCell is one setting of a model's finetuning (learning rate and
// epochs), trained on the gold labels of the tuning pool's half tuneA and
// scored there (training accuracy) and on its half tuneB (validation):
// rows no seed's experiment ever trains or tests on. Accuracies are means
// over the seeds, which change the order of training and the head's
// initial state, never the rows.
type TuneCell struct {
	Model    string    `json:"model"`
	LR       float64   `json:"lr"`
	Epochs   float64   `json:"epochs"`
	Steps    int       `json:"steps"`
	TrainAcc float64   `json:"train_acc"`
	ValAcc   float64   `json:"val_acc"`
	ValAccs  []float64 `json:"val_accs"` // per seed
}

// Tuning is a grid of finetunings per model and the setting each model
// gets: the highest validation accuracy (the first in grid order on ties,
// so the smaller rate and the shorter training).
type Tuning struct {
	Task      string                 `json:"task"`
	Scale     string                 `json:"scale"`
	Head      string                 `json:"head"` // what the head reads: last or mean
	Seeds     []uint64               `json:"seeds"`
	TrainRows int                    `json:"train_rows"`
	ValRows   int                    `json:"val_rows"`
	Cells     []TuneCell             `json:"cells"`
	Best      map[string]stage.Hyper `json:"best"` // by ladder size (or model name)
}

// RunTuning finetunes every model with every learning rate and number of
// epochs on the gold tuning rows tuneA under each runner's seed, and scores
// it on tuneB. The runners differ only in their seed.
func RunTuning(ctx context.Context, rs []*stage.Runner, models []string, lrs, epochs []float64) (*Tuning, error) {
	if len(rs) == 0 || len(models) == 0 || len(lrs) == 0 || len(epochs) == 0 {
		return nil, fmt.Errorf("tuning: need seeds, models, learning rates and epochs")
	}
	r := rs[0]
	if r.Budget.Probe {
		return nil, fmt.Errorf("tuning: the budget trains linear probes; tuning chooses finetuning settings")
	}
	s, err := r.Splits(ctx)
	if err != nil {
		return nil, err
	}
	if len(s.TuneA) == 0 || len(s.TuneB) == 0 {
		return nil, fmt.Errorf("tuning: scale %s keeps no tuning pool for %s (Budget.NTune is %d)", r.Budget.Scale, r.Task, r.Budget.NTune)
	}
	tu := &Tuning{Task: r.Task, Scale: r.Budget.Scale, Head: r.Budget.Head(), TrainRows: len(s.TuneA), ValRows: len(s.TuneB), Best: map[string]stage.Hyper{}}
	for _, rr := range rs {
		tu.Seeds = append(tu.Seeds, rr.Seed)
	}
	for _, m := range models {
		best := -1
		for _, ep := range epochs {
			for _, lr := range lrs {
				c := TuneCell{Model: m, LR: lr, Epochs: ep}
				for _, rr := range rs {
					steps, train, val, err := tuneOne(ctx, rr, m, lr, ep)
					if err != nil {
						return tu, err
					}
					c.Steps = steps
					c.TrainAcc += train / float64(len(rs))
					c.ValAcc += val / float64(len(rs))
					c.ValAccs = append(c.ValAccs, val)
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

// tuneOne trains model on gold tuneA with one setting and scores it on
// tuneA and tuneB.
func tuneOne(ctx context.Context, r *stage.Runner, model string, lr, epochs float64) (steps int, train, val float64, err error) {
	b := r.Budget
	b.LR, b.Epochs, b.Finetune = lr, epochs, nil
	rr := r.WithBudget(b)
	t, err := rr.Train(ctx, model, stage.SetTuneA, nil, "xent")
	if err != nil {
		return 0, 0, 0, err
	}
	l, err := rr.Predict(ctx, t, stage.SetTuneA, stage.SetTuneB)
	if err != nil {
		return 0, 0, 0, err
	}
	return t.Info.Steps, float64(stage.Score(l.Sets[stage.SetTuneA]).Accuracy), float64(stage.Score(l.Sets[stage.SetTuneB]).Accuracy), nil
}

// Table is the grid, one row per model and setting, the chosen setting
// marked.
func (tu *Tuning) Table() *table.Table {
	t := &table.Table{Caption: fmt.Sprintf("finetuning (head: %s) on %d gold rows of %s's tuning pool, scored on its %d other rows; seeds %v; rows no experiment trains or tests on; "+
		"validation accuracies (means over the seeds) carry a standard error of up to %.3f from the rows alone",
		tu.Head, tu.TrainRows, tu.Task, tu.ValRows, tu.Seeds, 0.5/math.Sqrt(float64(max(1, tu.ValRows)))),
		Header: []string{"model", "lr", "epochs", "steps", "train acc", "val acc", "chosen"}}
	for _, c := range tu.Cells {
		mark := ""
		if h := tu.Best[zoo.Short(c.Model)]; h.LR == c.LR && h.Epochs == c.Epochs {
			mark = "*"
		}
		t.Add(zoo.Short(c.Model), fmt.Sprint(c.LR), fmt.Sprint(c.Epochs), fmt.Sprint(c.Steps), fmt.Sprintf("%.3f", c.TrainAcc), fmt.Sprintf("%.3f", c.ValAcc), mark)
	}
	sizes := make([]string, 0, len(tu.Best))
	for k := range tu.Best {
		sizes = append(sizes, k)
	}
	slices.Sort(sizes)
	for _, k := range sizes {
		t.Notes = append(t.Notes, fmt.Sprintf("%s: lr %g, %g epochs", k, tu.Best[k].LR, tu.Best[k].Epochs))
	}
	return t
}

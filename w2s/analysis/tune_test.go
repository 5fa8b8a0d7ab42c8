package analysis

import (
	"context"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/stage"
)

func TestTuningPicksTheBestValidationAccuracy(t *testing.T) {
	ms := models(t)
	r, err := runnerFactory(t, t.TempDir())("sst2", "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	tu, err := RunTuning(context.Background(), r, ms[:1], []float64{1e-4, 3e-3}, []float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(tu.Cells) != 4 || tu.TrainRows != 24 || tu.ValRows != 24 {
		t.Fatalf("%d cells, %d train rows, %d val rows", len(tu.Cells), tu.TrainRows, tu.ValRows)
	}
	best := tu.Cells[0]
	for _, c := range tu.Cells {
		if c.TrainAcc < 0 || c.TrainAcc > 1 || c.ValAcc < 0 || c.ValAcc > 1 || c.Steps == 0 {
			t.Errorf("cell %+v", c)
		}
		if c.ValAcc > best.ValAcc {
			best = c
		}
	}
	if tu.Cells[0].Steps*2 != tu.Cells[2].Steps {
		t.Errorf("2 epochs took %d steps, 1 epoch %d", tu.Cells[2].Steps, tu.Cells[0].Steps)
	}
	got := tu.Best[ms[0]]
	if got != (stage.Hyper{LR: best.LR, Epochs: best.Epochs}) {
		t.Errorf("chose %+v, the best cell is %+v", got, best)
	}
	// The settings do not leak into the runner's own budget.
	if r.Budget.LR != 3e-3 || r.Budget.Epochs != 2 {
		t.Errorf("runner budget changed: %+v", r.Budget)
	}
	var b strings.Builder
	if err := tu.Table(&b); err != nil || strings.Count(b.String(), "*") != 1 || !strings.Contains(b.String(), "never test rows") {
		t.Errorf("table %v:\n%s", err, b.String())
	}
	if _, err := RunTuning(context.Background(), r, nil, []float64{1e-3}, []float64{1}); err == nil {
		t.Error("an empty grid")
	}
}

func TestHyperForLadderSizes(t *testing.T) {
	b := stage.Budget{Scale: "cpu", LR: 1e-3, Epochs: 2, Finetune: map[string]stage.Hyper{"xl": {LR: 3e-4, Epochs: 4}}}
	for model, want := range map[string]stage.Hyper{
		"zoo/cpu/xl":       {LR: 3e-4, Epochs: 4},
		"zoo/cpu/xl+genft": {LR: 3e-4, Epochs: 4},
		"zoo/cpu/xs":       {LR: 1e-3, Epochs: 2},
		"zoo/gpu/xl":       {LR: 1e-3, Epochs: 2},
		"/models/gpt2":     {LR: 1e-3, Epochs: 2},
	} {
		if got := b.HyperFor(model); got != want {
			t.Errorf("%s: %+v, want %+v", model, got, want)
		}
	}
}

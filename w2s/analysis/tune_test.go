package analysis

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/tasks"
)

func TestTuningPicksTheBestValidationAccuracy(t *testing.T) {
	ms := models(t)
	rs := runners(t, testSession(t, t.TempDir()), "sst2", 0, 1)
	r := rs[0]
	tu, err := RunTuning(context.Background(), rs, ms[:1], []float64{1e-4, 3e-3}, []float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(tu.Cells) != 4 || tu.TrainRows < 24 || tu.ValRows < 24 { // whole groups of phrases: a few rows more
		t.Fatalf("%d cells, %d train rows, %d val rows", len(tu.Cells), tu.TrainRows, tu.ValRows)
	}
	best := tu.Cells[0]
	for _, c := range tu.Cells {
		if c.TrainAcc < 0 || c.TrainAcc > 1 || c.ValAcc < 0 || c.ValAcc > 1 || c.Steps == 0 || len(c.ValAccs) != 2 ||
			math.Abs(c.ValAcc-(c.ValAccs[0]+c.ValAccs[1])/2) > 1e-12 {
			t.Errorf("cell %+v", c)
		}
		if c.ValAcc > best.ValAcc {
			best = c
		}
	}
	if steps := func(epochs float64) int { return int(math.Ceil(epochs * float64(tu.TrainRows) / 8)) }; tu.Cells[0].Steps != steps(1) || tu.Cells[2].Steps != steps(2) {
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
	if text := tu.Table().Text(); strings.Count(text, "*") != 1 || !strings.Contains(text, "no experiment trains or tests on") {
		t.Errorf("table:\n%s", text)
	}
	if _, err := RunTuning(context.Background(), rs, nil, []float64{1e-3}, []float64{1}); err == nil {
		t.Error("an empty grid")
	}
	// The tuning pool is no seed's training or test rows.
	for _, rr := range rs {
		s, err := rr.Splits(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		tune := map[string]bool{}
		for _, e := range append(append([]tasks.Example{}, s.TuneA...), s.TuneB...) {
			tune[e.Key()] = true
		}
		for _, set := range [][]tasks.Example{s.A, s.B, s.Val, s.Test} {
			for _, e := range set {
				if tune[e.Key()] {
					t.Fatalf("seed %d: tuning row %q is also an experiment row", rr.Seed, e.Text)
				}
			}
		}
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

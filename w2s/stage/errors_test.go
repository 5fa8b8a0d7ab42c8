package stage

import (
	"context"
	"slices"
	"testing"

	"github.com/w2s-lab/w2s/w2s/metrics"
)

// TestSourceLabelsMatchTheSupervisorsAccuracy: every derived source is as
// accurate on half B as the supervisor, class by class, hard, and the
// unsure source flips the rows the supervisor is least sure of.
func TestSourceLabelsMatchTheSupervisorsAccuracy(t *testing.T) {
	weak, _ := tinyModels(t)
	ctx := context.Background()
	r, _ := testRunner(t, "sst2", t.TempDir(), false)
	r.Budget.NDocs = 120
	sup, err := r.Supervise(ctx, weak)
	if err != nil {
		t.Fatal(err)
	}
	b := sup.Sets[SetB]
	perClass := func(sp SetProbs) [2][2]int { // [gold][right]
		var c [2][2]int
		for i, p := range metrics.Argmax(sp.Probs) {
			if p == sp.Gold[i] {
				c[sp.Gold[i]][1]++
			} else {
				c[sp.Gold[i]][0]++
			}
		}
		return c
	}
	want := perClass(b)
	if want[0][0]+want[1][0] == 0 {
		t.Fatal("the supervisor makes no error on half B: nothing to compare")
	}
	for _, src := range LabelSources {
		l, err := r.SourceLabels(ctx, sup, src, true)
		if err != nil {
			t.Fatal(err)
		}
		lb := l.Sets[SetB]
		if got := perClass(lb); got != want {
			t.Errorf("%s: right and wrong per gold class %v, the supervisor's %v", src, got, want)
		}
		for i, p := range lb.Probs {
			if p[0] != 0 && p[0] != 1 || p[0]+p[1] != 1 {
				t.Fatalf("%s: row %d is not one-hot: %v", src, i, p)
			}
		}
		if l.Sets[SetTest].IDs[0] != sup.Sets[SetTest].IDs[0] || l.Source != src {
			t.Errorf("%s: the test set must keep the supervisor's predictions", src)
		}
		if src == SourceUnsure {
			// No flipped row is more confident than a kept one of its class.
			for c := range 2 {
				maxFlipped, minKept := -1.0, 2.0
				for i, p := range metrics.Argmax(lb.Probs) {
					if lb.Gold[i] != c {
						continue
					}
					conf := max(b.Probs[i][0], b.Probs[i][1])
					if p != c {
						maxFlipped = max(maxFlipped, conf)
					} else {
						minKept = min(minKept, conf)
					}
				}
				if maxFlipped > minKept {
					t.Errorf("unsure, class %d: a flipped row has confidence %.3f above a kept row's %.3f", c, maxFlipped, minKept)
				}
			}
		}
	}
	soft, err := r.SourceLabels(ctx, sup, SourceSupervisor, false)
	if err != nil || soft != sup {
		t.Errorf("the supervisor's soft labels are its own predictions: %v", err)
	}
	if _, err := r.SourceLabels(ctx, sup, "oracle", true); err == nil {
		t.Error("an unknown source accepted")
	}
}

// TestUnsureIsNotTheSupervisorsErrors: on two classes, the unsure source
// flips the supervisor's least confident rows, not its errors (ranking by
// belief in the gold class would reproduce the supervisor's hard labels
// exactly). Gold is class 0 everywhere; the supervisor errs confidently on
// row 0 and is unsure, but right, on row 2.
func TestUnsureIsNotTheSupervisorsErrors(t *testing.T) {
	r, _ := testRunner(t, "sst2", t.TempDir(), false)
	sp := SetProbs{IDs: []string{"a", "b", "c", "d"}, Gold: []int{0, 0, 0, 0},
		Probs: [][]float64{{0.05, 0.95}, {0.9, 0.1}, {0.55, 0.45}, {0.8, 0.2}}}
	got, err := r.deriveSet(context.Background(), nil, SetB, sp, SourceUnsure)
	if err != nil {
		t.Fatal(err)
	}
	labels := metrics.Argmax(got.Probs)
	if want := []int{0, 0, 1, 0}; !slices.Equal(labels, want) {
		t.Errorf("unsure labels %v, want %v (one row flipped, the least confident)", labels, want)
	}
}

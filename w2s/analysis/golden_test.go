package analysis

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/split"
	"github.com/w2s-lab/w2s/w2s/stage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenSweep is a fixed sweep of synthetic results: two pairs, two
// losses, three seeds, 200 test examples, with a pair whose gap is too
// small to measure and undefined values (AUROC of a three-class task);
// the logconf results lack per-row agreement, as results written before it.
func goldenSweep(t *testing.T) *Sweep {
	rng := rand.New(rand.NewPCG(1, 2))
	hits := func(p float64) metrics.Hits {
		h := make(metrics.Hits, 200)
		for i := range h {
			h[i] = rng.Float64() < p
		}
		return h
	}
	spec := SweepSpec{Task: "golden", Scale: "ci", Models: []string{"weak-a", "mid-b", "strong-c"},
		Pairs: [][2]int{{0, 1}, {0, 2}}, Losses: []losses.Spec{"xent", "logconf"}, Seeds: []uint64{0, 1, 2}}
	var rows []*stage.Result
	for _, pair := range spec.Pairs {
		for _, loss := range spec.Losses {
			for _, seed := range spec.Seeds {
				ceiling := 0.9
				if pair[1] == 1 {
					ceiling = 0.7 // a gap of 0.02 over 200 rows: too small to measure
				}
				sh := metrics.SeedHits{Weak: hits(0.68), Student: hits(0.75), Ceiling: hits(ceiling)}
				if loss == "xent" { // logconf's results predate per-row agreement
					sh.Agree = make(metrics.Hits, len(sh.Weak))
					for i := range sh.Agree { // two classes: same class when both right or both wrong
						sh.Agree[i] = sh.Weak[i] == sh.Student[i]
					}
				}
				r := &stage.Result{Task: spec.Task, Scale: spec.Scale, WeakModel: spec.Models[pair[0]],
					StrongModel: spec.Models[pair[1]], Loss: loss, Seed: seed, Hits: sh,
					Weak:         stage.Scores{Accuracy: metrics.Float(sh.Weak.Accuracy()), AUROC: metrics.NaN()},
					Student:      stage.Scores{Accuracy: metrics.Float(sh.Student.Accuracy()), AUROC: metrics.NaN()},
					Ceiling:      stage.Scores{Accuracy: metrics.Float(sh.Ceiling.Accuracy()), AUROC: metrics.NaN()},
					WeakLabelAcc: 0.7, Counts: split.Counts{},
					TrainAcc:     stage.TrainAccuracies{Weak: 0.9, Student: 0.72, Ceiling: metrics.Float(ceiling + 0.05), StudentFitsWeak: metrics.NaN()},
					Agreement:    metrics.Agreement{All: 0.8, SupervisorRight: 0.9, SupervisorWrong: 0.5, NRight: 136, NWrong: 64},
					StudentCurve: []stage.CurvePoint{{Step: 10, Loss: 0.6, TestAcc: 0.7, TestAUROC: metrics.NaN(), ValAccWeak: 0.8, ValLossWeak: 0.5}},
					WeakCurveAcc: 0.68, CeilingCurveAcc: metrics.Float(ceiling)}
				r.PGR = metrics.ComputePGR(float64(r.Weak.Accuracy), float64(r.Student.Accuracy), float64(r.Ceiling.Accuracy))
				r.PGRAUROC = metrics.ComputePGR(float64(r.Weak.AUROC), float64(r.Student.AUROC), float64(r.Ceiling.AUROC))
				rows = append(rows, r)
			}
		}
	}
	sum, err := Summarize(rows)
	if err != nil {
		t.Fatal(err)
	}
	return &Sweep{Spec: spec, Rows: rows, Summary: sum}
}

// TestSweepJSONGolden keeps results.json stable: its field names, its
// nulls for undefined values and the summaries' numbers. After an
// intended change, rewrite it with go test ./w2s/analysis -run Golden -update.
func TestSweepJSONGolden(t *testing.T) {
	sw := goldenSweep(t)
	path := filepath.Join(t.TempDir(), "results.json")
	if err := sw.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "results.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if !bytes.Equal(gl[i], wl[i]) {
				t.Fatalf("results.json differs from %s at line %d:\n got: %s\nwant: %s\n(an intended change? rerun with -update)", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("results.json differs from %s in length: %d lines, want %d", golden, len(gl), len(wl))
	}
	back, err := ReadSweep(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Summary) != 4 || back.Summary[0].Measurable || !back.Summary[2].Measurable {
		t.Errorf("measurability did not survive the round trip: %+v", back.Summary)
	}
	again := filepath.Join(t.TempDir(), "again.json")
	if err := back.WriteJSON(again); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(again); !bytes.Equal(raw, got) {
		t.Error("read and written again, results.json changed")
	}
	if !reflect.DeepEqual(back.Spec, sw.Spec) {
		t.Errorf("spec %+v, want %+v", back.Spec, sw.Spec)
	}
}

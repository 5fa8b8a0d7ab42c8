package metrics

import (
	"math"
	"testing"
)

func TestAccuracyAndArgmax(t *testing.T) {
	pred := Argmax([][]float64{{0.9, 0.1}, {0.2, 0.8}, {0.5, 0.5}, {0.1, 0.3, 0.6}})
	if pred[0] != 0 || pred[1] != 1 || pred[2] != 0 || pred[3] != 2 {
		t.Errorf("argmax %v", pred)
	}
	if a := Accuracy([]int{1, 0, 1, 1}, []int{1, 1, 1, 0}); a != 0.5 {
		t.Errorf("accuracy %g", a)
	}
	if !math.IsNaN(Accuracy(nil, nil)) {
		t.Error("accuracy of nothing must be NaN")
	}
}

func TestAUROC(t *testing.T) {
	cases := []struct {
		scores []float64
		labels []int
		want   float64
	}{
		{[]float64{0.1, 0.4, 0.35, 0.8}, []int{0, 0, 1, 1}, 0.75}, // sklearn's example
		{[]float64{1, 2, 3, 4}, []int{0, 0, 1, 1}, 1},
		{[]float64{4, 3, 2, 1}, []int{0, 0, 1, 1}, 0},
		{[]float64{0.5, 0.5, 0.5, 0.5}, []int{0, 1, 0, 1}, 0.5}, // ties count half
		{[]float64{0.2, 0.2, 0.9}, []int{0, 1, 1}, 0.75},
	}
	for _, c := range cases {
		if got := AUROC(c.scores, c.labels); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("AUROC(%v, %v) = %g, want %g", c.scores, c.labels, got, c.want)
		}
	}
	if !math.IsNaN(AUROC([]float64{1, 2}, []int{1, 1})) {
		t.Error("AUROC with one class must be NaN")
	}
}

func TestPGR(t *testing.T) {
	p := ComputePGR(0.6, 0.7, 0.8)
	if !p.Defined || math.Abs(float64(p.Value)-0.5) > 1e-12 {
		t.Errorf("PGR %+v", p)
	}
	if p := ComputePGR(0.6, 0.55, 0.8); p.Value >= 0 {
		t.Errorf("a student below the weak model has negative PGR: %+v", p)
	}
	for _, ceiling := range []float64{0.6, 0.5} {
		p := ComputePGR(0.6, 0.7, ceiling)
		if p.Defined || p.Value.Defined() || p.String()[:9] != "undefined" {
			t.Errorf("ceiling %g ≤ weak 0.6: %+v %s", ceiling, p, p)
		}
	}
}

func TestMedianAndSeedMean(t *testing.T) {
	if m := Median([]float64{3, 1, math.NaN(), 2, 10}); m != 2.5 {
		t.Errorf("median %g", m)
	}
	if !math.IsNaN(Median([]float64{math.NaN()})) {
		t.Error("median of nothing")
	}
	// Four values, one per seed: mean 0.5, SE sd/2 = 0.1291, t(3) = 3.182.
	iv := SeedMean([]float64{0.2, 0.4, 0.6, 0.8}, 0.95)
	if iv.N != 4 || math.Abs(float64(iv.Estimate)-0.5) > 1e-12 || math.Abs(float64(iv.High)-0.5-3.1824*0.12910) > 1e-3 || iv.DF != 3 {
		t.Errorf("seed mean %+v", iv)
	}
	one := SeedMean([]float64{0.3}, 0.95)
	if one.Low.Defined() || one.String() != "0.300 (1 seed)" {
		t.Errorf("one value: %+v %s", one, one)
	}
}

func TestAgreement(t *testing.T) {
	gold := []int{0, 0, 1, 1, 1, 0}
	sup := []int{0, 1, 1, 0, 1, 1}     // right on 0, 2, 4; wrong on 1, 3, 5
	student := []int{0, 1, 0, 1, 1, 1} // agrees on 0, 1, 4, 5
	a := ComputeAgreement(student, sup, gold)
	if math.Abs(float64(a.All)-4.0/6) > 1e-12 || math.Abs(float64(a.SupervisorRight)-2.0/3) > 1e-12 || math.Abs(float64(a.SupervisorWrong)-2.0/3) > 1e-12 {
		t.Errorf("agreement %+v", a)
	}
	if a.NRight != 3 || a.NWrong != 3 {
		t.Errorf("agreement counts %+v", a)
	}
}

func TestPairAccuracy(t *testing.T) {
	// Rewards of (first, second) candidates; gold is the preferred index.
	rewards := [][]float64{{1, 2}, {3, 0}, {0.2, 0.1}, {-1, 4}}
	gold := []int{1, 0, 1, 1}
	if a := Accuracy(Argmax(rewards), gold); a != 0.75 {
		t.Errorf("pair accuracy %g, want 0.75 (chosen scored higher in 3 of 4)", a)
	}
}

func TestECE(t *testing.T) {
	gold := []int{0, 0, 1, 1}
	// Confident and right: ECE 0.1 (confidence 0.9, accuracy 1).
	if e := ECE([][]float64{{0.9, 0.1}, {0.9, 0.1}, {0.1, 0.9}, {0.1, 0.9}}, gold); math.Abs(e-0.1) > 1e-12 {
		t.Errorf("ECE %g, want 0.1", e)
	}
	// Confidence 0.75 with 3 of 4 right: calibrated.
	if e := ECE([][]float64{{0.75, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.25}}, gold); math.Abs(e) > 1e-12 {
		t.Errorf("ECE %g, want 0", e)
	}
	if !math.IsNaN(ECE(nil, nil)) {
		t.Error("ECE of no rows")
	}
}

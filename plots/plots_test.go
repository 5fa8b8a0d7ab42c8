package plots

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

func iv(x float64) metrics.Interval {
	return metrics.Interval{Estimate: metrics.Float(x), Low: metrics.Float(x - 0.02), High: metrics.Float(x + 0.02), N: 5}
}

// sweep is a synthetic three-model sweep with two losses; the xs → s
// pair's gap is too small to measure.
func sweep() *analysis.Sweep {
	models := []string{"zoo/cpu/xs", "zoo/cpu/s", "zoo/cpu/xl"}
	params := map[string]int{"zoo/cpu/xs": 77_000, "zoo/cpu/s": 234_000, "zoo/cpu/xl": 2_370_000}
	acc := map[string]float64{"zoo/cpu/xs": 0.62, "zoo/cpu/s": 0.66, "zoo/cpu/xl": 0.78}
	sw := &analysis.Sweep{Spec: analysis.SweepSpec{Task: "sst2", Scale: "cpu", Models: models, Losses: []losses.Spec{"xent", "logconf"}, Seeds: []uint64{0, 1, 2, 3, 4}}}
	for li, loss := range sw.Spec.Losses {
		for i, w := range models {
			for _, st := range models[i+1:] {
				s := analysis.Summary{WeakModel: w, StrongModel: st, Loss: loss, WeakParams: params[w], StrongParams: params[st]}
				student := acc[w] + (acc[st]-acc[w])*(0.3+0.1*float64(li))
				s.WeakAcc, s.StudentAcc, s.CeilingAcc, s.Gap = iv(acc[w]), iv(student), iv(acc[st]), iv(acc[st]-acc[w])
				s.Seeds, s.Examples = 5, 1821
				s.Measurable = !(w == "zoo/cpu/xs" && st == "zoo/cpu/s")
				s.PGR = metrics.Interval{Estimate: metrics.NaN(), Low: metrics.NaN(), High: metrics.NaN()}
				if s.Measurable {
					s.PGR = iv((student - acc[w]) / (acc[st] - acc[w]))
				}
				s.Agree, s.AgreeRight, s.AgreeWrong = iv(0.85), iv(0.95), iv(0.6-0.1*float64(i))
				sw.Summary = append(sw.Summary, s)
			}
		}
	}
	return sw
}

func TestCharts(t *testing.T) {
	sw := sweep()
	curve := func(seed uint64) analysis.SeedStops {
		var c []stage.CurvePoint
		for k := range 10 {
			c = append(c, stage.CurvePoint{Step: 25 * (k + 1), TestAcc: metrics.Float(0.6 + 0.01*float64(k) - 0.002*float64(seed))})
		}
		return analysis.SeedStops{Seed: seed, Curve: c, Final: analysis.StopPoint{Step: 250, TestAcc: c[9].TestAcc},
			Honest: analysis.StopPoint{Step: 200, TestAcc: c[7].TestAcc}, Cheating: analysis.StopPoint{Step: 250, TestAcc: c[9].TestAcc}}
	}
	es := &analysis.EarlyStopping{Task: "sst2", WeakModel: "zoo/cpu/xs", StrongModel: "zoo/cpu/xl", Loss: "xent", Criterion: "lowest xent",
		Examples: 1821, Evals: 10, Seeds: []analysis.SeedStops{curve(0), curve(1)}, WeakAcc: iv(0.62), CeilingAcc: iv(0.78),
		Honest: iv(0.669), Cheating: iv(0.69)}
	for k := range 10 {
		es.Curve = append(es.Curve, analysis.CurveMean{Step: 25 * (k + 1), Fraction: float64(k+1) / 10, Acc: iv(0.6 + 0.01*float64(k))})
	}
	bs := &analysis.Chain{Task: "sst2", Models: []string{"zoo/cpu/xs", "zoo/cpu/s", "zoo/cpu/xl"}, Loss: "xent", Examples: 1821,
		Links:     []analysis.Link{{Student: "zoo/cpu/s", StudentAcc: iv(0.64)}, {Student: "zoo/cpu/xl", StudentAcc: iv(0.70)}},
		ChainPGR:  metrics.PairedPGR{WeakAcc: iv(0.62), StudentAcc: iv(0.70), CeilingAcc: iv(0.78)},
		DirectPGR: metrics.PairedPGR{StudentAcc: iv(0.68)}, ChainMinusDirect: iv(0.02)}
	pc := &analysis.PromptingComparison{Task: "sst2", WeakModel: "zoo/cpu/xs", K: 5, Examples: 300, WeakAcc: iv(0.62), Rows: []analysis.PromptRow{
		{Model: "zoo/cpu/s", Params: 234_000, ZeroShot: iv(0.5), FewShotGold: iv(0.5), FewShotWeak: iv(0.5), FinetuneWeak: iv(0.64), FinetuneGold: iv(0.66)},
		{Model: "zoo/cpu/xl", Params: 2_370_000, ZeroShot: iv(0.52), FewShotGold: iv(0.58), FewShotWeak: iv(0.55), FinetuneWeak: iv(0.70), FinetuneGold: iv(0.78)}}}
	ms, err := analysis.MedianOverTasks([]*analysis.Sweep{sw})
	if err != nil {
		t.Fatal(err)
	}
	figures := map[string]func() (*Figure, error){
		"accuracy":   func() (*Figure, error) { return AccuracyVsCompute(sw, "xent") },
		"pgr":        func() (*Figure, error) { return PGRVsCompute(sw, "logconf") },
		"losses":     func() (*Figure, error) { return LossComparison(sw) },
		"agreement":  func() (*Figure, error) { return AgreementVsSize(sw, "zoo/cpu/xs", "xent") },
		"agreement2": func() (*Figure, error) { return AgreementVsSize(sw, "zoo/cpu/xs", "xent", "logconf") },
		"bylos":      func() (*Figure, error) { return AccuracyByLoss(sw) },
		"curves":     func() (*Figure, error) { return TrainingCurves(es) },
		"chain":      func() (*Figure, error) { return ChainChart(bs) },
		"fewshot":    func() (*Figure, error) { return FewShotChart(pc) },
		"medians":    func() (*Figure, error) { return MediansVsCompute(ms) },
	}
	lookAt := os.Getenv("PLOTS_OUT") // a folder to write the PNGs into, to look at them
	for name, mk := range figures {
		f, err := mk()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h, err := f.HTML()
		if err != nil || !strings.HasPrefix(h, `<div class="w2s-figure"><svg`) || !strings.Contains(h, "</svg>") || f.Caption == "" {
			t.Errorf("%s: html %.80q, caption %q, %v", name, h, f.Caption, err)
		}
		// Every caption names the test rows and seeds its numbers rest on.
		if !strings.Contains(f.Caption, "test rows") || !strings.Contains(f.Caption, "seeds") {
			t.Errorf("%s: the caption names no test rows or seeds: %q", name, f.Caption)
		}
		var png bytes.Buffer
		if err := f.WriteTo(&png, "png"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := png.Bytes(); len(b) < 1000 || string(b[1:4]) != "PNG" {
			t.Errorf("%s: not a PNG", name)
		}
		if lookAt != "" {
			os.WriteFile(filepath.Join(lookAt, name+".png"), png.Bytes(), 0o644)
		}
		// Accuracy axes stay within [0, 1].
		if name == "accuracy" && (f.Plot.Y.Min < 0 || f.Plot.Y.Max > 1) {
			t.Errorf("accuracy axis %g–%g", f.Plot.Y.Min, f.Plot.Y.Max)
		}
	}
	pgr, _ := PGRVsCompute(sw, "xent")
	if !strings.Contains(pgr.Caption, "1 of 3 pairs have no point") {
		t.Errorf("unmeasurable pairs not counted in the caption: %q", pgr.Caption)
	}
	// Medians: a pair with no measurable task has no point, and the caption names it;
	// with none measurable at all the axis still spans 0 and 1.
	med, _ := MediansVsCompute(ms)
	undefined := 0
	for _, m := range ms {
		if !m.PGR.Defined() {
			undefined++
			name := fmt.Sprintf("%s → %s (%s)", zoo.Short(m.WeakModel), zoo.Short(m.StrongModel), m.Loss.Short())
			if !strings.Contains(med.Caption, name) {
				t.Errorf("medians caption does not name %s, which has no point: %q", name, med.Caption)
			}
		}
	}
	for _, m := range ms {
		name := fmt.Sprintf("%s → %s (%s) %d of %d", zoo.Short(m.WeakModel), zoo.Short(m.StrongModel), m.Loss.Short(), m.PGRTasks, m.NTasks)
		if !strings.Contains(med.Caption, name) {
			t.Errorf("medians caption does not say how many tasks %q rests on: %q", name, med.Caption)
		}
	}
	if undefined == 0 || undefined == len(ms) {
		t.Fatalf("the fixture should have some but not all medians undefined: %d of %d", undefined, len(ms))
	}
	none := slices.Clone(ms)
	for i := range none {
		none[i].PGR = metrics.NaN()
	}
	if med, _ := MediansVsCompute(none); med.Plot.Y.Min > 0 || med.Plot.Y.Max < 1 || !strings.Contains(med.Caption, "No point") ||
		strings.Count(med.Caption[strings.Index(med.Caption, "No point"):], "→") != len(ms) {
		t.Errorf("no median defined: y %g–%g, caption %q", med.Plot.Y.Min, med.Plot.Y.Max, med.Caption)
	}
	if _, err := AgreementVsSize(sw, "zoo/cpu/xl", "xent"); err == nil {
		t.Error("agreement of a supervisor with no students")
	}
}

func TestRampIsOrdered(t *testing.T) {
	// Lighter for weaker: luminance falls along the ramp.
	lum := func(i, n int) float64 {
		r, g, b, _ := Ramp(i, n).RGBA()
		return 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
	}
	for i := 1; i < 5; i++ {
		if !(lum(i, 5) < lum(i-1, 5)) {
			t.Errorf("ramp %d is not darker than %d", i, i-1)
		}
	}
	if Params(77_000) != "77k" || Params(2_370_000) != "2.4M" || Params(85_000_000) != "85M" {
		t.Errorf("Params: %s %s %s", Params(77_000), Params(2_370_000), Params(85_000_000))
	}
}

func TestTableAndText(t *testing.T) {
	h, _ := (&Table{Caption: "sst2: 1821 test rows, seeds [0 1]", Header: []string{"a", "b"}, Rows: [][]string{{"1", "<2>"}}}).HTML()
	if !strings.Contains(h, "&lt;2&gt;") || !strings.Contains(h, "1821 test rows") {
		t.Errorf("table: %s", h)
	}
	if h, _ := Text("x < y").HTML(); !strings.Contains(h, "x &lt; y") {
		t.Errorf("text: %s", h)
	}
}

// TestNiceTicks: round labelled steps, about five of them, every label
// inside the range and none with more decimals than its step needs.
func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{0.52, 0.84, []string{"0.55", "0.60", "0.65", "0.70", "0.75", "0.80"}},
		{0, 1, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{-0.3, 1.1, []string{"-0.25", "0.00", "0.25", "0.50", "0.75", "1.00"}},
		{0.665, 0.715, []string{"0.67", "0.68", "0.69", "0.70", "0.71"}},
	} {
		var got []string
		for _, tk := range (niceTicks{}).Ticks(c.lo, c.hi) {
			if tk.Value < c.lo-1e-12 || tk.Value > c.hi+1e-12 {
				t.Errorf("[%g, %g]: tick %g outside", c.lo, c.hi, tk.Value)
			}
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("[%g, %g]: labels %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
}

package plots

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
)

func fakeSweep() *analysis.Sweep {
	models := []string{"zoo/cpu/xs", "zoo/cpu/m", "zoo/cpu/xl"}
	sw := &analysis.Sweep{Spec: analysis.SweepSpec{Task: "sst2", Scale: "cpu", Models: models, Losses: []string{"xent", "logconf"}, Seeds: []uint64{0, 1}}}
	acc := []float64{0.6, 0.7, 0.8}
	for i := range models {
		for j := i + 1; j < len(models); j++ {
			for k, loss := range []string{"xent", "logconf(alpha=0.5,warmup=0.2,buffer=64)"} {
				student := acc[i] + (acc[j]-acc[i])*(0.3+0.2*float64(k))
				sw.Summary = append(sw.Summary, analysis.Summary{Weak: models[i], Strong: models[j], Loss: loss, Seeds: 2,
					Weak_: acc[i], Student: student, Ceiling: acc[j],
					PGR:      metrics.Interval{Estimate: 0.3 + 0.2*float64(k), Low: 0.1, High: 0.6, N: 2},
					PGRAUROC: metrics.Interval{Estimate: math.NaN()}, Agreement: 0.8 - 0.05*float64(j), AgreeRight: 0.9, AgreeWrong: 0.5 - 0.1*float64(j)})
			}
		}
	}
	return sw
}

func TestCharts(t *testing.T) {
	sw := fakeSweep()
	es, _ := analysis.EarlyStoppingFrom(&stage.Result{Weak: "zoo/cpu/xs", Strong: "zoo/cpu/xl", Loss: "xent",
		WeakCurveAcc: 0.6, CeilingCurveAcc: 0.8,
		StudentCurve: []stage.CurvePoint{{Step: 10, TestAcc: 0.65, ValAccWeak: 0.8, ValXentWeak: 0.5}, {Step: 20, TestAcc: 0.7, ValAccWeak: 0.85, ValXentWeak: 0.45}, {Step: 30, TestAcc: 0.68, ValAccWeak: 0.9, ValXentWeak: 0.47}}})
	pc := &analysis.PromptingComparison{Task: "sst2", Weak: "zoo/cpu/xs", K: 5, WeakAcc: 0.6, Rows: []analysis.PromptRow{
		{Model: "zoo/cpu/m", ZeroShot: 0.5, FewShotGold: 0.55, FewShotWeak: 0.53, FinetuneWeak: 0.65, FinetuneGold: 0.7},
		{Model: "zoo/cpu/xl", ZeroShot: 0.52, FewShotGold: 0.6, FewShotWeak: 0.56, FinetuneWeak: 0.7, FinetuneGold: 0.8}}}
	res := &stage.Result{WeakScores: stage.Scores{Accuracy: 0.6}, StudentScores: stage.Scores{Accuracy: 0.65}, CeilingScores: stage.Scores{Accuracy: 0.7}}
	gc := &analysis.GenerativeComparison{Task: "hh_harmless", Weak: "zoo/cpu/xs", Strong: "zoo/cpu/xl", Plain: res, Generative: res, PlainES: es, GenerativeES: es}
	type maker func() (*Figure, error)
	figures := map[string]maker{
		"accuracy":   func() (*Figure, error) { return AccuracyVsSize(sw, "xent") },
		"pgr":        func() (*Figure, error) { return PGRBars(sw) },
		"agreement":  func() (*Figure, error) { return AgreementVsSize(sw, "zoo/cpu/xs", "logconf") },
		"curve":      func() (*Figure, error) { return TrainingCurve(es) },
		"prompting":  func() (*Figure, error) { return PromptingChart(pc) },
		"generative": func() (*Figure, error) { return GenerativeChart(gc) },
		"bootstrap": func() (*Figure, error) {
			return BootstrapChart(&analysis.Bootstrapping{Chain: []string{"zoo/cpu/xs", "zoo/cpu/m", "zoo/cpu/xl"}, Loss: "xent",
				WeakAcc: 0.6, DirectAcc: 0.65, ChainAcc: 0.67, CeilingAcc: 0.75})
		},
	}
	lookAt := os.Getenv("PLOTS_OUT") // a folder to write the PNGs into, to look at them
	for name, mk := range figures {
		f, err := mk()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h, err := f.HTML()
		if err != nil || !strings.HasPrefix(h, `<div class="w2s-figure"><svg`) || !strings.Contains(h, "</svg>") {
			t.Errorf("%s: html %.80q, %v", name, h, err)
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
	}
	h, _ := SweepTable(sw).HTML()
	if strings.Count(h, "<tr>") != len(sw.Summary)+1 || !strings.Contains(h, "logconf") || !strings.Contains(h, "[0.100, 0.600]") {
		t.Errorf("table: %s", h)
	}
	if m, n := MedianPGR(sw, "logconf"); n != 3 || math.Abs(m-0.5) > 1e-12 {
		t.Errorf("median PGR %g over %d", m, n)
	}
	if _, err := AgreementVsSize(sw, "zoo/cpu/xl", "xent"); err == nil {
		t.Error("agreement of a supervisor with no students")
	}
	Show(Text("outside a notebook Show is a no-op"))
}

// TestPGRBarsSaysWhenUndefined: a chart with no bar says why.
func TestPGRBarsSaysWhenUndefined(t *testing.T) {
	sw := fakeSweep()
	sw.Summary[0].PGR.Estimate = math.NaN()
	if f, _ := PGRBars(sw); f == nil || !strings.Contains(f.Plot.Title.Text, "no bar: PGR undefined") {
		t.Errorf("one undefined PGR: title %q", f.Plot.Title.Text)
	}
	for i := range sw.Summary {
		sw.Summary[i].PGR.Estimate = math.NaN()
	}
	if f, _ := PGRBars(sw); f == nil || !strings.Contains(f.Plot.Title.Text, "all undefined:") {
		t.Errorf("all undefined: title %q", f.Plot.Title.Text)
	}
}

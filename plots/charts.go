package plots

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/metrics"
)

// Short names a model for axes: zoo/cpu/xl → xl.
func Short(model string) string {
	if i := strings.LastIndexByte(model, '/'); i >= 0 && strings.HasPrefix(model, "zoo/") {
		return model[i+1:]
	}
	return model
}

// LossName shortens the default logconf spelling.
func LossName(loss string) string {
	if strings.HasPrefix(loss, "logconf(alpha=0.5,warmup=0.2,buffer=64)") {
		return "logconf"
	}
	return loss
}

// hline marks a horizontal reference over n nominal positions.
func (f *Figure) hline(y float64, n int, name string, c color.Color, dashed bool) {
	f.hlineFrom(y, -0.3, float64(n)-0.7, name, c, dashed)
}

// hlineFrom marks a horizontal reference from x0 to x1, in the legend
// under name unless it is empty; NaN draws nothing.
func (f *Figure) hlineFrom(y, x0, x1 float64, name string, c color.Color, dashed bool) {
	if math.IsNaN(y) {
		return
	}
	l := horizontal(y, x0, x1, c, vg.Points(1))
	if dashed {
		l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	}
	f.Plot.Add(l)
	if name != "" {
		f.Plot.Legend.Add(name, l)
	}
}

// cell finds the summary of (weak, strong, loss) in a sweep.
func cell(sw *analysis.Sweep, weak, strong, loss string) (analysis.Summary, bool) {
	for _, s := range sw.Summary {
		if s.Weak == weak && s.Strong == strong && LossName(s.Loss) == LossName(loss) {
			return s, true
		}
	}
	return analysis.Summary{}, false
}

// AccuracyVsSize is the paper's main chart: test accuracy of the students
// of each weak supervisor (one line each) across strong models, with the
// strong ceiling (trained on gold labels) in black.
func AccuracyVsSize(sw *analysis.Sweep, loss string) (*Figure, error) {
	models := sw.Spec.Models
	var xs []string
	for _, m := range models {
		xs = append(xs, Short(m))
	}
	ceiling := make([]float64, len(models))
	for i := range ceiling {
		ceiling[i] = math.NaN()
	}
	var series []Series
	for wi, weak := range models {
		y := make([]float64, len(models))
		any := false
		for si, strong := range models {
			y[si] = math.NaN()
			if s, ok := cell(sw, weak, strong, loss); ok {
				y[si], any = s.Student, true
				ceiling[si] = s.Ceiling
			}
		}
		if any {
			// The supervisor's own accuracy starts its line.
			for _, s := range sw.Summary {
				if s.Weak == weak {
					y[wi] = s.Weak_
					break
				}
			}
			series = append(series, Series{Name: "weak " + Short(weak), Y: y})
		}
	}
	series = append(series, Series{Name: "strong ceiling (gold labels)", Y: ceiling, Dashed: true, Color: color.Black})
	return Lines(fmt.Sprintf("%s: students of each weak model (%s)", sw.Spec.Task, LossName(loss)), "strong model", "test accuracy", xs, series)
}

// PGRBars shows mean PGR per (weak → strong) pair, one bar per loss.
func PGRBars(sw *analysis.Sweep) (*Figure, error) {
	var pairs []string
	seen := map[string]bool{}
	for _, s := range sw.Summary {
		p := Short(s.Weak) + "→" + Short(s.Strong)
		if !seen[p] {
			seen[p] = true
			pairs = append(pairs, p)
		}
	}
	var series []Series
	for _, loss := range sw.Spec.Losses {
		y := make([]float64, len(pairs))
		for i := range y {
			y[i] = math.NaN()
		}
		for _, s := range sw.Summary {
			if LossName(s.Loss) != LossName(loss) {
				continue
			}
			for i, p := range pairs {
				if p == Short(s.Weak)+"→"+Short(s.Strong) {
					y[i] = s.PGR.Estimate
				}
			}
		}
		series = append(series, Series{Name: LossName(loss), Y: y})
	}
	defined, all := 0, 0
	for _, s := range series {
		for _, v := range s.Y {
			all++
			if !math.IsNaN(v) {
				defined++
			}
		}
	}
	title := sw.Spec.Task + ": PGR by loss (mean over seeds)"
	switch {
	case defined == 0:
		title += "\nall undefined: no ceiling beat its supervisor"
	case defined < all:
		title += "\nno bar: PGR undefined (ceiling ≤ weak)"
	}
	return Bars(title, "weak → strong", "PGR", pairs, series)
}

// AgreementVsSize shows, for students of one weak supervisor, how often
// they agree with it: overall, where it is right, where it is wrong.
func AgreementVsSize(sw *analysis.Sweep, weak, loss string) (*Figure, error) {
	var xs []string
	var all, right, wrong []float64
	weakAcc := math.NaN()
	for _, m := range sw.Spec.Models {
		if s, ok := cell(sw, weak, m, loss); ok {
			xs = append(xs, Short(m))
			all, right, wrong = append(all, s.Agreement), append(right, s.AgreeRight), append(wrong, s.AgreeWrong)
			weakAcc = s.Weak_
		}
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("no students of %s with loss %s in the sweep", weak, loss)
	}
	f, err := Lines(fmt.Sprintf("%s: agreement with weak %s (%s)", sw.Spec.Task, Short(weak), LossName(loss)), "student", "agreement with supervisor", xs,
		[]Series{{Name: "all test inputs", Y: all}, {Name: "supervisor right", Y: right}, {Name: "supervisor wrong", Y: wrong}})
	if err != nil {
		return nil, err
	}
	f.hline(weakAcc, len(xs), "weak accuracy", color.Gray{100}, true)
	return f, nil
}

// TrainingCurve plots a student's test accuracy during training, with the
// weak and ceiling accuracies, and marks honest and cheating early stops.
func TrainingCurve(es *analysis.EarlyStopping) (*Figure, error) {
	f := newFigure(fmt.Sprintf("student %s ← %s (%s)", Short(es.Strong), Short(es.Weak), LossName(es.Loss)), "training step", "test accuracy")
	var acc, agree plotter.XYs
	for _, p := range es.Curve {
		acc = append(acc, plotter.XY{X: float64(p.Step), Y: p.TestAcc})
		if !math.IsNaN(p.ValAccWeak) {
			agree = append(agree, plotter.XY{X: float64(p.Step), Y: p.ValAccWeak})
		}
	}
	addLine := func(pts plotter.XYs, name string, c color.Color, dashed bool) error {
		if len(pts) == 0 {
			return nil
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		l.Color, sc.Color = c, c
		sc.Shape = draw.CircleGlyph{}
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		f.Plot.Add(l, sc)
		f.Plot.Legend.Add(name, l)
		return nil
	}
	if err := addLine(acc, "gold test accuracy", Palette[0], false); err != nil {
		return nil, err
	}
	if err := addLine(agree, "val agreement with weak labels", Palette[2], true); err != nil {
		return nil, err
	}
	x0, x1 := acc[0].X, acc[len(acc)-1].X
	f.hlineFrom(es.WeakAcc, x0, x1, "weak supervisor", color.Gray{120}, true)
	f.hlineFrom(es.CeilingAcc, x0, x1, "strong ceiling", color.Black, true)
	mark := func(p analysis.StopPoint, name string, c color.Color, shape draw.GlyphDrawer) {
		sc, _ := plotter.NewScatter(plotter.XYs{{X: float64(p.Step), Y: p.TestAcc}})
		sc.Color, sc.Shape, sc.Radius = c, shape, vg.Points(6)
		f.Plot.Add(sc)
		f.Plot.Legend.Add(name, sc)
	}
	mark(es.Honest, "honest early stop", Palette[1], draw.BoxGlyph{})
	mark(es.Cheating, "cheating early stop (test labels)", Palette[3], draw.TriangleGlyph{})
	f.headroom(6)
	return f, nil
}

// PromptingChart compares prompting with finetuning across models.
func PromptingChart(pc *analysis.PromptingComparison) (*Figure, error) {
	var xs []string
	var zero, gold, weak, ftWeak, ftGold []float64
	for _, r := range pc.Rows {
		xs = append(xs, Short(r.Model))
		zero, gold, weak = append(zero, r.ZeroShot), append(gold, r.FewShotGold), append(weak, r.FewShotWeak)
		ftWeak, ftGold = append(ftWeak, r.FinetuneWeak), append(ftGold, r.FinetuneGold)
	}
	f, err := Lines(fmt.Sprintf("%s: prompting vs finetuning (weak %s)", pc.Task, Short(pc.Weak)), "model", "test accuracy", xs, []Series{
		{Name: "zero-shot", Y: zero}, {Name: fmt.Sprintf("%d-shot, gold labels", pc.K), Y: gold},
		{Name: fmt.Sprintf("%d-shot, weak labels", pc.K), Y: weak},
		{Name: "finetuned on weak labels", Y: ftWeak, Dashed: true}, {Name: "finetuned on gold labels", Y: ftGold, Dashed: true},
	})
	if err != nil {
		return nil, err
	}
	f.hline(pc.WeakAcc, len(xs), "weak supervisor", color.Gray{100}, true)
	return f, nil
}

// GenerativeChart compares accuracies and PGR with and without generative
// finetuning.
func GenerativeChart(gc *analysis.GenerativeComparison) (*Figure, error) {
	// All five on the examples of the training curves (see EarlyStopping).
	groups := []string{"weak", "student", "ceiling", "student, honest ES", "student, cheating ES"}
	row := func(es *analysis.EarlyStopping) []float64 {
		return []float64{es.WeakAcc, es.Final.TestAcc, es.CeilingAcc, es.Honest.TestAcc, es.Cheating.TestAcc}
	}
	f, err := Bars(fmt.Sprintf("%s: %s → %s, with/without generative finetuning", gc.Task, Short(gc.Weak), Short(gc.Strong)),
		"", "test accuracy", groups, []Series{{Name: "base models", Y: row(gc.PlainES)},
			{Name: "generatively finetuned", Y: row(gc.GenerativeES)}})
	if err != nil {
		return nil, err
	}
	f.Width = 8 * vg.Inch
	return f, nil
}

// SweepTable is a sweep's summary as an HTML table.
func SweepTable(sw *analysis.Sweep) *Table {
	t := &Table{Caption: fmt.Sprintf("%s at scale %s: means over %d seed(s); PGR with a 95%% bootstrap interval over seeds",
		sw.Spec.Task, sw.Spec.Scale, len(sw.Spec.Seeds)),
		Header: []string{"weak", "strong", "loss", "weak acc", "student acc", "ceiling acc", "PGR", "PGR (AUROC)", "agree", "agree | weak right", "agree | weak wrong"}}
	for _, s := range sw.Summary {
		pgr := s.PGR.String()
		if s.UndefinedPGR > 0 {
			pgr += fmt.Sprintf(" (%d undefined)", s.UndefinedPGR)
		}
		t.Rows = append(t.Rows, []string{Short(s.Weak), Short(s.Strong), LossName(s.Loss), F(s.Weak_), F(s.Student), F(s.Ceiling),
			pgr, s.PGRAUROC.String(), F(s.Agreement), F(s.AgreeRight), F(s.AgreeWrong)})
	}
	return t
}

// MedianPGR is the median over a sweep's pairs of the mean PGR, per loss,
// with how many pairs had a defined PGR.
func MedianPGR(sw *analysis.Sweep, loss string) (float64, int) {
	var v []float64
	for _, s := range sw.Summary {
		if LossName(s.Loss) == LossName(loss) && s.PGR.N > 0 {
			v = append(v, s.PGR.Estimate)
		}
	}
	return metrics.Median(v), len(v)
}

// BootstrapChart compares the weak model, direct weak→strong, the
// bootstrapped chain and the ceiling.
func BootstrapChart(bs *analysis.Bootstrapping) (*Figure, error) {
	var names []string
	for _, m := range bs.Chain {
		names = append(names, Short(m))
	}
	return Bars(fmt.Sprintf("bootstrapping %s (%s)", strings.Join(names, " → "), LossName(bs.Loss)), "", "test accuracy",
		[]string{"weak " + names[0], "direct " + names[0] + "→" + names[len(names)-1], "bootstrapped", "ceiling " + names[len(names)-1]},
		[]Series{{Name: "test accuracy", Y: []float64{bs.WeakAcc, bs.DirectAcc, bs.ChainAcc, bs.CeilingAcc}}})
}

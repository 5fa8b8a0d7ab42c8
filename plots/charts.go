package plots

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

func pt(x float64, iv metrics.Interval) Point {
	return Point{X: x, Y: float64(iv.Estimate), Low: float64(iv.Low), High: float64(iv.High)}
}

// models returns the sweep's models that appear as strong and as weak, with
// their parameter counts, ordered by size.
func sizes(sw *analysis.Sweep, loss losses.Spec) (weaks, strongs []string, params map[string]float64) {
	params = map[string]float64{}
	for _, s := range sw.Summary {
		if !s.Loss.Same(loss) {
			continue
		}
		if !slices.Contains(weaks, s.WeakModel) {
			weaks = append(weaks, s.WeakModel)
		}
		if !slices.Contains(strongs, s.StrongModel) {
			strongs = append(strongs, s.StrongModel)
		}
		params[s.WeakModel], params[s.StrongModel] = float64(s.WeakParams), float64(s.StrongParams)
	}
	bySize := func(ms []string) {
		sort.SliceStable(ms, func(i, j int) bool { return params[ms[i]] < params[ms[j]] })
	}
	bySize(weaks)
	bySize(strongs)
	return weaks, strongs, params
}

// computeAxis puts every model of ms on a log x axis by parameters,
// labelled "xl 2.4M".
func (f *Figure) computeAxis(ms []string, params map[string]float64) {
	var xs []float64
	var labels []string
	for _, m := range ms {
		xs = append(xs, params[m])
		labels = append(labels, fmt.Sprintf("%s\n%s", zoo.Short(m), Params(int(params[m]))))
	}
	f.logX(xs, labels)
	if l := f.Plot.X.Label.Text; strings.HasSuffix(l, ")") && !strings.Contains(l, "log scale") {
		f.Plot.X.Label.Text = strings.TrimSuffix(l, ")") + ", log scale)"
	}
}

// sideways returns x moved sideways by step k of n on a log axis, so the
// error bars of series at the same size stay apart (k from 0 to n−1,
// centred on x).
func sideways(x float64, k, n int) float64 {
	return x * math.Pow(1.06, float64(k)-float64(n-1)/2)
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, m := range b {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// AccuracyVsCompute is the paper's Fig. 3a–c: test accuracy against the
// strong student's size (non-embedding parameters, log scale). Each weak
// supervisor has a line, coloured on a ramp from the weakest (light) to
// the strongest (dark), starting at its own accuracy and running through
// its students; the gold-trained ceilings are the black line. Error bars
// are 95% intervals over test rows and seeds; the supervisors' points are
// offset sideways so that neighbouring bars stay apart.
func AccuracyVsCompute(sw *analysis.Sweep, loss losses.Spec) (*Figure, error) {
	f, err := accuracyChart(sw, []losses.Spec{loss})
	if err != nil {
		return nil, err
	}
	f.Plot.Title.Text = fmt.Sprintf("%s: weak-to-strong students (%s)", sw.Spec.Task, loss.Short())
	return f, nil
}

// AccuracyByLoss is the paper's Fig. 5a–c: AccuracyVsCompute with every loss
// of the sweep on the same axes, the first loss solid, the others dashed.
func AccuracyByLoss(sw *analysis.Sweep) (*Figure, error) {
	if len(sw.Spec.Losses) == 0 {
		return nil, fmt.Errorf("plots: the sweep has no losses")
	}
	f, err := accuracyChart(sw, sw.Spec.Losses)
	if err != nil {
		return nil, err
	}
	var names []string
	for i, l := range sw.Spec.Losses {
		names = append(names, fmt.Sprintf("%s %s", l.Short(), map[bool]string{true: "solid", false: "dashed"}[i == 0]))
	}
	f.Plot.Title.Text = fmt.Sprintf("%s: weak-to-strong students by loss (%s)", sw.Spec.Task, strings.Join(names, ", "))
	return f, nil
}

func accuracyChart(sw *analysis.Sweep, ls []losses.Spec) (*Figure, error) {
	weaks, strongs, params := sizes(sw, ls[0])
	if len(strongs) == 0 {
		return nil, fmt.Errorf("plots: the sweep has no results with loss %s", ls[0].Short())
	}
	f := newFigure("", "strong student (non-embedding parameters)", "test accuracy")
	f.computeAxis(union(weaks, strongs), params)
	n := len(weaks) * len(ls)
	for li, loss := range ls {
		for i, w := range weaks {
			var s Series
			s.Name, s.Color, s.Dashed = "supervisor "+zoo.Short(w), Ramp(i, len(weaks)), li > 0
			if len(ls) > 1 {
				s.Name += ", " + loss.Short()
			}
			k := li*len(weaks) + i
			first := true
			for _, st := range strongs {
				sum, ok := sw.Find(w, st, loss)
				if !ok {
					continue
				}
				if first { // the supervisor's own accuracy, at its own size
					p := pt(params[w], sum.WeakAcc)
					p.X = sideways(p.X, k, n)
					s.Points = append(s.Points, p)
					first = false
				}
				p := pt(params[st], sum.StudentAcc)
				p.X = sideways(p.X, k, n)
				s.Points = append(s.Points, p)
			}
			if err := f.add(s); err != nil {
				return nil, err
			}
		}
	}
	ceiling := Series{Name: "gold ceiling", Color: Black, Glyph: draw.SquareGlyph{}}
	for _, st := range strongs {
		for _, w := range weaks {
			if sum, ok := sw.Find(w, st, ls[0]); ok {
				ceiling.Points = append(ceiling.Points, pt(params[st], sum.CeilingAcc))
				break
			}
		}
	}
	if err := f.add(ceiling); err != nil {
		return nil, err
	}
	f.clampY(0, 1)
	f.Caption = sw.Caption() + ". Each coloured line starts at its supervisor's own accuracy; the supervisors' points are offset sideways so their intervals stay apart."
	return f, nil
}

// PGRVsCompute is the paper's Fig. 3d–f: performance gap recovered against
// the strong student's size, one line per weak supervisor (same colours as
// AccuracyVsCompute), PGR from seed-averaged accuracies with 95% intervals.
// Pairs whose gap is too small to measure have no point; the caption counts
// them.
func PGRVsCompute(sw *analysis.Sweep, loss losses.Spec) (*Figure, error) {
	weaks, strongs, params := sizes(sw, loss)
	if len(strongs) == 0 {
		return nil, fmt.Errorf("plots: the sweep has no results with loss %s", loss.Short())
	}
	f := newFigure(fmt.Sprintf("%s: performance gap recovered (%s)", sw.Spec.Task, loss.Short()), "strong student (non-embedding parameters)", "PGR")
	f.computeAxis(union(weaks, strongs), params) // the accuracy chart's axis, so the two panels line up
	missing, total := 0, 0
	for i, w := range weaks {
		s := Series{Name: "supervisor " + zoo.Short(w), Color: Ramp(i, len(weaks))}
		for _, st := range strongs {
			sum, ok := sw.Find(w, st, loss)
			if !ok {
				continue
			}
			total++
			if !sum.Measurable {
				missing++
				continue
			}
			p := pt(params[st], sum.PGR)
			p.X = sideways(p.X, i, len(weaks))
			s.Points = append(s.Points, p)
		}
		if err := f.add(s); err != nil {
			return nil, err
		}
	}
	lo, hi := f.Plot.X.Min, f.Plot.X.Max
	f.ref("", 0, lo, hi, metrics0Color, nil)
	f.ref("", 1, lo, hi, metrics0Color, []vg.Length{vg.Points(2), vg.Points(2)})
	f.Caption = fmt.Sprintf("%s. 0 = the student only matches its supervisor; 1 = as good as the gold ceiling.", sw.Caption())
	if missing > 0 {
		f.Caption += fmt.Sprintf(" %d of %d pairs have no point: their ceiling − supervisor gap is too small to measure (< %g standard errors).", missing, total, metrics.GapSEs)
	}
	if missing == total {
		f.Plot.Y.Min, f.Plot.Y.Max = -0.5, 1.5
	}
	return f, nil
}

var metrics0Color = Black

// LossComparison is the paper's Fig. 5: PGR against the strong student's
// size for the weakest supervisor (the largest gaps), one line per loss.
func LossComparison(sw *analysis.Sweep) (*Figure, error) {
	if len(sw.Spec.Losses) == 0 {
		return nil, fmt.Errorf("plots: the sweep has no losses")
	}
	weaks, strongs, params := sizes(sw, sw.Spec.Losses[0])
	if len(weaks) == 0 {
		return nil, fmt.Errorf("plots: empty sweep")
	}
	w := weaks[0]
	f := newFigure(fmt.Sprintf("%s: PGR of the students of %s, by loss", sw.Spec.Task, zoo.Short(w)), "strong student (non-embedding parameters)", "PGR")
	f.computeAxis(strongs, params)
	missing := 0
	for i, loss := range sw.Spec.Losses {
		s := Series{Name: loss.Short(), Color: Palette[i%len(Palette)], Dashed: i > 0}
		for _, st := range strongs {
			sum, ok := sw.Find(w, st, loss)
			if !ok {
				continue
			}
			if !sum.Measurable {
				missing++
				continue
			}
			p := pt(params[st], sum.PGR)
			p.X *= 1 + 0.04*float64(i) // side by side, so neither hides the other
			s.Points = append(s.Points, p)
		}
		if err := f.add(s); err != nil {
			return nil, err
		}
	}
	f.ref("", 0, f.Plot.X.Min, f.Plot.X.Max, Black, nil)
	f.Caption = sw.Caption() + fmt.Sprintf(". Supervisor %s; the losses' points are offset sideways to stay visible.", zoo.Short(w))
	if missing > 0 {
		f.Caption += fmt.Sprintf(" %d points missing: gap too small to measure.", missing)
	}
	return f, nil
}

// AgreementVsSize is the paper's Fig. 8: how often students agree with
// their supervisor on the test set, when the supervisor is right and when
// it is wrong, and on all rows, against student size, for one supervisor;
// its accuracy as a grey reference. With several losses they share the
// axes: the first solid, the others dashed, offset sideways.
func AgreementVsSize(sw *analysis.Sweep, weak string, ls ...losses.Spec) (*Figure, error) {
	if len(ls) == 0 {
		return nil, fmt.Errorf("plots: agreement: no loss given")
	}
	f := newFigure("", "strong student (non-embedding parameters)", "agreement with the supervisor")
	var used []string
	weakAcc := math.NaN()
	seedsOnly := false
	var series []Series
	n := 3 * len(ls)
	for li, loss := range ls {
		_, strongs, params := sizes(sw, loss)
		suffix := ""
		if len(ls) > 1 {
			suffix = " (" + loss.Short() + ")"
		}
		right := Series{Name: "supervisor right" + suffix, Color: Palette[0], Dashed: li > 0}
		wrong := Series{Name: "supervisor wrong" + suffix, Color: Palette[1], Dashed: li > 0}
		all := Series{Name: "all rows" + suffix, Color: Palette[2], Glyph: draw.TriangleGlyph{}, Dashed: li > 0}
		for _, st := range strongs {
			s, ok := sw.Find(weak, st, loss)
			if !ok {
				continue
			}
			if !slices.Contains(used, st) {
				used = append(used, st)
			}
			weakAcc = float64(s.WeakAcc.Estimate)
			seedsOnly = seedsOnly || s.AgreeSeedsOnly
			for k, x := range []struct {
				dst *Series
				iv  metrics.Interval
			}{{&right, s.AgreeRight}, {&wrong, s.AgreeWrong}, {&all, s.Agree}} {
				p := pt(params[st], x.iv)
				p.X = sideways(p.X, li*3+k, n)
				x.dst.Points = append(x.dst.Points, p)
			}
		}
		series = append(series, right, wrong, all)
		if li == 0 {
			if len(used) == 0 {
				return nil, fmt.Errorf("plots: no students of %s with %s", weak, loss.Short())
			}
			f.computeAxis(used, params)
		}
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Short())
	}
	f.Plot.Title.Text = fmt.Sprintf("%s: students' agreement with %s (%s)", sw.Spec.Task, zoo.Short(weak), strings.Join(names, " solid, ")+map[bool]string{true: "", false: " dashed"}[len(ls) == 1])
	for _, s := range series {
		if err := f.add(s); err != nil {
			return nil, err
		}
	}
	f.ref(fmt.Sprintf("supervisor accuracy %.3f", weakAcc), weakAcc, f.Plot.X.Min, f.Plot.X.Max, grey, []vg.Length{vg.Points(2), vg.Points(2)})
	f.clampY(0, 1)
	f.Caption = sw.Caption()
	if seedsOnly {
		f.Caption = sw.Scope() + "; means over seeds; the agreement intervals are 95% t intervals over the seeds' values" +
			" (these results lack per-row agreement, so test rows are not counted)"
	}
	if len(ls) > 1 {
		f.Caption += "; points offset sideways so their intervals stay apart"
	}
	return f, nil
}

var grey = color0(120)

// TrainingCurves is the paper's Fig. 7: the student's gold test accuracy
// during training against the fraction of its training done (sizes train
// for different numbers of steps), one line per strong student (mean over
// seeds), with where each early-stopping rule stops it — honest (○) and
// cheating (×): the mean over seeds of the stop's place and of the test
// accuracy there, with that accuracy's 95% interval — and the
// supervisor's and the ceilings' accuracies as references.
func TrainingCurves(ess ...*analysis.EarlyStopping) (*Figure, error) {
	if len(ess) == 0 {
		return nil, fmt.Errorf("plots: no training curves")
	}
	e0 := ess[0]
	f := newFigure(fmt.Sprintf("%s: students of %s during training (%s)", e0.Task, zoo.Short(e0.WeakModel), e0.Loss.Short()), "fraction of training done", "test accuracy")
	var spans []string
	for i, es := range ess {
		c := Ramp(i+1, len(ess)+1)
		// Mean curve over seeds, evaluation by evaluation (all seeds share the schedule).
		var mean Series
		mean.Name, mean.Color = "student "+zoo.Short(es.StrongModel), c
		for _, p := range es.Curve {
			mean.Points = append(mean.Points, pt(p.Fraction, p.Acc))
		}
		if err := f.add(mean); err != nil {
			return nil, err
		}
		var honestAt, cheatAt []float64
		for _, s := range es.Seeds {
			if len(s.Curve) == 0 || s.Curve[len(s.Curve)-1].Step <= 0 {
				continue
			}
			last := float64(s.Curve[len(s.Curve)-1].Step)
			honestAt = append(honestAt, float64(s.Honest.Step)/last)
			cheatAt = append(cheatAt, float64(s.Cheating.Step)/last)
		}
		if len(honestAt) == 0 {
			continue
		}
		honest := Series{Color: c, NoLine: true, Glyph: draw.RingGlyph{}, Radius: vg.Points(7), Points: []Point{pt(metrics.Mean(honestAt), es.Honest)}}
		cheat := Series{Color: c, NoLine: true, Glyph: draw.CrossGlyph{}, Radius: vg.Points(7), Points: []Point{pt(metrics.Mean(cheatAt), es.Cheating)}}
		if i == 0 {
			honest.Name, cheat.Name = "honest stop (mean of seeds)", "cheating stop (mean of seeds)"
		}
		if err := f.add(honest); err != nil {
			return nil, err
		}
		if err := f.add(cheat); err != nil {
			return nil, err
		}
		spans = append(spans, fmt.Sprintf("%s honest %.2f–%.2f, cheating %.2f–%.2f", zoo.Short(es.StrongModel),
			slices.Min(honestAt), slices.Max(honestAt), slices.Min(cheatAt), slices.Max(cheatAt)))
	}
	f.ref(fmt.Sprintf("supervisor %s: %.3f", zoo.Short(e0.WeakModel), e0.WeakAcc.Estimate), float64(e0.WeakAcc.Estimate), 0, 1, grey, []vg.Length{vg.Points(2), vg.Points(2)})
	for i, es := range ess {
		f.ref(fmt.Sprintf("ceiling %s: %.3f", zoo.Short(es.StrongModel), es.CeilingAcc.Estimate), float64(es.CeilingAcc.Estimate), 0, 1, Ramp(i+1, len(ess)+1), []vg.Length{vg.Points(6), vg.Points(2)})
	}
	f.Plot.X.Min, f.Plot.X.Max = 0, 1.02
	f.clampY(0, 1)
	f.Caption = fmt.Sprintf("%s: %d evaluations per training on %d test rows, %d seeds; lines are means, with %s; honest stop: %s; cheating stop: best test accuracy (uses test labels, an upper bound). "+
		"Each stop marker sits at the mean over seeds of where the rule stopped and of the test accuracy there; the seeds' stops span (fractions of training): %s.",
		e0.Task, e0.Evals, e0.Examples, len(e0.Seeds), analysis.IntervalNote, e0.Criterion, strings.Join(spans, "; "))
	return f, nil
}

// ChainChart is the paper's Fig. 4 as a dot plot: the supervisor, each
// link of the chain, the directly supervised student and the ceiling, with
// 95% intervals; no bar starts at zero to hide a difference.
func ChainChart(bs *analysis.Chain) (*Figure, error) {
	f := newFigure(fmt.Sprintf("%s: bootstrapping %s (%s)", bs.Task, analysis.ChainName(bs.Models), bs.Loss.Short()), "", "test accuracy")
	labels := []string{"supervisor\n" + zoo.Short(bs.Models[0])}
	values := []metrics.Interval{bs.ChainPGR.WeakAcc}
	for _, l := range bs.Links {
		labels = append(labels, "chain: "+zoo.Short(l.Student))
		values = append(values, l.StudentAcc)
	}
	labels = append(labels, "direct: "+zoo.Short(bs.Models[len(bs.Models)-1]), "ceiling\n"+zoo.Short(bs.Models[len(bs.Models)-1]))
	values = append(values, bs.DirectPGR.StudentAcc, bs.ChainPGR.CeilingAcc)
	f.Plot.NominalX(labels...)
	for i, v := range values {
		c := Palette[0]
		switch {
		case i == 0:
			c = grey
		case i == len(values)-1:
			c = Black
		case i == len(values)-2:
			c = Palette[1]
		}
		if err := f.add(Series{Color: c, NoLine: true, Points: []Point{pt(float64(i), v)}}); err != nil {
			return nil, err
		}
	}
	f.clampY(0, 1)
	f.LegendWidth = 0.2 * vg.Inch
	f.Caption = fmt.Sprintf("%s: %d test rows, seeds %v; the chain's students each learn from the previous one's labels on fresh data; "+
		"direct: the strong model learns from %s's labels on the chain's last half. Chain − direct: %s.",
		bs.Task, bs.Examples, bs.Seeds, zoo.Short(bs.Models[0]), bs.ChainMinusDirect)
	return f, nil
}

// FewShotChart is the paper's Fig. 6: test accuracy against model size for
// zero-shot and 5-shot prompting (gold and weak demonstrations) and for
// finetuning on weak and on gold labels.
func FewShotChart(pc *analysis.PromptingComparison) (*Figure, error) {
	f := newFigure(fmt.Sprintf("%s: prompting vs finetuning", pc.Task), "model (non-embedding parameters)", "test accuracy")
	var ms []string
	params := map[string]float64{}
	for _, r := range pc.Rows {
		ms = append(ms, r.Model)
		params[r.Model] = float64(r.Params)
	}
	f.computeAxis(ms, params)
	type col struct {
		name   string
		get    func(analysis.PromptRow) metrics.Interval
		dashed bool
	}
	cols := []col{
		{"zero-shot", func(r analysis.PromptRow) metrics.Interval { return r.ZeroShot }, true},
		{fmt.Sprintf("%d-shot, gold labels", pc.K), func(r analysis.PromptRow) metrics.Interval { return r.FewShotGold }, true},
		{fmt.Sprintf("%d-shot, weak labels", pc.K), func(r analysis.PromptRow) metrics.Interval { return r.FewShotWeak }, true},
		{"finetuned, weak labels", func(r analysis.PromptRow) metrics.Interval { return r.FinetuneWeak }, false},
		{"finetuned, gold labels", func(r analysis.PromptRow) metrics.Interval { return r.FinetuneGold }, false},
	}
	for i, c := range cols {
		s := Series{Name: c.name, Color: Palette[i%len(Palette)], Dashed: c.dashed}
		if c.name == "finetuned, gold labels" {
			s.Color = Black
		}
		for _, r := range pc.Rows {
			p := pt(params[r.Model], c.get(r))
			p.X *= 1 + 0.06*float64(i-2) // side by side: equal values stay visible
			s.Points = append(s.Points, p)
		}
		if err := f.add(s); err != nil {
			return nil, err
		}
	}
	f.ref(fmt.Sprintf("supervisor %s: %.3f", zoo.Short(pc.WeakModel), pc.WeakAcc.Estimate), float64(pc.WeakAcc.Estimate), f.Plot.X.Min, f.Plot.X.Max, grey, []vg.Length{vg.Points(2), vg.Points(2)})
	if pc.Majority > 0 {
		f.ref(fmt.Sprintf("always the majority class: %.3f", pc.Majority), pc.Majority, f.Plot.X.Min, f.Plot.X.Max, Palette[3], []vg.Length{vg.Points(1), vg.Points(3)})
	}
	f.clampY(0, 1)
	f.Caption = pc.Caption() + ". Series are offset sideways so equal values stay visible; a prompt that gives every query the same answer scores that class's share of the rows: the majority line, or below it for another class (on two classes, 1 − majority)."
	return f, nil
}

// MediansVsCompute is the median over tasks of PGR against the strong
// student's size, one line per (supervisor, loss): the paper's summary of
// NLP tasks.
func MediansVsCompute(ms []analysis.TaskMedian) (*Figure, error) {
	if len(ms) == 0 {
		return nil, fmt.Errorf("plots: no medians")
	}
	params := map[string]float64{}
	var weaks, strongs []string
	var lossList []losses.Spec
	for _, m := range ms {
		params[m.WeakModel], params[m.StrongModel] = float64(m.WeakParams), float64(m.StrongParams)
		if !slices.Contains(weaks, m.WeakModel) {
			weaks = append(weaks, m.WeakModel)
		}
		if !slices.Contains(strongs, m.StrongModel) {
			strongs = append(strongs, m.StrongModel)
		}
		if !slices.ContainsFunc(lossList, func(l losses.Spec) bool { return l.Same(m.Loss) }) {
			lossList = append(lossList, m.Loss)
		}
	}
	sort.SliceStable(weaks, func(i, j int) bool { return params[weaks[i]] < params[weaks[j]] })
	sort.SliceStable(strongs, func(i, j int) bool { return params[strongs[i]] < params[strongs[j]] })
	f := newFigure(fmt.Sprintf("median PGR over %d learnt tasks", ms[0].NTasks), "strong student (non-embedding parameters)", "PGR")
	f.computeAxis(strongs, params)
	n := len(lossList) * len(weaks)
	var counts []string
	for li, loss := range lossList {
		for wi, w := range weaks {
			k := li*len(weaks) + wi
			name := fmt.Sprintf("%s, supervisor %s", loss.Short(), zoo.Short(w))
			med := Series{Name: "median: " + name, Color: Ramp(wi, len(weaks)), NoLine: true, Glyph: draw.BoxGlyph{}, Radius: vg.Points(4.5)}
			if li > 0 {
				med.Glyph = draw.PyramidGlyph{}
			}
			dots := Series{Name: "each task: " + name, Color: Ramp(wi, len(weaks)), NoLine: true, Glyph: draw.RingGlyph{}, Radius: vg.Points(2.5)}
			for _, m := range ms {
				if m.WeakModel != w || !m.Loss.Same(loss) {
					continue
				}
				x := sideways(params[m.StrongModel], k, n)
				for _, p := range m.PGRs {
					if p.Defined() {
						dots.Points = append(dots.Points, Point{X: x, Y: float64(p), Low: math.NaN(), High: math.NaN()})
					}
				}
				if m.PGR.Defined() {
					med.Points = append(med.Points, Point{X: x, Y: float64(m.PGR), Low: float64(m.PGRInterval.Low), High: float64(m.PGRInterval.High)})
				}
				counts = append(counts, fmt.Sprintf("%s → %s (%s) %d of %d", zoo.Short(m.WeakModel), zoo.Short(m.StrongModel), m.Loss.Short(), m.PGRTasks, m.NTasks))
			}
			if err := f.add(dots); err != nil {
				return nil, err
			}
			if err := f.add(med); err != nil {
				return nil, err
			}
		}
	}
	lo, hi := f.Plot.X.Min, f.Plot.X.Max
	f.ref("", 0, lo, hi, Black, nil)
	f.ref("", 1, lo, hi, Black, []vg.Length{vg.Points(2), vg.Points(2)})
	f.Caption = fmt.Sprintf("%s. Rings: each task's PGR where its ceiling − supervisor gap is measurable (≥ %g standard errors); "+
		"squares (triangles for a second loss): the median over those tasks, with its 95%% interval; no line joins medians, which rest on different tasks. "+
		"Tasks per median: %s.",
		ms[0].Scope(), metrics.GapSEs, strings.Join(counts, ", "))
	var none []string
	for _, m := range ms {
		if !m.PGR.Defined() {
			none = append(none, fmt.Sprintf("%s → %s (%s)", zoo.Short(m.WeakModel), zoo.Short(m.StrongModel), m.Loss.Short()))
		}
	}
	if len(none) > 0 {
		f.Caption += fmt.Sprintf(" No point, as no task's gap is measurable: %s.", strings.Join(none, ", "))
	}
	if len(none) == len(ms) {
		f.Plot.Y.Min, f.Plot.Y.Max = -0.5, 1.5
	}
	return f, nil
}

package plots

import (
	"fmt"

	"gonum.org/v1/plot/vg"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// LabelErrorsChart shows, for each source of a student's labels (all as
// accurate as the supervisor's), the student's test accuracy and how often
// it repeats the labels' errors on its training rows, each with its 95%
// interval, beside the supervisor's and the ceiling's accuracy: which
// errors a student learns past and which it copies.
func LabelErrorsChart(le *analysis.LabelErrors) (*Figure, error) {
	if len(le.Sources) == 0 {
		return nil, fmt.Errorf("plots: no label sources")
	}
	f := newFigure(fmt.Sprintf("%s: students of %s on labels wrong in different ways", le.Task, zoo.Short(le.StrongModel)), "labels the student learnt from", "")
	var labels []string
	for _, s := range le.Sources {
		labels = append(labels, s.LabelSource.String())
	}
	f.Plot.NominalX(labels...)
	for k, part := range []struct {
		name string
		get  func(analysis.SourceResult) metrics.Interval
	}{
		{"student's test accuracy", func(s analysis.SourceResult) metrics.Interval { return s.Student }},
		{"student repeats its wrong labels (half B)", func(s analysis.SourceResult) metrics.Interval { return s.FitWrong }},
	} {
		series := Series{Name: part.name, Color: Palette[k], NoLine: true}
		for i, s := range le.Sources {
			p := pt(float64(i), part.get(s))
			p.X += 0.08 * float64(2*k-1) // side by side
			series.Points = append(series.Points, p)
		}
		if err := f.add(series); err != nil {
			return nil, err
		}
	}
	dash := []vg.Length{vg.Points(2), vg.Points(2)}
	f.ref(fmt.Sprintf("supervisor %s: %.3f", zoo.Short(le.WeakModel), le.WeakAcc.Estimate), float64(le.WeakAcc.Estimate), -0.5, float64(len(labels))-0.5, grey, dash)
	f.ref(fmt.Sprintf("ceiling %s: %.3f", zoo.Short(le.StrongModel), le.CeilingAcc.Estimate), float64(le.CeilingAcc.Estimate), -0.5, float64(len(labels))-0.5, Black, dash)
	f.clampY(0, 1)
	f.Caption = le.Caption() + ". Supervisor and ceiling are dashed lines; each source's two values are offset sideways."
	return f, nil
}

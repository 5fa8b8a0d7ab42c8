// Package plots draws the charts and tables of weak-to-strong experiments
// for notebooks: charts are gonum/plot figures rendered as SVG and shown
// as HTML (so they survive Jupyter's HTML export), or saved as PNG for the
// README; tables are HTML. Outside a notebook, Show does nothing.
package plots

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"io"
	"math"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Figure is a chart ready to render.
type Figure struct {
	Plot          *plot.Plot
	Width, Height vg.Length
}

// Palette of line colours (colour-blind friendly: Okabe–Ito).
var Palette = []color.Color{
	color.RGBA{0, 114, 178, 255}, color.RGBA{213, 94, 0, 255}, color.RGBA{0, 158, 115, 255},
	color.RGBA{204, 121, 167, 255}, color.RGBA{230, 159, 0, 255}, color.RGBA{86, 180, 233, 255},
	color.RGBA{0, 0, 0, 255},
}

func newFigure(title, x, y string) *Figure {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	// Browsers draw the SVG's text in their own fonts, often wider than the
	// metrics gonum lays out with: leave room.
	return &Figure{Plot: p, Width: 7 * vg.Inch, Height: 4.2 * vg.Inch}
}

// SVG renders the figure.
func (f *Figure) SVG() (string, error) {
	w, err := f.Plot.WriterTo(f.Width, f.Height, "svg")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// WriteTo renders the figure in format ("svg" or "png") to out.
func (f *Figure) WriteTo(out io.Writer, format string) error {
	w, err := f.Plot.WriterTo(f.Width, f.Height, format)
	if err != nil {
		return err
	}
	_, err = w.WriteTo(out)
	return err
}

// HTML is the figure's SVG wrapped for inline display.
func (f *Figure) HTML() (string, error) {
	svg, err := f.SVG()
	if err != nil {
		return "", err
	}
	// Drop the XML prolog: the SVG goes inside HTML.
	if i := strings.Index(svg, "<svg"); i > 0 {
		svg = svg[i:]
	}
	return `<div class="w2s-figure">` + svg + `</div>`, nil
}

// Show displays figures and tables in the notebook (no-op elsewhere).
// Errors are shown in place of a figure.
func Show(items ...interface{ HTML() (string, error) }) {
	for _, it := range items {
		h, err := it.HTML()
		if err != nil {
			h = fmt.Sprintf("<pre>plot error: %s</pre>", html.EscapeString(err.Error()))
		}
		gonbui.DisplayHTML(h)
	}
}

// Series is one line of a chart: y over nominal x positions (NaN skips).
type Series struct {
	Name   string
	Y      []float64
	Dashed bool
	Color  color.Color // default: the palette, in order
}

// lines adds series over nominal x labels as lines with points.
func (f *Figure) lines(xs []string, series []Series) error {
	f.Plot.NominalX(xs...)
	for i, s := range series {
		var pts plotter.XYs
		for j, y := range s.Y {
			if !math.IsNaN(y) {
				pts = append(pts, plotter.XY{X: float64(j), Y: y})
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		c := Palette[i%len(Palette)]
		if s.Color != nil {
			c = s.Color
		}
		l.Color, sc.Color = c, c
		l.Width = vg.Points(1.5)
		sc.Shape = draw.CircleGlyph{}
		sc.Radius = vg.Points(3)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		f.Plot.Add(l, sc)
		f.Plot.Legend.Add(s.Name, l, sc)
	}
	return nil
}

// Lines is a chart of series over nominal x labels.
func Lines(title, xLabel, yLabel string, xs []string, series []Series) (*Figure, error) {
	f := newFigure(title, xLabel, yLabel)
	if err := f.lines(xs, series); err != nil {
		return nil, err
	}
	f.headroom(len(series))
	return f, nil
}

// headroom raises the top of the y axis so a legend of n entries in the
// top-left corner does not cover the data.
func (f *Figure) headroom(n int) {
	lo, hi := f.Plot.Y.Min, f.Plot.Y.Max
	if hi > lo {
		f.Plot.Y.Max = hi + (hi-lo)*(0.12*float64(n)+0.05)
	}
}

// Bars is a grouped bar chart: groups along x, one bar per series.
func Bars(title, xLabel, yLabel string, groups []string, series []Series) (*Figure, error) {
	f := newFigure(title, xLabel, yLabel)
	f.Plot.NominalX(groups...)
	w := vg.Points(14)
	for i, s := range series {
		vals := make(plotter.Values, len(s.Y))
		for j, y := range s.Y {
			if !math.IsNaN(y) {
				vals[j] = y
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		b.Color = Palette[i%len(Palette)]
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(i)-float64(len(series)-1)/2) * w
		f.Plot.Add(b)
		f.Plot.Legend.Add(s.Name, b)
	}
	f.Plot.Add(zeroLine(len(groups)))
	f.Plot.Y.Min = math.Min(f.Plot.Y.Min, 0)
	f.headroom(len(series))
	return f, nil
}

// zeroLine marks y = 0 across n nominal positions.
func zeroLine(n int) plot.Plotter {
	return horizontal(0, -0.5, float64(n)-0.5, color.Gray{128}, vg.Points(0.5))
}

// horizontal is a solid line at y from x0 to x1.
func horizontal(y, x0, x1 float64, c color.Color, width vg.Length) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	l.Color, l.Width = c, width
	return l
}

// Table is an HTML table.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// HTML renders the table.
func (t *Table) HTML() (string, error) {
	var b strings.Builder
	b.WriteString(`<table class="w2s-table" style="border-collapse:collapse;font-family:sans-serif;font-size:13px">`)
	if t.Caption != "" {
		fmt.Fprintf(&b, `<caption style="text-align:left;font-weight:bold;padding:4px">%s</caption>`, html.EscapeString(t.Caption))
	}
	b.WriteString("<tr>")
	for _, h := range t.Header {
		fmt.Fprintf(&b, `<th style="border-bottom:1px solid #888;padding:3px 8px;text-align:right">%s</th>`, html.EscapeString(h))
	}
	b.WriteString("</tr>")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for _, c := range r {
			fmt.Fprintf(&b, `<td style="padding:3px 8px;text-align:right">%s</td>`, html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String(), nil
}

// Text is a paragraph of (escaped) text, for summaries generated from data.
type Text string

// HTML renders the paragraph.
func (t Text) HTML() (string, error) {
	return "<p style=\"font-family:sans-serif\">" + html.EscapeString(string(t)) + "</p>", nil
}

// F formats a number for tables: 3 decimals, "n/a" for NaN.
func F(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", x)
}

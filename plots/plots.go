// Package plots draws the charts and tables of weak-to-strong experiments
// for notebooks, in the grammar of Burns et al.'s figures: one x axis, the
// strong student's size (non-embedding parameters, log scale); one colour
// meaning per chart (the weak supervisor, on a sequential ramp from weakest
// to strongest); the gold ceiling in black; intervals as error bars; the
// legend beside the data, never on it. Charts are gonum/plot figures
// rendered as SVG and shown as HTML (so they survive Jupyter's HTML
// export), or written as PNG for the README; tables are HTML; chess
// positions are boards drawn as SVG directly (Board). Plots only draw:
// every number comes from package analysis.
package plots

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/w2s-lab/w2s/w2s/table"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is a chart ready to render: the plot, and its legend drawn in a
// column of its own to the right of the data.
type Figure struct {
	Plot          *plot.Plot
	Legend        plot.Legend
	Width, Height vg.Length
	LegendWidth   vg.Length
	// Caption says what the chart's numbers rest on (rows, seeds); it is
	// shown under the chart.
	Caption string
}

// Black is the gold ceiling's colour, as in the paper.
var Black = color.RGBA{0, 0, 0, 255}

// Palette of categorical colours (colour-blind friendly: Okabe–Ito), for
// charts whose series are not ordered by size.
var Palette = []color.Color{
	color.RGBA{0, 114, 178, 255}, color.RGBA{213, 94, 0, 255}, color.RGBA{0, 158, 115, 255},
	color.RGBA{204, 121, 167, 255}, color.RGBA{230, 159, 0, 255}, color.RGBA{86, 180, 233, 255},
}

// viridis anchors, from the colour map the paper's figures use.
var viridis = [][3]float64{{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}

// Ramp is the colour of item i of n ordered items (weakest first) on a
// sequential ramp: light for the weakest, dark for the strongest.
func Ramp(i, n int) color.Color {
	t := 0.0
	if n > 1 {
		t = float64(i) / float64(n-1)
	}
	t = 0.85 * (1 - t) // yellow-green (weak) … dark purple (strong), without the palest yellow
	seg := t * float64(len(viridis)-1)
	k := min(int(seg), len(viridis)-2)
	f := seg - float64(k)
	c := func(j int) uint8 { return uint8(viridis[k][j] + f*(viridis[k+1][j]-viridis[k][j])) }
	return color.RGBA{c(0), c(1), c(2), 255}
}

func newFigure(title, x, y string) *Figure {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Y.Tick.Marker = niceTicks{}
	p.Add(plotter.NewGrid())
	lg := plot.NewLegend()
	lg.Top, lg.Left = true, true
	lg.TextStyle.Font.Size = vg.Points(10)
	lg.Padding = vg.Points(3)
	// Browsers draw the SVG's text in their own fonts, often wider than the
	// metrics gonum lays out with: leave room.
	return &Figure{Plot: p, Legend: lg, Width: 7.9 * vg.Inch, Height: 4.2 * vg.Inch, LegendWidth: 2.3 * vg.Inch}
}

// draw renders the plot left of the legend's column.
func (f *Figure) draw(c draw.Canvas) {
	plotArea := draw.Crop(c, 0, -f.LegendWidth, 0, 0)
	f.Plot.Draw(plotArea)
	legendArea := draw.Crop(c, f.Width-f.LegendWidth+vg.Points(8), 0, 0, -vg.Points(24))
	f.Legend.Draw(legendArea)
}

// WriteTo renders the figure in format ("svg" or "png") to out.
func (f *Figure) WriteTo(out io.Writer, format string) error {
	switch format {
	case "svg":
		c := vgsvg.New(f.Width, f.Height)
		f.draw(draw.New(c))
		_, err := c.WriteTo(out)
		return err
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(110))
		f.draw(draw.New(c))
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(out)
		return err
	}
	return fmt.Errorf("plots: unknown format %q (svg or png)", format)
}

// SVG renders the figure.
func (f *Figure) SVG() (string, error) {
	var buf bytes.Buffer
	if err := f.WriteTo(&buf, "svg"); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// HTML is the figure's SVG, with its caption, wrapped for inline display.
func (f *Figure) HTML() (string, error) {
	svg, err := f.SVG()
	if err != nil {
		return "", err
	}
	// Drop the XML prolog: the SVG goes inside HTML.
	if i := strings.Index(svg, "<svg"); i > 0 {
		svg = svg[i:]
	}
	caption := ""
	if f.Caption != "" {
		caption = `<div style="font-family:sans-serif;font-size:12px;color:#444;max-width:760px">` + html.EscapeString(f.Caption) + `</div>`
	}
	return `<div class="w2s-figure">` + svg + caption + `</div>`, nil
}

// Show displays figures and tables in the notebook (no-op elsewhere).
// Errors are shown in place of a figure.
func Show(items ...interface{ HTML() (string, error) }) {
	for _, it := range items {
		h, err := it.HTML()
		if err != nil {
			h = "<pre>plots: " + html.EscapeString(err.Error()) + "</pre>"
		}
		if gonbui.IsNotebook {
			gonbui.DisplayHTML(h)
		}
	}
}

// Point is one measurement with its interval (Low, High: NaN for none).
type Point struct {
	X, Y, Low, High float64
}

// Series is a line of points with error bars.
type Series struct {
	Name   string
	Points []Point
	Color  color.Color
	Dashed bool
	Glyph  draw.GlyphDrawer // default a filled circle
	Width  vg.Length        // line width (default 1.5 points)
	Radius vg.Length        // glyph radius (default 3.5 points)
	NoLine bool             // points only
}

// add draws a series and enters it in the legend. Points with a NaN Y are
// skipped.
func (f *Figure) add(s Series) error {
	var pts plotter.XYs
	var errs plotter.YErrors
	var withErr plotter.XYs
	for _, p := range s.Points {
		if math.IsNaN(p.Y) || math.IsNaN(p.X) {
			continue
		}
		pts = append(pts, plotter.XY{X: p.X, Y: p.Y})
		if !math.IsNaN(p.Low) && !math.IsNaN(p.High) && p.High > p.Low {
			withErr = append(withErr, plotter.XY{X: p.X, Y: p.Y})
			errs = append(errs, struct{ Low, High float64 }{p.Y - p.Low, p.High - p.Y})
		}
	}
	if len(pts) == 0 {
		return nil
	}
	c := s.Color
	if c == nil {
		c = Palette[0]
	}
	var thumbs []plot.Thumbnailer
	if !s.NoLine && len(pts) > 1 {
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = c
		l.Width = vg.Points(1.5)
		if s.Width > 0 {
			l.Width = s.Width
		}
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		f.Plot.Add(l)
		thumbs = append(thumbs, l)
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	sc.Color, sc.Radius = c, vg.Points(3.5)
	if s.Radius > 0 {
		sc.Radius = s.Radius
	}
	sc.Shape = draw.CircleGlyph{}
	if s.Glyph != nil {
		sc.Shape = s.Glyph
	}
	f.Plot.Add(sc)
	thumbs = append(thumbs, sc)
	if len(withErr) > 0 {
		eb := &plotter.YErrorBars{XYs: withErr, YErrors: errs, LineStyle: draw.LineStyle{Color: c, Width: vg.Points(1)}, CapWidth: vg.Points(5)}
		f.Plot.Add(eb)
	}
	if s.Name != "" {
		f.Legend.Add(s.Name, thumbs...)
	}
	return nil
}

// ref draws a horizontal reference line from x0 to x1, entered in the
// legend.
func (f *Figure) ref(name string, y, x0, x1 float64, c color.Color, dashes []vg.Length) {
	if math.IsNaN(y) {
		return
	}
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return
	}
	l.Color, l.Width, l.Dashes = c, vg.Points(1.2), dashes
	f.Plot.Add(l)
	if name != "" {
		f.Legend.Add(name, l)
	}
}

// logX puts x on a log scale with a tick at each given value, labelled.
func (f *Figure) logX(xs []float64, labels []string) {
	f.Plot.X.Scale = plot.LogScale{}
	var ticks plot.ConstantTicks
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, x := range xs {
		if x <= 0 || math.IsNaN(x) {
			continue
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: labels[i]})
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	f.Plot.X.Tick.Marker = ticks
	if lo < hi {
		f.Plot.X.Min, f.Plot.X.Max = lo/1.35, hi*1.35
	} else if lo == hi {
		f.Plot.X.Min, f.Plot.X.Max = lo/2, hi*2
	}
}

// niceTicks label a value axis at round steps (1, 2, 2.5 or 5 times a
// power of ten) chosen for five or six labels, with an unlabelled tick
// halfway between: gonum's default picks steps like 0.16.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	mag := math.Pow(10, math.Floor(math.Log10(span/5)))
	step, best := mag, math.Inf(1)
	for _, m := range []float64{0.5, 1, 2, 2.5, 5, 10} { // the step giving closest to 5.5 labels
		n := math.Floor(hi/(m*mag)+1e-9) - math.Ceil(lo/(m*mag)-1e-9) + 1
		if d := math.Abs(n - 5.5); d < best {
			step, best = m*mag, d
		}
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	if r := step / math.Pow(10, -float64(decimals)); math.Abs(r-math.Round(r)) > 1e-6 {
		decimals++ // 0.25, 2.5
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo/step*2 - 1e-9); k/2*step <= hi+1e-9*span; k++ {
		v := k / 2 * step
		if math.Mod(k, 2) == 0 {
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v+0, 'f', decimals, 64)})
		} else {
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}

// clampY sets the y range to the data's, widened a little, within
// [lo, hi] (accuracies: [0, 1]).
func (f *Figure) clampY(lo, hi float64) {
	ymin, ymax := f.Plot.Y.Min, f.Plot.Y.Max
	pad := (ymax - ymin) * 0.08
	if pad == 0 {
		pad = 0.02
	}
	f.Plot.Y.Min, f.Plot.Y.Max = math.Max(lo, ymin-pad), math.Min(hi, ymax+pad)
}

// Params formats a parameter count for an axis: "77k", "2.4M".
func Params(n int) string {
	switch {
	case n >= 1e9:
		return trimZero(fmt.Sprintf("%.1fB", float64(n)/1e9))
	case n >= 1e6:
		return trimZero(fmt.Sprintf("%.1fM", float64(n)/1e6))
	case n >= 1e3:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func trimZero(s string) string { return strings.Replace(s, ".0", "", 1) }

// Table is a table value (header, rows, caption, notes) that renders
// itself as HTML (package table); analyses return them.
type Table = table.Table

// Text is a paragraph of (escaped) text, for sentences generated from data.
type Text string

// HTML renders the paragraph.
func (t Text) HTML() (string, error) {
	return "<p style=\"font-family:sans-serif;max-width:760px\">" + html.EscapeString(string(t)) + "</p>", nil
}

func color0(g uint8) color.Color { return color.Gray{g} }

// Pre is preformatted text, shown in a monospaced block in the same output
// stream as charts and tables, so it stays where the cell's code puts it.
type Pre string

// HTML renders the block.
func (p Pre) HTML() (string, error) {
	return `<pre style="font-size:12px;line-height:1.3">` + html.EscapeString(string(p)) + "</pre>", nil
}

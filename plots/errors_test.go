package plots

import (
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/analysis"
)

func TestLabelErrorsChart(t *testing.T) {
	le := &analysis.LabelErrors{Task: "sst2", WeakModel: "zoo/cpu/xxxs", StrongModel: "zoo/cpu/xl", Loss: "xent", Seeds: []uint64{0, 1}, Examples: 2693,
		WeakAcc: iv(0.62), CeilingAcc: iv(0.78)}
	for i, src := range analysis.DefaultLabelSources {
		le.Sources = append(le.Sources, analysis.SourceResult{LabelSource: src, Student: iv(0.65 + 0.01*float64(i)), FitWrong: iv(0.4 - 0.05*float64(i))})
	}
	f, err := LabelErrorsChart(le)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := f.SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"supervisor, hard", "random", "unsure", "repeats its wrong labels", "ceiling xl"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if !strings.Contains(f.Caption, "2693 test rows, seeds [0 1]") {
		t.Errorf("caption %q does not name its rows and seeds", f.Caption)
	}
	if _, err := LabelErrorsChart(&analysis.LabelErrors{}); err == nil {
		t.Error("a chart of no sources")
	}
}

package plots

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"text/tabwriter"
)

func TestTextTable(t *testing.T) {
	write := func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "weak\tstrong\tPGR [95% interval]\tchosen\t")
		fmt.Fprintln(tw, "xs\tm\tgap too small to measure\t*\t")
		fmt.Fprintln(tw, "xs\txl\t0.512 [0.301, 0.720]\t\t")
		tw.Flush()
		_, err := fmt.Fprintln(w, "sst2, scale cpu: 1821 test rows, seeds [0 1 2 3 4]")
		return err
	}
	got, err := TextTable(write)
	if err != nil {
		t.Fatal(err)
	}
	want := &Table{
		Caption: "sst2, scale cpu: 1821 test rows, seeds [0 1 2 3 4]",
		Header:  []string{"weak", "strong", "PGR [95% interval]", "chosen"},
		Rows:    [][]string{{"xs", "m", "gap too small to measure", "*"}, {"xs", "xl", "0.512 [0.301, 0.720]", ""}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TextTable = %+v, want %+v", got, want)
	}
	if _, err := TextTable(func(w io.Writer) error { _, err := io.WriteString(w, "just a caption\n"); return err }); err == nil ||
		!strings.Contains(err.Error(), "no table") {
		t.Errorf("a caption alone: err = %v, want 'no table'", err)
	}
}

// TestTextTableEmptyCells: an empty cell in the middle of a row leaves its
// column empty instead of pulling the cells after it one column left, for
// right- and left-aligned tables and cells wider than their header (runes,
// not bytes: "→" and "—" are one column each); a cell under no column is
// an error that names its line.
func TestTextTableEmptyCells(t *testing.T) {
	for _, flags := range []uint{tabwriter.AlignRight, 0} {
		write := func(w io.Writer) error {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', flags)
			fmt.Fprintln(tw, "pair\tmedian PGR\tPGR range\tbeat\t")
			fmt.Fprintln(tw, "xs → m\tno task measurable\t\t0 of 5\t")
			fmt.Fprintln(tw, "xs → xl\t0.319 (1 of 5 tasks)\t[0.319, 0.319]\t1 of 5\t")
			fmt.Fprintln(tw, "—\t\t\t—\t")
			return tw.Flush()
		}
		got, err := TextTable(write)
		if err != nil {
			t.Fatalf("flags %d: %v", flags, err)
		}
		want := [][]string{
			{"xs → m", "no task measurable", "", "0 of 5"},
			{"xs → xl", "0.319 (1 of 5 tasks)", "[0.319, 0.319]", "1 of 5"},
			{"—", "", "", "—"},
		}
		if !reflect.DeepEqual(got.Rows, want) {
			t.Errorf("flags %d: rows = %q, want %q", flags, got.Rows, want)
		}
	}
	bad := func(w io.Writer) error {
		_, err := io.WriteString(w, "  a      b      c\n  1   2\n")
		return err
	}
	if _, err := TextTable(bad); err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), `"2"`) {
		t.Errorf("a cell under no column: err = %v, want one naming line 2 and the cell", err)
	}
}

func TestPreOf(t *testing.T) {
	p, err := PreOf(func(w io.Writer) error { _, err := io.WriteString(w, "a  <b>\n"); return err })
	if err != nil {
		t.Fatal(err)
	}
	h, _ := p.HTML()
	if !strings.Contains(h, "<pre") || !strings.Contains(h, "a  &lt;b&gt;") {
		t.Errorf("PreOf HTML = %q", h)
	}
}

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

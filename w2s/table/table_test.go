package table

import (
	"strings"
	"testing"
)

func TestTextAndHTML(t *testing.T) {
	tb := &Table{Caption: "sst2, seeds [0 1]", Header: []string{"model", "acc", "PGR"},
		Rows: [][]string{{"xs", "0.674", "0.32 [−0.16, 0.76]"}, {"xl", "0.713", "gap too small"}}, Notes: []string{"a note"}}
	want := "model    acc  PGR\n" +
		"xs     0.674  0.32 [−0.16, 0.76]\n" +
		"xl     0.713  gap too small\n" +
		"a note\nsst2, seeds [0 1]\n"
	if got := tb.Text(); got != want {
		t.Errorf("text:\n%q\nwant\n%q", got, want)
	}
	h, err := tb.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`<caption`, `sst2, seeds [0 1]`, `<th style="border-bottom:1px solid #888;padding:3px 8px;text-align:right">acc</th>`,
		`text-align:left;vertical-align:top;max-width:420px">gap too small</td>`, `a note</p>`} {
		if !strings.Contains(h, w) {
			t.Errorf("HTML lacks %q:\n%s", w, h)
		}
	}
	esc := &Table{Header: []string{"<b>"}, Rows: [][]string{{"a & b"}}}
	if h, _ := esc.HTML(); strings.Contains(h, "<b>") || !strings.Contains(h, "a &amp; b") {
		t.Errorf("not escaped: %s", h)
	}
}

func TestNumeric(t *testing.T) {
	for cell, want := range map[string]bool{"0.674": true, "0.674 (0.995)": true, "0.319 [-0.164, 0.763]": true, "3 of 5": true,
		"−0.07": true, "12%": true, "xs": false, "gap too small": false, "0.3 (1 seed)": false, "1.5×": true, "": true} {
		if got := Numeric(cell); got != want {
			t.Errorf("Numeric(%q) = %v", cell, got)
		}
	}
}

// TestColumnsLineUpAsWholes: a column of numbers is right-aligned and
// unbroken; a column with any words in it (a sentence that starts with a
// number included) is left-aligned and wraps, header and all.
func TestColumnsLineUpAsWholes(t *testing.T) {
	tb := &Table{Header: []string{"claim", "PGR", "acc"}, Rows: [][]string{
		{"0 < PGR < 1 (students beat their supervisors)", "0.319 [-0.164, 0.763]", "0.674 (0.995)"},
		{"1 of 1 measurable pairs", "gap too small to measure (0.012 < 3 SE = 0.028)", "−0.004"},
	}}
	got, want := tb.numericColumns(), []bool{false, false, true}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("column %d (%s): numeric %v", i, tb.Header[i], got[i])
		}
	}
	h, _ := tb.HTML()
	if !strings.Contains(h, `text-align:left">claim</th>`) || !strings.Contains(h, `text-align:right">acc</th>`) {
		t.Errorf("headers not aligned with their columns: %s", h)
	}
	for cell, want := range map[string]bool{"0.5": true, "+3.4 points": false, "12%": true, "3.4/3.3": true, "no gap (-0.004)": false} {
		if Numeric(cell) != want {
			t.Errorf("Numeric(%q) = %v", cell, !want)
		}
	}
}

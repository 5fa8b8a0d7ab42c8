// Package table holds tables as values: a header, rows of cells, a caption
// naming what the numbers rest on, and notes below. Analyses return them;
// the command line renders them as aligned text, notebooks as HTML. Nothing
// renders a table by printing text and parsing it back.
package table

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Table is a table of text cells.
type Table struct {
	Caption string // what the numbers rest on: task, rows, seeds, intervals
	Header  []string
	Rows    [][]string
	Notes   []string // lines shown below the table (in text, after the caption)
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

// WriteText writes the table as aligned text: columns two spaces apart,
// numbers to the right and words to the left, then the notes and the
// caption, one line each.
func (t *Table) WriteText(w io.Writer) error {
	numeric := t.numericColumns()
	width := make([]int, len(numeric))
	for _, r := range append([][]string{t.Header}, t.Rows...) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range append([][]string{t.Header}, t.Rows...) {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if numeric[i] {
				line.WriteString(pad + c)
			} else if i < len(r)-1 {
				line.WriteString(c + pad)
			} else {
				line.WriteString(c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	for _, n := range t.Notes {
		b.WriteString(n + "\n")
	}
	if t.Caption != "" {
		b.WriteString(t.Caption + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Text is WriteText into a string.
func (t *Table) Text() string {
	var b strings.Builder
	t.WriteText(&b)
	return b.String()
}

// HTML renders the table with its caption below it and the notes after
// it; numeric columns line up on the right and do not wrap, others on the
// left and wrap.
func (t *Table) HTML() (string, error) {
	var b strings.Builder
	b.WriteString(`<table class="w2s-table" style="border-collapse:collapse;font-family:sans-serif;font-size:13px">`)
	if t.Caption != "" {
		fmt.Fprintf(&b, `<caption style="text-align:left;padding:4px;caption-side:bottom;color:#444;font-size:12px">%s</caption>`, html.EscapeString(t.Caption))
	}
	numeric := t.numericColumns()
	style := func(i int) string {
		if i < len(numeric) && numeric[i] {
			return numberStyle
		}
		return textStyle
	}
	b.WriteString("<tr>")
	for i, h := range t.Header {
		side := "left"
		if i < len(numeric) && numeric[i] {
			side = "right" // a header lines up with its column
		}
		fmt.Fprintf(&b, `<th style="border-bottom:1px solid #888;padding:3px 8px;text-align:%s">%s</th>`, side, html.EscapeString(h))
	}
	b.WriteString("</tr>")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for i, c := range r {
			fmt.Fprintf(&b, `<td style="padding:3px 8px;text-align:%s">%s</td>`, style(i), html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	for _, n := range t.Notes {
		fmt.Fprintf(&b, `<p style="font-family:sans-serif;font-size:12px;color:#444;margin:2px 0">%s</p>`, html.EscapeString(n))
	}
	return b.String(), nil
}

const (
	numberStyle = "right;vertical-align:top;white-space:nowrap"
	textStyle   = "left;vertical-align:top;max-width:420px"
)

// numericColumns says which columns hold only numbers: such a column lines
// up as a whole on the right; one with any cell that is not a number (a
// name, a sentence, a number followed by words) on the left.
func (t *Table) numericColumns() []bool {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = true
		for _, r := range t.Rows {
			if i < len(r) && !Numeric(r[i]) {
				out[i] = false
				break
			}
		}
	}
	return out
}

// Numeric reports whether a cell is a number, optionally with an interval
// or a parenthesised second number ("0.674 (0.995)", "0.319 [-0.164,
// 0.763]", "3 of 5").
func Numeric(cell string) bool {
	if cell == "" || cell == "–" || cell == "-" || cell == "—" {
		return true
	}
	for _, f := range strings.Fields(strings.ReplaceAll(cell, "/", " ")) {
		f = strings.Trim(f, "()[],%×")
		f = strings.TrimPrefix(strings.TrimPrefix(f, "−"), "+")
		if f == "of" {
			continue
		}
		if _, err := strconv.ParseFloat(f, 64); err != nil && f != "" {
			return false
		}
	}
	return true
}

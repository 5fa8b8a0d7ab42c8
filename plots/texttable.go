package plots

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"unicode"
)

// TextTable turns a table that write prints as aligned text (the Table
// methods of package analysis: a header line, one line per row, columns
// at least two spaces apart, then caption lines) into an HTML Table, so
// wide tables wrap in a notebook instead of running off its right edge.
// Lines with a single column become the caption. A row with empty cells
// is read by where its cells stand under the header (text/tabwriter lines
// every cell of a column up with the column's right edge, or its left one
// without AlignRight), so no value moves under another column's header; a
// cell that lines up with no column is an error naming its line.
func TextTable(write func(io.Writer) error) (*Table, error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return nil, err
	}
	t := &Table{}
	var header []span
	var caption []string
	for n, line := range strings.Split(buf.String(), "\n") {
		cells := spans(line)
		switch {
		case len(cells) == 0:
		case len(cells) == 1:
			caption = append(caption, cells[0].text)
		case header == nil:
			header = cells
			for _, c := range cells {
				t.Header = append(t.Header, c.text)
			}
		default:
			row, err := underHeader(header, cells)
			if err != nil {
				return nil, fmt.Errorf("plots.TextTable: line %d %q: %w", n+1, strings.TrimSpace(line), err)
			}
			t.Rows = append(t.Rows, row)
		}
	}
	if t.Header == nil {
		return nil, fmt.Errorf("plots.TextTable: no table in %q", buf.String())
	}
	t.Caption = strings.Join(caption, " ")
	return t, nil
}

// span is a cell of an aligned line: its text and the runes it covers,
// [start, end). text/tabwriter pads by runes, so positions count runes.
type span struct {
	text       string
	start, end int
}

// spans splits a line into cells separated by two or more spaces.
func spans(line string) []span {
	rs := []rune(strings.TrimRightFunc(line, unicode.IsSpace))
	var out []span
	for i := 0; i < len(rs); {
		for i < len(rs) && unicode.IsSpace(rs[i]) {
			i++
		}
		start := i
		for i < len(rs) && !(unicode.IsSpace(rs[i]) && (i+1 == len(rs) || unicode.IsSpace(rs[i+1]))) {
			i++
		}
		out = append(out, span{string(rs[start:i]), start, i})
	}
	return out
}

// underHeader places a row's cells in the header's columns: one cell per
// column as they come, else each cell under the column whose right (or
// left) edge it shares; columns with no cell are empty.
func underHeader(header, cells []span) ([]string, error) {
	row := make([]string, len(header))
	if len(cells) == len(header) {
		for i, c := range cells {
			row[i] = c.text
		}
		return row, nil
	}
	filled := make([]bool, len(header))
	for _, c := range cells {
		col := slices.IndexFunc(header, func(h span) bool { return h.end == c.end })
		if col < 0 {
			col = slices.IndexFunc(header, func(h span) bool { return h.start == c.start })
		}
		if col < 0 {
			return nil, fmt.Errorf("cell %q lines up with no column of the header", c.text)
		}
		if filled[col] {
			return nil, fmt.Errorf("two cells under column %q", header[col].text)
		}
		row[col], filled[col] = c.text, true
	}
	return row, nil
}

// Pre is preformatted text (a table whose lines are not all rows), shown
// in a monospaced block in the same output stream as charts and tables,
// so it stays where the cell's code puts it.
type Pre string

// HTML renders the block.
func (p Pre) HTML() (string, error) {
	return `<pre style="font-size:12px;line-height:1.3">` + html.EscapeString(string(p)) + "</pre>", nil
}

// PreOf is what write prints, as a Pre block.
func PreOf(write func(io.Writer) error) (Pre, error) {
	var buf bytes.Buffer
	err := write(&buf)
	return Pre(buf.String()), err
}

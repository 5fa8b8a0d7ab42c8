package plots

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
)

// cellGap separates the columns of a table aligned by text/tabwriter with
// a padding of two spaces.
var cellGap = regexp.MustCompile(`\s{2,}`)

// TextTable turns a table that write prints as aligned text (the Table
// methods of package analysis: a header line, one line per row, columns
// at least two spaces apart, then caption lines) into an HTML Table, so
// wide tables wrap in a notebook instead of running off its right edge.
// Lines with a single column become the caption.
func TextTable(write func(io.Writer) error) (*Table, error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return nil, err
	}
	t := &Table{}
	var caption []string
	for _, line := range strings.Split(buf.String(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		cells := cellGap.Split(line, -1)
		switch {
		case len(cells) < 2:
			caption = append(caption, line)
		case t.Header == nil:
			t.Header = cells
		default:
			for len(cells) < len(t.Header) {
				cells = append(cells, "")
			}
			t.Rows = append(t.Rows, cells)
		}
	}
	if t.Header == nil {
		return nil, fmt.Errorf("plots.TextTable: no table in %q", buf.String())
	}
	t.Caption = strings.Join(caption, " ")
	return t, nil
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

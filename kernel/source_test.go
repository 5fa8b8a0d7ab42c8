package kernel

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// moduleImport matches an import of this module's packages.
var moduleImport = regexp.MustCompile(`"github\.com/w2s-lab/w2s/[^"]*"`)

// TestNotebookSources: cells import this module's w2s and plots only, code
// lines fit in 100 characters (longer ones are cut off in the HTML
// export), the first code cell is the parameter cell, and the last shows
// the findings table and the plain-language paragraph drawn from it.
func TestNotebookSources(t *testing.T) {
	for _, path := range notebooks(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var nb struct {
			Cells []struct {
				CellType string   `json:"cell_type"`
				Source   []string `json:"source"`
			} `json:"cells"`
		}
		if err := json.Unmarshal(raw, &nb); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		name, first, last := filepath.Base(path), true, ""
		for i, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			src := strings.Join(c.Source, "")
			last = src
			if first && !strings.Contains(src, "// Parameters.") {
				t.Errorf("%s: the first code cell is not the parameter cell:\n%s", name, src)
			}
			first = false
			for _, imp := range moduleImport.FindAllString(src, -1) {
				if imp != `"github.com/w2s-lab/w2s/w2s"` && imp != `"github.com/w2s-lab/w2s/plots"` {
					t.Errorf("%s cell %d imports %s: notebooks import w2s and plots only", name, i, imp)
				}
			}
			for j, line := range strings.Split(src, "\n") {
				if n := len([]rune(strings.ReplaceAll(line, "\t", "    "))); n > 100 {
					t.Errorf("%s cell %d line %d: %d characters (at most 100)", name, i, j+1, n)
				}
			}
		}
		if !strings.Contains(last, "w2s.FindingsTable(") || !strings.Contains(last, "w2s.Conclusion(") {
			t.Errorf("%s: the last code cell does not end with the findings table and w2s.Conclusion:\n%s", name, last)
		}
	}
}

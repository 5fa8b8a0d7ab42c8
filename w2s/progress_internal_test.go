package w2s

import "testing"

// TestNestedSummaries: a summary opened inside another leaves the lines to
// the outer one and closes without clearing them.
func TestNestedSummaries(t *testing.T) {
	l := &collapsedLog{}
	outer := l.summary("outer")
	l.lines = append(l.lines, "trained a")
	inner := l.summary("inner")
	l.lines = append(l.lines, "trained b")
	inner()
	if l.depth != 1 || len(l.lines) != 2 {
		t.Fatalf("after the inner summary: depth %d, lines %q; want 1 and both lines", l.depth, l.lines)
	}
	outer()
	if l.depth != 0 || len(l.lines) != 0 {
		t.Fatalf("after the outer summary: depth %d, lines %q; want 0 and none", l.depth, l.lines)
	}
}

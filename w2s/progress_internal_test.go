package w2s

import (
	"slices"
	"testing"
)

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

func TestComputeTime(t *testing.T) {
	for _, c := range []struct {
		sec  float64
		want string
	}{
		{0.04, "40ms"},
		{12.34, "12.3s"},
		{59.96, "1 min"},
		{61, "1 min"},
		{3599, "1 h 00 min"},
		{3*3600 + 5*60 + 29, "3 h 05 min"},
	} {
		if got := computeTime(c.sec); got != c.want {
			t.Errorf("computeTime(%v) = %q, want %q", c.sec, got, c.want)
		}
	}
}

// TestFromStoreOncePerCall: a call read whole from the store is reported
// the first time only; another call still is.
func TestFromStoreOncePerCall(t *testing.T) {
	t.Setenv("GONB_TMP_DIR", "")
	l := &collapsedLog{}
	for i, c := range []struct {
		what string
		want bool
	}{{"sweep of sst2", true}, {"sweep of sst2", false}, {"sweep of imdb", true}, {"sweep of sst2", false}} {
		if got := l.firstFromStore(c.what); got != c.want {
			t.Errorf("call %d (%s): first %v, want %v", i, c.what, got, c.want)
		}
	}
}

// TestFromStoreOncePerNotebook: GoNB runs each cell in a new process; the
// kernel's temporary folder carries what was shown from one to the next.
func TestFromStoreOncePerNotebook(t *testing.T) {
	t.Setenv("GONB_TMP_DIR", t.TempDir())
	if !(&collapsedLog{}).firstFromStore("sweep of sst2") {
		t.Fatal("first cell: not shown")
	}
	if (&collapsedLog{}).firstFromStore("sweep of sst2") {
		t.Error("a later cell (a new process) shows the same call again")
	}
	if !(&collapsedLog{}).firstFromStore("sweep of imdb") {
		t.Error("another call is not shown")
	}
}

// TestCollapse: repeated log lines read once, in first-seen order, with
// their count.
func TestCollapse(t *testing.T) {
	got := collapse([]string{"a", "b", "a", "c", "a", "b"})
	want := []string{"a (×3)", "b (×2)", "c"}
	if !slices.Equal(got, want) {
		t.Errorf("collapse: %q, want %q", got, want)
	}
	if got := collapse(nil); len(got) != 0 {
		t.Errorf("collapse(nil): %q", got)
	}
}

package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestEntryState(t *testing.T) {
	for _, c := range []struct {
		e    Entry
		want string
	}{
		{Entry{}, "ok"},
		{Entry{Leftover: true, Err: errors.New("unfinished")}, "leftover"},
		{Entry{Err: errors.New("m.json: size 8")}, "corrupt: m.json: size 8"},
	} {
		if got := c.e.State(); got != c.want {
			t.Errorf("%+v: state %q, want %q", c.e, got, c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	u := Summarize([]Entry{{Kind: "b", Bytes: 1}, {Kind: "a", Bytes: 10}, {Kind: "b", Bytes: 100}})
	want := Usage{Kinds: []KindUsage{{"b", 2, 101}, {"a", 1, 10}}, Count: 3, Bytes: 111}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("got %+v, want %+v", u, want)
	}
	if u := Summarize(nil); u.Count != 0 || u.Bytes != 0 || len(u.Kinds) != 0 {
		t.Errorf("no entries: %+v", u)
	}
}

func TestDiskUsage(t *testing.T) {
	s, _ := Open(t.TempDir())
	s.Log = &bytes.Buffer{}
	defer s.Close()
	ctx := context.Background()
	for _, task := range []string{"a", "b"} {
		if _, err := s.Do(ctx, "metrics", 1, spec{Task: task}, func(dir string) error { return WriteJSON(dir, "m.json", 12345) }); err != nil {
			t.Fatal(err)
		}
	}
	leftover := filepath.Join(s.Root, "trained", ".tmp-deadbeef-1")
	os.MkdirAll(leftover, 0o755)
	os.WriteFile(filepath.Join(leftover, "x"), []byte("1234567"), 0o644)
	u, err := s.DiskUsage()
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := s.List("")
	var total int64
	for _, e := range entries {
		total += e.Bytes
	}
	if u.Count != 3 || u.Bytes != total || len(u.Kinds) != 2 || u.Kinds[0].Kind != "metrics" || u.Kinds[0].Count != 2 ||
		u.Kinds[1] != (KindUsage{"trained", 1, 7}) {
		t.Errorf("disk usage %+v of %d bytes in all", u, total)
	}
}

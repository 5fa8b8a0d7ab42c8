package stage

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

// TestResultNamesItsBackend: every artifact a runner computes records its
// backend (name, plugin, versions), and a result names the backends of the
// stages it reads: one when a backend made them all, each of them when the
// store mixed stages of two (stage keys do not include the backend).
func TestResultNamesItsBackend(t *testing.T) {
	testgate.Integration(t, "trains on two backends")
	weak, strong := tinyModels(t)
	ctx := context.Background()
	root := t.TempDir()
	r, _ := testRunner(t, "sst2", root, false)
	res, err := r.Run(ctx, weak, strong, "xent")
	if err != nil {
		t.Fatal(err)
	}
	label := backend.Describe(r.Backend).Label()
	if res.Backend != label || !strings.Contains(label, " on ") {
		t.Errorf("result backend %q, want %q", res.Backend, label)
	}
	entries, err := r.Store.List("")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Backend != label {
			t.Errorf("%s/%s made by %q, want %q", e.Kind, e.Key, e.Backend, label)
		}
	}
	ceiling, err := r.TrainCeiling(ctx, strong) // stored: returned at once
	if err != nil {
		t.Fatal(err)
	}
	// The ceiling as another backend would have stored it.
	path := filepath.Join(ceiling.Artifact.Dir, store.ManifestFile)
	raw, _ := os.ReadFile(path)
	var m map[string]any
	json.Unmarshal(raw, &m)
	m["backend"] = "go on go, GoMLX v0"
	raw, _ = json.Marshal(m)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	r2, _ := testRunner(t, "sst2", root, false)
	res2, err := r2.Run(ctx, weak, strong, "xent")
	if err != nil {
		t.Fatal(err)
	}
	if r2.Store.Made("") != 0 {
		t.Errorf("computed %d artifacts again", r2.Store.Made(""))
	}
	if want := madeBy(&store.Artifact{Manifest: store.Manifest{Backend: label}}, &store.Artifact{Manifest: store.Manifest{Backend: "go on go, GoMLX v0"}}); res2.Backend != want ||
		len(strings.Split(want, BackendSeparator)) != 2 {
		t.Errorf("mixed store: result backend %q, want %q", res2.Backend, want)
	}
}

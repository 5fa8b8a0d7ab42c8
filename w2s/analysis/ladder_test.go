package analysis

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"

	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// TestProbeBuiltLadderNeedsTheLadder: a scale whose ladder is nowhere to
// be found is reported with the command that builds it.
func TestProbeBuiltLadderNeedsTheLadder(t *testing.T) {
	t.Setenv("W2S_CACHE", t.TempDir())
	t.Setenv("W2S_ZOO_DIR", "")
	sess, err := stage.NewSession("gpu")
	if err != nil {
		t.Fatal(err)
	}
	sess.Log = io.Discard
	_, err = ProbeBuiltLadder(context.Background(), sess, "sst2", []uint64{0}, []string{"last"})
	if err == nil || !strings.Contains(err.Error(), "the gpu ladder is not built (w2s zoo build --scale gpu)") {
		t.Errorf("probe of an unbuilt ladder: %v", err)
	}
}

// TestProbeBuiltLadder probes the shipped ci ladder with one seed.
func TestProbeBuiltLadder(t *testing.T) {
	datatest.Require(t)
	if testing.Short() {
		t.Skip("trains a probe on each model of the ci ladder")
	}
	t.Setenv("W2S_CACHE", t.TempDir())
	t.Setenv("W2S_ZOO_DIR", "")
	s, _ := zoo.GetScale("ci")
	sess, err := stage.NewSession("ci")
	if err != nil {
		t.Fatal(err)
	}
	sess.Log = io.Discard
	rep, err := ProbeBuiltLadder(context.Background(), sess, "sst2", []uint64{0}, []string{"last"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rungs) != len(s.Sizes) || rep.Baselines == nil || len(rep.BeatsNGrams) != len(s.Sizes) || rep.TFIDF.N != 1 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Rungs {
		if p := r.Probe["last"]; p.N != 1 || !(p.Mean > 0 && p.Mean <= 1) {
			t.Errorf("%s: probe %v", r.Model, p)
		}
	}
}

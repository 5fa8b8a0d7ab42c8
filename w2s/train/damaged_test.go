package train

import (
	"bytes"
	gocontext "context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/backend"
)

// TestDamagedStateFallsBack: a run interrupted after step 8 (saves at 4
// and 8) whose last save is then damaged resumes from the save before and
// says so, ending exactly where an uninterrupted run ends; with both saves
// damaged it starts afresh and says so. (A truncated state used to be an
// error until the folder was removed.)
func TestDamagedStateFallsBack(t *testing.T) {
	cfg := Config{Steps: 12, LR: 5e-3, Warmup: 2, SaveEvery: 4, EvalEvery: 4, Seed: 5, WeightDecay: 0.1}
	eval := func(int) (map[string]float64, error) { return nil, nil }
	m, loss, batches := tinyLM(t, 2)
	ref, err := (&Trainer{Backend: backend.MustDefault(), Ctx: m.Ctx, Loss: loss, Config: cfg, Eval: eval}).Run(gocontext.Background(), batches)
	if err != nil {
		t.Fatal(err)
	}
	want := params(t, m)
	truncate := func(p string) error {
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(p, raw[:len(raw)/2], 0o644)
	}
	last := func(dir string) string { return filepath.Join(dir, tensorsFile(8)) }
	cases := []struct {
		name    string
		damage  func(dir string) error
		resumed int
		say     string
	}{
		{"last tensors truncated", func(dir string) error { return truncate(last(dir)) }, 4, "resuming from the save before, at step 4"},
		{"last JSON truncated", func(dir string) error { return truncate(filepath.Join(dir, StateJSON)) }, 4, "resuming from the save before, at step 4"},
		{"last tensors gone", func(dir string) error { return os.Remove(last(dir)) }, 4, "resuming from the save before, at step 4"},
		{"both truncated", func(dir string) error {
			return errors.Join(truncate(last(dir)), truncate(filepath.Join(dir, tensorsFile(4))))
		}, 0, "starting afresh"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := cfg
			cfg.Dir = filepath.Join(t.TempDir(), "state")
			m1, loss1, batches1 := tinyLM(t, 2)
			cctx, cancel := gocontext.WithCancel(gocontext.Background())
			tr1 := &Trainer{Backend: backend.MustDefault(), Ctx: m1.Ctx, Loss: loss1, Config: cfg,
				Eval: func(step int) (map[string]float64, error) {
					if step == 8 {
						cancel()
					}
					return nil, nil
				}}
			if _, err := tr1.Run(cctx, batches1); !errors.Is(err, gocontext.Canceled) {
				t.Fatalf("interrupted run: %v", err)
			}
			for _, f := range []string{StateJSON, StatePrevJSON, tensorsFile(4), tensorsFile(8)} {
				if _, err := os.Stat(filepath.Join(cfg.Dir, f)); err != nil {
					t.Fatalf("after the interrupted run: %v", err)
				}
			}
			if err := c.damage(cfg.Dir); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			m2, loss2, batches2 := tinyLM(t, 99) // a different init: what is not restored shows
			res, err := (&Trainer{Backend: backend.MustDefault(), Ctx: m2.Ctx, Loss: loss2, Config: cfg, Eval: eval, Log: &log}).Run(gocontext.Background(), batches2)
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			if res.ResumedFrom != c.resumed || !strings.Contains(log.String(), c.say) {
				t.Errorf("resumed from step %d, log %q; want step %d and %q", res.ResumedFrom, log.String(), c.resumed, c.say)
			}
			if res.Steps != cfg.Steps {
				t.Errorf("%d steps done, want %d", res.Steps, cfg.Steps)
			}
			if c.resumed > 0 && (!reflect.DeepEqual(losses(res.Curve), losses(ref.Curve)) || !reflect.DeepEqual(params(t, m2), want)) {
				t.Error("the resumed run differs from the uninterrupted one")
			}
		})
	}
}

package main

import (
	"testing"

	"github.com/w2s-lab/w2s/w2s/train"
)

// TestTrainDefaultsFollowSteps: with only --steps set, the warm-up and the
// evaluation interval follow it, and the configuration is valid (--steps
// 12 once failed on a default warm-up of 20); flags given are kept.
func TestTrainDefaultsFollowSteps(t *testing.T) {
	for _, c := range []struct {
		args                []string
		steps, warmup, eval int
	}{
		{[]string{"--steps", "1"}, 1, 0, 1},
		{[]string{"--steps", "12"}, 12, 0, 1},
		{[]string{"--steps", "30"}, 30, 2, 2},
		{nil, 300, 20, 25},
		{[]string{"--steps", "12", "--warmup", "3", "--eval-every", "5"}, 12, 3, 5},
	} {
		cmd := trainCmd()
		if err := cmd.ParseFlags(c.args); err != nil {
			t.Fatal(err)
		}
		fl := cmd.Flags()
		var cfg train.Config
		cfg.Steps, _ = fl.GetInt("steps")
		cfg.Warmup, _ = fl.GetInt("warmup")
		cfg.EvalEvery, _ = fl.GetInt("eval-every")
		cfg.LR, _ = fl.GetFloat64("lr")
		cfg.WeightDecay, _ = fl.GetFloat64("weight-decay")
		cfg.ClipNorm, _ = fl.GetFloat64("clip")
		followSteps(&cfg)
		if cfg.Steps != c.steps || cfg.Warmup != c.warmup || cfg.EvalEvery != c.eval {
			t.Errorf("%q: steps %d, warm-up %d, eval every %d; want %d, %d, %d", c.args, cfg.Steps, cfg.Warmup, cfg.EvalEvery, c.steps, c.warmup, c.eval)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%q: %v", c.args, err)
		}
	}
}

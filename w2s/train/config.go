// Package train runs gradient descent on the variables of a GoMLX context:
// AdamW with decoupled weight decay, linear warm-up then cosine decay,
// global-norm gradient clipping, gradient accumulation, evaluation through a
// callback every k steps, a progress display, a stop with an error naming
// the step on a non-finite loss, and resumable state on disk.
//
// A run is deterministic: batches come from a function of (step,
// micro-batch), dropout draws from a seeded generator, and the pure-Go
// backend computes the same numbers each time, so the same seed gives the
// same loss curve, and a resumed run continues exactly where it stopped.
package train

import (
	"fmt"
	"math"
)

// Config describes an optimisation run. Zero values take the defaults noted.
type Config struct {
	Steps  int     // optimizer steps (required)
	LR     float64 // peak learning rate (required)
	Warmup int     // linear warm-up steps (default 0)
	// Schedule after warm-up: "cosine" (default) decays to MinLR·LR at the
	// last step; "constant" holds LR.
	Schedule string
	MinLR    float64 // floor of the cosine, as a fraction of LR (default 0)

	WeightDecay float64 // decoupled, multiplied by the learning rate
	// DecayAll applies weight decay to every variable; by default only to
	// matrices (rank ≥ 2) other than the token and position embeddings, so
	// biases, LayerNorm parameters and embeddings are excluded.
	DecayAll bool
	Beta1    float64 // default 0.9
	Beta2    float64 // default 0.999
	Eps      float64 // default 1e-8
	ClipNorm float64 // clip the global gradient norm to this; 0 disables

	Accum     int // micro-batches per optimizer step (default 1)
	EvalEvery int // evaluate every k steps (0: only after the last step)
	// SaveEvery saves resumable state every k steps when Dir is set
	// (default: EvalEvery, else only at the end and on interruption).
	SaveEvery int
	Dir       string // folder for resumable state; "" keeps nothing on disk
	Seed      uint64 // seeds dropout
}

func (c Config) withDefaults() Config {
	if c.Schedule == "" {
		c.Schedule = "cosine"
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	if c.Accum == 0 {
		c.Accum = 1
	}
	if c.SaveEvery == 0 {
		c.SaveEvery = c.EvalEvery
	}
	return c
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Steps <= 0:
		return fmt.Errorf("train: Steps %d must be positive", c.Steps)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("train: LR %g must be positive and finite", c.LR)
	case c.Warmup < 0 || c.Warmup > c.Steps:
		return fmt.Errorf("train: Warmup %d must lie in [0, Steps=%d]", c.Warmup, c.Steps)
	case c.Schedule != "cosine" && c.Schedule != "constant":
		return fmt.Errorf("train: Schedule %q: want cosine or constant", c.Schedule)
	case c.MinLR < 0 || c.MinLR > 1:
		return fmt.Errorf("train: MinLR %g must lie in [0, 1]", c.MinLR)
	case c.WeightDecay < 0:
		return fmt.Errorf("train: WeightDecay %g must not be negative", c.WeightDecay)
	case c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1:
		return fmt.Errorf("train: Beta1 %g and Beta2 %g must lie in [0, 1)", c.Beta1, c.Beta2)
	case c.Eps <= 0:
		return fmt.Errorf("train: Eps %g must be positive", c.Eps)
	case c.ClipNorm < 0:
		return fmt.Errorf("train: ClipNorm %g must not be negative", c.ClipNorm)
	case c.Accum < 1:
		return fmt.Errorf("train: Accum %d must be at least 1", c.Accum)
	case c.EvalEvery < 0 || c.SaveEvery < 0:
		return fmt.Errorf("train: EvalEvery %d and SaveEvery %d must not be negative", c.EvalEvery, c.SaveEvery)
	}
	return nil
}

// LRAt is the learning rate of optimizer step (0-based): linear warm-up from
// LR/Warmup to LR over the first Warmup steps, then cosine decay from LR
// towards MinLR·LR, which it would reach one step after the last (as
// PyTorch's CosineAnnealingLR with T_max = Steps − Warmup), or constant.
func (c Config) LRAt(step int) float64 {
	c = c.withDefaults()
	if step < c.Warmup {
		return c.LR * float64(step+1) / float64(c.Warmup)
	}
	if c.Schedule == "constant" {
		return c.LR
	}
	progress := float64(step-c.Warmup) / float64(c.Steps-c.Warmup)
	floor := c.MinLR * c.LR
	return floor + (c.LR-floor)*0.5*(1+math.Cos(math.Pi*progress))
}

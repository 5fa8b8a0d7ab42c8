package train

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/internal/backendtest"
	"github.com/w2s-lab/w2s/w2s/model"
)

// TestBackendsAgree runs the same small GPT on the pure-Go backend and on
// XLA's CPU plugin: the LM logits, and the losses, gradient norms and
// parameters of the first training steps (AdamW with clipping) must agree
// within float32 tolerance.
func TestBackendsAgree(t *testing.T) {
	goB, xlaB := backendtest.Go(t), backendtest.XLA(t)
	cfg := model.Small(211, 16, 32, 2, 4)
	// Tensors live on one backend: each run makes its own batch.
	newBatch := func() []*tensors.Tensor { return lmBatch(cfg.VocabSize, 4, cfg.NPositions) }

	logits := func(b backends.Backend) []float32 {
		m, err := model.New(cfg, 3, dtypes.Float32)
		if err != nil {
			t.Fatal(err)
		}
		e := context.MustNewExec(b, m.Ctx, func(ctx *context.Context, ids, mask *Node) *Node {
			return model.LMLogits(ctx, model.Hidden(ctx, cfg, ids, mask, false))
		})
		batch := newBatch()
		return tensors.MustCopyFlatData[float32](e.MustExec(batch[0], batch[1])[0])
	}
	a, b := logits(goB), logits(xlaB)
	if d := maxDiff(a, b); d > 1e-4 {
		t.Errorf("LM logits differ by up to %.3g between pure Go and XLA", d)
	} else {
		t.Logf("LM logits: largest difference %.2g", d)
	}

	const steps = 5
	run := func(b backends.Backend) (*Result, map[string][]float32) {
		tr := lmTrainerOn(t, b, cfg, steps)
		tr.Config.LR = 3e-3
		batch := newBatch()
		res, err := tr.Run(t.Context(), func(int, int) ([]*tensors.Tensor, error) { return batch, nil })
		if err != nil {
			t.Fatal(err)
		}
		params := map[string][]float32{}
		for v := range tr.Ctx.IterVariables() {
			if v.Trainable && !isStateVar(v) {
				params[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](v.MustValue())
			}
		}
		return res, params
	}
	rg, pg := run(goB)
	rx, px := run(xlaB)
	for i := range steps {
		g, x := rg.Curve[i], rx.Curve[i]
		if math.Abs(g.Loss-x.Loss) > 1e-4*math.Max(1, math.Abs(g.Loss)) || math.Abs(g.GradNorm-x.GradNorm) > 1e-3*math.Max(1, g.GradNorm) {
			t.Errorf("step %d: loss %.6f / %.6f, gradient norm %.6f / %.6f (pure Go / XLA)", i+1, g.Loss, x.Loss, g.GradNorm, x.GradNorm)
		}
	}
	if rg.Curve[steps-1].Loss >= rg.Curve[0].Loss {
		t.Errorf("the loss did not fall: %.4f → %.4f", rg.Curve[0].Loss, rg.Curve[steps-1].Loss)
	}
	worst := 0.0
	for name, g := range pg {
		worst = math.Max(worst, maxDiff(g, px[name]))
	}
	if worst > 1e-4 {
		t.Errorf("parameters after %d steps differ by up to %.3g", steps, worst)
	}
	t.Logf("after %d steps: losses %.5f (pure Go) and %.5f (XLA); parameters differ by up to %.2g", steps, rg.Curve[steps-1].Loss, rx.Curve[steps-1].Loss, worst)
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

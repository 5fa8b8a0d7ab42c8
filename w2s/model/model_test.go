package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
)

func tiny(t *testing.T, head Head, labels int, dtype dtypes.DType) *Model {
	t.Helper()
	cfg := Small(20, 8, 12, 2, 3).WithHead(head, labels)
	m, err := New(cfg, 42, dtype)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func lmLogits(t *testing.T, m *Model, ids, mask [][]int32) [][][]float32 {
	t.Helper()
	exec := context.MustNewExec(backend.MustDefault(), m.Ctx, func(ctx *context.Context, ids, mask *Node) *Node {
		return LMLogits(ctx, Hidden(ctx, m.Config, ids, mask, false))
	})
	return exec.MustExec(ids, mask)[0].Value().([][][]float32)
}

func TestCausalAndPaddingInvariance(t *testing.T) {
	m := tiny(t, HeadLM, 0, dtypes.Float32)
	a := [][]int32{{1, 2, 3, 4, 5, 6, 7, 8}}
	b := [][]int32{{1, 2, 3, 4, 9, 9, 9, 9}} // same prefix, different future
	full := [][]int32{{1, 1, 1, 1, 1, 1, 1, 1}}
	half := [][]int32{{1, 1, 1, 1, 0, 0, 0, 0}}
	la, lb := lmLogits(t, m, a, full), lmLogits(t, m, b, full)
	lp := lmLogits(t, m, b, half)
	for pos := range 4 {
		for v := range 20 {
			if la[0][pos][v] != lb[0][pos][v] {
				t.Fatalf("position %d sees the future: %g vs %g", pos, la[0][pos][v], lb[0][pos][v])
			}
			if math.Abs(float64(la[0][pos][v]-lp[0][pos][v])) > 1e-6 {
				t.Fatalf("right padding changed position %d: %g vs %g", pos, la[0][pos][v], lp[0][pos][v])
			}
		}
	}
}

func TestLastTokenFromMaskNotTokenIDs(t *testing.T) {
	b := backend.MustDefault()
	// Hidden state h[b, t, :] = t, so the pooled value is the position picked.
	hidden := make([][][]float32, 3)
	for i := range hidden {
		hidden[i] = make([][]float32, 5)
		for pos := range hidden[i] {
			hidden[i][pos] = []float32{float32(pos), float32(10 * pos)}
		}
	}
	masks := [][]int32{{1, 1, 1, 1, 1}, {1, 1, 0, 0, 0}, {0, 0, 1, 1, 0}}
	got := MustExecOnce(b, func(h, m *Node) *Node { return LastToken(h, m) }, hidden, masks).Value().([][]float32)
	want := []float32{4, 1, 3}
	for i := range want {
		if got[i][0] != want[i] || got[i][1] != 10*want[i] {
			t.Errorf("sequence %d pooled position %v, want %v", i, got[i], want[i])
		}
	}
	mean := MustExecOnce(b, func(h, m *Node) *Node { return MeanTokens(h, m) }, hidden, masks).Value().([][]float32)
	for i, w := range []float32{2, 0.5, 2.5} { // mean of the real positions
		if mean[i][0] != w || mean[i][1] != 10*w {
			t.Errorf("sequence %d mean %v, want %v", i, mean[i], w)
		}
	}
}

func TestHeadsStartAtZeroAndProbeFreezes(t *testing.T) {
	m := tiny(t, HeadClassification, 3, dtypes.Float32)
	w, shape, err := m.Get("score.weight")
	if err != nil || shape[0] != 12 || shape[1] != 3 {
		t.Fatalf("score.weight %v %v", shape, err)
	}
	for _, x := range w {
		if x != 0 {
			t.Fatal("classification head must be zero-initialised")
		}
	}
	m.SetLinearProbe(true)
	trainable := 0
	for v := range m.Ctx.IterVariables() {
		if v.Trainable {
			trainable++
			if NameOf(v) != "score.weight" {
				t.Errorf("%s trainable under a linear probe", NameOf(v))
			}
		}
	}
	if trainable != 1 {
		t.Errorf("%d trainable variables under a linear probe, want 1", trainable)
	}
	r := tiny(t, HeadReward, 1, dtypes.Float32)
	exec := context.MustNewExec(backend.MustDefault(), r.Ctx, func(ctx *context.Context, ids, mask *Node) *Node {
		return HeadOutput(ctx, r.Config, Features(ctx, r.Config, ids, mask))
	})
	out := exec.MustExec([][]int32{{1, 2, 3}, {4, 5, 6}}, [][]int32{{1, 1, 1}, {1, 1, 0}})[0]
	if d := out.Shape().Dimensions; len(d) != 1 || d[0] != 2 {
		t.Errorf("reward output shape %v, want [2]", d)
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []Config{
		Small(0, 8, 12, 1, 3),
		Small(10, 8, 12, 1, 5),
		Small(10, 8, 12, 1, 3).WithHead(HeadClassification, 1),
		Small(10, 8, 12, 1, 3).WithHead(HeadReward, 2),
		Small(10, 8, 12, 1, 3).WithHead("regression", 1),
	}
	for i, c := range bad {
		if c.Validate() == nil {
			t.Errorf("config %d accepted: %+v", i, c)
		}
	}
	c := Small(5000, 64, 128, 2, 4)
	total, nonEmb := c.NumParams()
	if nonEmb != 2*(12*128*128+13*128)+2*128 || total != nonEmb+5000*128+64*128 {
		t.Errorf("NumParams = %d, %d", total, nonEmb)
	}
}

// TestModelGradient checks the gradient of the whole model's loss against
// finite differences for a sample of entries of every parameter (float64).
func TestModelGradient(t *testing.T) {
	b := backend.MustDefault()
	m := tiny(t, HeadClassification, 3, dtypes.Float64)
	// Give the zero head some weights so gradients reach the backbone.
	r := rand.New(rand.NewPCG(5, 6))
	head := make([]float32, 36)
	for i := range head {
		head[i] = float32(r.NormFloat64())
	}
	if err := m.Set("score.weight", head); err != nil {
		t.Fatal(err)
	}
	ids := [][]int32{{3, 1, 4, 1, 5}, {9, 2, 6, 5, 0}}
	mask := [][]int32{{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}}
	labels := [][]float64{{0.2, 0.5, 0.3}, {1, 0, 0}}
	lossOf := func(ctx *context.Context, ids, mask, labels *Node) *Node {
		logits := HeadOutput(ctx, m.Config, Features(ctx, m.Config, ids, mask))
		lm := LMLoss(ctx, m.Config, ids, mask, ids, mask, false) // exercise the tied LM head too
		return Add(Neg(ReduceAllMean(ReduceSum(Mul(labels, LogSoftmax(logits, -1)), -1))), lm)
	}
	var names []string
	gradExec := context.MustNewExec(b, m.Ctx, func(ctx *context.Context, ids, mask, labels *Node) []*Node {
		loss := lossOf(ctx, ids, mask, labels)
		var vals []*Node
		names = names[:0]
		for v := range ctx.IterVariables() {
			vals = append(vals, v.ValueGraph(loss.Graph()))
			names = append(names, NameOf(v))
		}
		return Gradient(loss, vals...)
	})
	grads := gradExec.MustExec(ids, mask, labels)
	lossExec := context.MustNewExec(b, m.Ctx, lossOf)
	loss := func() float64 { return tensors.ToScalar[float64](lossExec.MustExec(ids, mask, labels)[0]) }
	const eps = 1e-6
	for k, name := range names {
		g := tensors.MustCopyFlatData[float64](grads[k])
		v, shape, _ := m.Get(name)
		orig := tensors.MustCopyFlatData[float64](getTensor(m, name))
		for trial := range 3 {
			i := r.IntN(len(v))
			p := append([]float64{}, orig...)
			p[i] += eps
			setTensor(m, name, p, shape)
			up := loss()
			p[i] -= 2 * eps
			setTensor(m, name, p, shape)
			down := loss()
			setTensor(m, name, orig, shape)
			numeric := (up - down) / (2 * eps)
			if math.Abs(numeric-g[i]) > 1e-6+1e-5*math.Abs(numeric) {
				t.Errorf("%s[%d] (trial %d): gradient %.9g, finite differences %.9g", name, i, trial, g[i], numeric)
			}
		}
	}
}

func getTensor(m *Model, name string) *tensors.Tensor {
	scope, vname := scopeOf(name)
	return m.Ctx.GetVariableByScopeAndName(scope, vname).MustValue()
}

func setTensor(m *Model, name string, data []float64, shape []int) {
	scope, vname := scopeOf(name)
	if err := m.Ctx.GetVariableByScopeAndName(scope, vname).SetValue(tensors.FromFlatDataAndDimensions(data, shape...)); err != nil {
		panic(err)
	}
}

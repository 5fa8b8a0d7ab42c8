package nn

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Linear returns x·w + b for x of shape [..., in], w of shape [in, out] (the
// Conv1D layout of GPT-2 checkpoints) and b of shape [out] (or nil).
func Linear(x, w, b *graph.Node) *graph.Node {
	y := MatMul(x, w, false, false)
	if b != nil {
		y = graph.Add(y, graph.ExpandLeftToRank(b, y.Rank()))
	}
	return y
}

// LayerNorm normalises the last axis of x to zero mean and unit variance,
// then scales by gain and shifts by bias (both shaped like the last axis).
func LayerNorm(x, gain, bias *graph.Node, eps float64) *graph.Node {
	axis := x.Rank() - 1
	mean := graph.ReduceAndKeep(x, graph.ReduceMean, axis)
	centered := graph.Sub(x, mean)
	variance := graph.ReduceAndKeep(graph.Square(centered), graph.ReduceMean, axis)
	normed := graph.Div(centered, graph.Sqrt(graph.AddScalar(variance, eps)))
	return graph.Add(graph.Mul(normed, graph.ExpandLeftToRank(gain, x.Rank())), graph.ExpandLeftToRank(bias, x.Rank()))
}

// GELU is the tanh approximation used by GPT-2 ("gelu_new"):
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func GELU(x *graph.Node) *graph.Node {
	inner := graph.MulScalar(graph.Add(x, graph.MulScalar(graph.Mul(x, graph.Square(x)), 0.044715)), math.Sqrt(2/math.Pi))
	return graph.Mul(graph.MulScalar(x, 0.5), graph.OnePlus(graph.Tanh(inner)))
}

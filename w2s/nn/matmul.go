// Package nn holds the graph-level building blocks of our models: matrix
// products whose gradients are matrix products, linear layers, layer norm and
// GELU.
//
// GoMLX v0.26.0 differentiates DotGeneral by broadcasting both operands to
// [batch, m, n, k] and reducing, which exhausts memory on a modest language
// model (three training steps of a 2-layer, width-128 model at batch 32 × 64
// tokens ran past 24 GiB). Every product in this
// project goes through MatMul, whose vector-Jacobian products are themselves
// matrix products.
package nn

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// MatMul returns op(a)·op(b), where op transposes the last two axes when the
// matching flag is set. Leading axes are batch axes and must agree between a
// and b, except that b may be rank 2 while a has any rank ≥ 2: then a's
// leading axes are flattened into rows (a linear layer).
//
// The gradients with respect to a and b are computed as matrix products.
func MatMul(a, b *graph.Node, transA, transB bool) *graph.Node {
	if a.Rank() < 2 || b.Rank() < 2 {
		panic(fmt.Sprintf("nn.MatMul: operands need rank ≥ 2, got %s and %s", a.Shape(), b.Shape()))
	}
	if b.Rank() == 2 && a.Rank() > 2 {
		if transA {
			panic("nn.MatMul: transA with a rank-2 right operand is not supported")
		}
		dims := a.Shape().Dimensions
		rows := 1
		for _, d := range dims[:len(dims)-1] {
			rows *= d
		}
		out := MatMul(graph.Reshape(a, rows, dims[len(dims)-1]), b, false, transB)
		outDims := append(append([]int{}, dims[:len(dims)-1]...), out.Shape().Dimensions[1])
		return graph.Reshape(out, outDims...)
	}
	if a.Rank() != b.Rank() {
		panic(fmt.Sprintf("nn.MatMul: ranks differ: %s and %s", a.Shape(), b.Shape()))
	}
	value := matmul(graph.StopGradient(a), graph.StopGradient(b), transA, transB)
	return WithGradient(value, []*graph.Node{a, b}, func(g *graph.Node) []*graph.Node {
		var da, db *graph.Node
		if !transA {
			da = matmul(g, b, false, !transB)
		} else {
			da = matmul(b, g, transB, true)
		}
		if !transB {
			db = matmul(a, g, !transA, false)
		} else {
			db = matmul(g, a, true, transA)
		}
		return []*graph.Node{da, db}
	})
}

// matmul is the forward product, with no custom gradient. It is used inside
// gradient functions, which are never differentiated again.
func matmul(a, b *graph.Node, transA, transB bool) *graph.Node {
	rank := a.Rank()
	batch := make([]int, rank-2)
	for i := range batch {
		batch[i] = i
	}
	aContract, bContract := rank-1, rank-2
	if transA {
		aContract = rank - 2
	}
	if transB {
		bContract = rank - 1
	}
	return graph.DotGeneral(a, []int{aContract}, batch, b, []int{bContract}, batch)
}

// WithGradient returns a node equal to value whose vector-Jacobian product
// with respect to inputs is given by vjp: called with the gradient arriving at
// the returned node, it returns one gradient per input, shaped like it (nil
// for an input that gets none). value must not depend on inputs through any
// path that carries gradients (wrap them in StopGradient).
//
// GoMLX exposes custom gradients only for single-input identities, so the
// wiring is: the returned node is an identity that records the arriving
// gradient; each input reaches it through a zero-valued link whose custom
// gradient returns vjp's answer. Reverse-mode differentiation visits the
// output before its inputs, so the record is set when the links ask for it.
func WithGradient(value *graph.Node, inputs []*graph.Node, vjp func(g *graph.Node) []*graph.Node) *graph.Node {
	var arriving *graph.Node
	var grads []*graph.Node
	gradient := func(i int) *graph.Node {
		if arriving == nil {
			panic("nn.WithGradient: input gradient requested before the output gradient arrived")
		}
		if grads == nil {
			grads = vjp(arriving)
			if len(grads) != len(inputs) {
				panic(fmt.Sprintf("nn.WithGradient: vjp returned %d gradients for %d inputs", len(grads), len(inputs)))
			}
		}
		if grads[i] == nil {
			return graph.ZerosLike(inputs[i])
		}
		return grads[i]
	}
	g := value.Graph()
	var link *graph.Node
	for i, in := range inputs {
		carrier := graph.IdentityWithCustomGradient(in, func(_, _ *graph.Node) *graph.Node { return gradient(i) })
		term := graph.ConvertDType(graph.ReduceAllSum(carrier), value.DType())
		if link == nil {
			link = term
		} else {
			link = graph.Add(link, term)
		}
	}
	// The link's value is exactly zero whatever the inputs hold (Where, not a
	// multiplication by zero, so an infinite sum cannot turn into NaN).
	link = graph.Where(graph.Const(g, false), link, graph.ZerosLike(link))
	out := graph.Add(graph.StopGradient(value), link)
	return graph.IdentityWithCustomGradient(out, func(_, v *graph.Node) *graph.Node {
		arriving = v
		grads = nil
		return v
	})
}

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/w2s-lab/w2s/w2s/internal/backendtest"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/w2s-lab/w2s/w2s/backend"
)

func randTensor(r *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float64, n)
	for i := range data {
		data[i] = r.NormFloat64()
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// checkGradient compares the gradients of sum(f(inputs)·w), w a fixed random
// weighting of f's output, with central finite differences, in float64.
func checkGradient(t *testing.T, b backends.Backend, name string, f func(in []*graph.Node) *graph.Node, inputs ...*tensors.Tensor) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 11))
	// Output weighting: shape unknown until f is built, so draw it lazily in graph.
	var weight *tensors.Tensor
	outShape := graph.MustExecOnceN(b, func(in []*graph.Node) *graph.Node { return f(in) }, anys(inputs)...)[0].Shape()
	weight = randTensor(r, outShape.Dimensions...)
	scalar := func(in []*graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Mul(f(in[:len(in)-1]), in[len(in)-1]))
	}
	args := append(anys(inputs), weight)
	analytic := graph.MustExecOnceN(b, func(in []*graph.Node) []*graph.Node {
		return graph.Gradient(scalar(in), in[:len(in)-1]...)
	}, args...)
	value := graph.MustNewExec(b, func(in []*graph.Node) *graph.Node { return scalar(in) })
	const eps = 1e-5
	for k, x := range inputs {
		flat := tensors.MustCopyFlatData[float64](x)
		grad := tensors.MustCopyFlatData[float64](analytic[k])
		for i := range flat {
			eval := func(delta float64) float64 {
				p := append([]float64{}, flat...)
				p[i] += delta
				in := append([]any{}, args...)
				in[k] = tensors.FromFlatDataAndDimensions(p, x.Shape().Dimensions...)
				return tensors.ToScalar[float64](value.MustExec(in...)[0])
			}
			numeric := (eval(eps) - eval(-eps)) / (2 * eps)
			if diff := math.Abs(numeric - grad[i]); diff > 1e-6*math.Max(1, math.Abs(numeric)) {
				t.Errorf("%s: d/d input%d[%d]: analytic %.9g, finite differences %.9g", name, k, i, grad[i], numeric)
				return
			}
		}
	}
}

func anys(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

func TestMatMulGradients(t *testing.T) { backendtest.Each(t, testMatMulGradients) }

func testMatMulGradients(t *testing.T, be backends.Backend) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, transA := range []bool{false, true} {
		for _, transB := range []bool{false, true} {
			a := []int{2, 3, 4} // [batch, m, k]
			if transA {
				a = []int{2, 4, 3}
			}
			b := []int{2, 4, 5} // [batch, k, n]
			if transB {
				b = []int{2, 5, 4}
			}
			name := fmt.Sprintf("MatMul(transA=%v,transB=%v)", transA, transB)
			checkGradient(t, be, name, func(in []*graph.Node) *graph.Node {
				return MatMul(in[0], in[1], transA, transB)
			}, randTensor(r, a...), randTensor(r, b...))
		}
	}
	// Rank-2 weights under a rank-3 input: a linear layer.
	checkGradient(t, be, "MatMul(rank3, rank2)", func(in []*graph.Node) *graph.Node {
		return MatMul(in[0], in[1], false, false)
	}, randTensor(r, 2, 3, 4), randTensor(r, 4, 5))
	checkGradient(t, be, "MatMul(rank3, rank2ᵀ)", func(in []*graph.Node) *graph.Node {
		return MatMul(in[0], in[1], false, true)
	}, randTensor(r, 2, 3, 4), randTensor(r, 6, 4))
	// An operand used twice, and a product feeding a product.
	checkGradient(t, be, "MatMul chain", func(in []*graph.Node) *graph.Node {
		h := MatMul(in[0], in[1], false, false)
		return MatMul(graph.Tanh(h), in[0], true, false)
	}, randTensor(r, 3, 4), randTensor(r, 4, 4))
}

func TestMatMulValue(t *testing.T) {
	b := backend.MustDefault()
	got := graph.MustExecOnce(b, func(x, y *graph.Node) *graph.Node { return MatMul(x, y, false, true) },
		[][]float32{{1, 2}, {3, 4}}, [][]float32{{5, 6}, {7, 8}, {9, 10}})
	want := [][]float32{{17, 23, 29}, {39, 53, 67}}
	if fmt.Sprint(got.Value()) != fmt.Sprint(want) {
		t.Fatalf("MatMul = %v, want %v", got.Value(), want)
	}
}

func TestLayerGradients(t *testing.T) { backendtest.Each(t, testLayerGradients) }

func testLayerGradients(t *testing.T, be backends.Backend) {
	r := rand.New(rand.NewPCG(3, 4))
	checkGradient(t, be, "Linear", func(in []*graph.Node) *graph.Node { return Linear(in[0], in[1], in[2]) },
		randTensor(r, 2, 3, 4), randTensor(r, 4, 5), randTensor(r, 5))
	checkGradient(t, be, "LayerNorm", func(in []*graph.Node) *graph.Node { return LayerNorm(in[0], in[1], in[2], 1e-5) },
		randTensor(r, 2, 3, 6), randTensor(r, 6), randTensor(r, 6))
	checkGradient(t, be, "GELU", func(in []*graph.Node) *graph.Node { return GELU(in[0]) }, randTensor(r, 3, 5))
}

func TestGELUValues(t *testing.T) {
	// Reference values from the formula evaluated with Python's math module.
	b := backend.MustDefault()
	got := tensors.MustCopyFlatData[float64](graph.MustExecOnce(b, GELU, []float64{-3, -1, 0, 0.5, 2}))
	want := []float64{-0.0036373920817729943, -0.15880800939172324, 0, 0.34571400982514394, 1.954597694087775}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("GELU[%d] = %.17g, want %.17g", i, got[i], want[i])
		}
	}
}

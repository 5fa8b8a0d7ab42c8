package losses

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// LogConf is the auxiliary confidence loss of Burns et al.:
//
//	L = (1 − α(s))·CE(p, y) + α(s)·CE(p, ĥ)
//
// where ĥ is the student's own prediction hardened to one-hot, with no
// gradient. For two classes the hardening threshold is chosen so the
// hardened labels match the class balance of the weak labels: the ⌊w₀·n⌉
// examples with the highest p₀ become class 0, w₀ the mean weak probability
// of class 0, over the batch and a buffer of the Buffer most recent
// (detached) predictions and weak labels, so small batches still give a
// stable threshold. With more classes, ĥ is the argmax of the predictions
// after a class-prior adjustment: log p − log mean(p) + log mean(y).
//
// α ramps linearly from 0 at the start to AlphaMax at Warmup (a fraction of
// training), then stays. (The official code's ramp stays ≤ 0.05 and then
// jumps; this follows the paper instead.)
type LogConf struct {
	AlphaMax float64
	Warmup   float64
	Buffer   int
}

func (l *LogConf) Name() string {
	return fmt.Sprintf("logconf(alpha=%g,warmup=%g,buffer=%d)", l.AlphaMax, l.Warmup, l.Buffer)
}

// Alpha is α at progress s.
func (l *LogConf) Alpha(s float64) float64 {
	if l.Warmup <= 0 || s >= l.Warmup {
		return l.AlphaMax
	}
	return l.AlphaMax * s / l.Warmup
}

const logconfScope = "/loss/logconf"

// Init creates the buffer: predictions and weak labels of the most recent
// examples, and how many slots are filled.
func (l *LogConf) Init(ctx *context.Context, numClasses int) {
	if l.Buffer <= 0 {
		return
	}
	c := ctx.InAbsPath(logconfScope).Checked(false)
	for _, name := range []string{"preds", "labels"} {
		v := c.VariableWithValue(name, tensors.FromShape(shapeF32(l.Buffer, numClasses)))
		v.Trainable = false
	}
	c.VariableWithValue("filled", int32(0)).Trainable = false
}

func (l *LogConf) Build(ctx *context.Context, logits, targets, progress *Node) *Node {
	g := logits.Graph()
	dtype := logits.DType()
	B, C := logits.Shape().Dimensions[0], logits.Shape().Dimensions[1]
	y := ConvertDType(targets, dtype)
	p := StopGradient(Softmax(logits, -1))

	// Pool = buffer (oldest first) ‖ batch; valid marks filled slots.
	poolP, poolY := p, y
	valid := OnesLike(Slice(p, AxisRange(), AxisElem(0))) // [B, 1]
	var bufP, bufY, filled *context.Variable
	if l.Buffer > 0 {
		c := ctx.InAbsPath(logconfScope)
		bufP, bufY, filled = c.GetVariable("preds"), c.GetVariable("labels"), c.GetVariable("filled")
		if bufP == nil {
			panic("losses: LogConf.Init was not called before training")
		}
		K := l.Buffer
		oldP := ConvertDType(bufP.ValueGraph(g), dtype)
		oldY := ConvertDType(bufY.ValueGraph(g), dtype)
		poolP = Concatenate([]*Node{oldP, p}, 0)
		poolY = Concatenate([]*Node{oldY, y}, 0)
		// Slot i of the buffer is filled when i ≥ K − filled.
		slot := Iota(g, shapesInt32(K, 1), 0)
		filledNow := filled.ValueGraph(g)
		bufValid := ConvertDType(GreaterOrEqual(slot, SubScalar(Neg(filledNow), -K)), dtype) // i ≥ K − filled
		valid = Concatenate([]*Node{bufValid, ConvertDType(valid, dtype)}, 0)
		// Keep the K most recent rows for the next step.
		bufP.SetValueGraph(ConvertDType(Slice(poolP, AxisRange(B, K+B)), dtypes.Float32))
		bufY.SetValueGraph(ConvertDType(Slice(poolY, AxisRange(B, K+B)), dtypes.Float32))
		filled.SetValueGraph(MinScalar(AddScalar(filledNow, B), K))
	}
	valid = ConvertDType(valid, dtype)
	n := ReduceAllSum(valid)
	meanY := Div(ReduceSum(Mul(poolY, valid), 0), n) // [C]

	var hard *Node
	if C == 2 {
		p0 := Slice(p, AxisRange(), AxisElem(0))                        // [B, 1]
		pool0 := Reshape(Slice(poolP, AxisRange(), AxisElem(0)), 1, -1) // [1, N]
		// Rank of each batch example among the valid pool by p₀ (ties count half).
		above := Mul(ConvertDType(GreaterThan(pool0, p0), dtype), Reshape(valid, 1, -1))
		ties := Mul(ConvertDType(Equal(pool0, p0), dtype), Reshape(valid, 1, -1))
		rank := Add(ReduceSum(above, 1), MulScalar(SubScalar(ReduceSum(ties, 1), 1), 0.5)) // [B]
		k0 := Round(Mul(ReduceAllSum(Slice(meanY, AxisElem(0))), n))                       // scalar
		isZero := ConvertDType(LessThan(rank, k0), dtype)                                  // the top k0 by p₀
		hard = Stack([]*Node{isZero, OneMinus(isZero)}, 1)
	} else {
		meanP := Div(ReduceSum(Mul(poolP, valid), 0), n)
		prior := Sub(Log(MaxScalar(meanY, 1e-12)), Log(MaxScalar(meanP, 1e-12))) // [C]
		adjusted := Add(Log(MaxScalar(p, 1e-12)), ExpandAxes(prior, 0))
		hard = OneHot(ArgMax(adjusted, -1, dtypes.Int32), C, dtype)
	}
	hard = StopGradient(hard)

	s := ConvertDType(progress, dtype)
	alpha := MulScalar(MinScalar(DivScalar(s, max(l.Warmup, 1e-12)), 1), l.AlphaMax)
	if l.Warmup <= 0 {
		alpha = Scalar(g, dtype, l.AlphaMax)
	}
	target := Add(Mul(OneMinus(alpha), y), Mul(alpha, hard))
	return crossEntropy(logits, target)
}

func shapeF32(dims ...int) shapes.Shape    { return shapes.Make(dtypes.Float32, dims...) }
func shapesInt32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Int32, dims...) }

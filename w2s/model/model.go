package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/nn"
)

// Model is a configuration plus the context holding its variables.
type Model struct {
	Config Config
	DType  dtypes.DType
	Ctx    *context.Context
}

// New creates a model with GPT-2's initialisation, drawn from a generator
// seeded by seed, so the same seed gives the same weights on every backend:
// weights N(0, initializer_range²), the residual projections (c_proj)
// scaled by 1/√(2·n_layer), biases zero, LayerNorm gains one, the head zero.
func New(cfg Config, seed uint64, dtype dtypes.DType) (*Model, error) {
	m, err := Empty(cfg, dtype)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0x6770742d32)) // "gpt-2"
	for _, p := range cfg.Params() {
		n := 1
		for _, s := range p.Shape {
			n *= s
		}
		data := make([]float32, n)
		switch {
		case p.Name == "score.weight", strings.HasSuffix(p.Name, ".bias"):
			// zero
		case strings.Contains(p.Name, "ln_"):
			for i := range data {
				data[i] = 1
			}
		default:
			std := cfg.InitializerRange
			if strings.HasSuffix(p.Name, "c_proj.weight") {
				std /= math.Sqrt(2 * float64(cfg.NLayer))
			}
			for i := range data {
				data[i] = float32(r.NormFloat64() * std)
			}
		}
		if err := m.Set(p.Name, data); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Empty returns a model with no variables yet: fill each with Set (as a
// checkpoint loader does). dtype defaults to float32.
func Empty(cfg Config, dtype dtypes.DType) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if dtype == dtypes.InvalidDType {
		dtype = dtypes.Float32
	}
	return &Model{Config: cfg, DType: dtype, Ctx: context.New()}, nil
}

// Set assigns a variable from values in row-major order, converting to the
// model's dtype; the variable is created if missing.
func (m *Model) Set(name string, data []float32) error {
	shape, ok := m.shapeOf(name)
	if !ok {
		return fmt.Errorf("model has no variable %q", name)
	}
	if shape.Size() != len(data) {
		return fmt.Errorf("variable %s: got %d values for shape %v", name, len(data), shape.Dimensions)
	}
	t := tensors.FromShape(shape)
	if err := fillTensor(t, data); err != nil {
		return fmt.Errorf("variable %s: %w", name, err)
	}
	scope, vname := scopeOf(name)
	if v := m.Ctx.GetVariableByScopeAndName(scope, vname); v != nil {
		return v.SetValue(t)
	}
	m.Ctx.InAbsPath(scope).Checked(false).VariableWithValue(vname, t)
	return nil
}

// Get returns a variable's values as float32, row-major, with its shape.
func (m *Model) Get(name string) ([]float32, []int, error) {
	scope, vname := scopeOf(name)
	v := m.Ctx.GetVariableByScopeAndName(scope, vname)
	if v == nil {
		return nil, nil, fmt.Errorf("model has no variable %q", name)
	}
	t, err := v.Value()
	if err != nil {
		return nil, nil, fmt.Errorf("variable %s: %w", name, err)
	}
	out, err := readTensor(t)
	return out, t.Shape().Dimensions, err
}

func (m *Model) shapeOf(name string) (shapes.Shape, bool) {
	for _, p := range m.Config.Params() {
		if p.Name == name {
			return shapes.Make(m.DType, p.Shape...), true
		}
	}
	return shapes.Shape{}, false
}

// scopeOf turns a dotted name into a context scope and variable name:
// "h.0.ln_1.weight" → ("/h/0/ln_1", "weight").
func scopeOf(name string) (scope, vname string) {
	i := strings.LastIndexByte(name, '.')
	return "/" + strings.ReplaceAll(name[:i], ".", "/"), name[i+1:]
}

// NameOf is the inverse of scopeOf, for a context variable.
func NameOf(v *context.Variable) string {
	return strings.ReplaceAll(strings.TrimPrefix(v.Scope(), "/"), "/", ".") + "." + v.Name()
}

// SetLinearProbe freezes (true) or unfreezes (false) the backbone: with it
// frozen only the head is trainable.
func (m *Model) SetLinearProbe(probe bool) {
	for _, p := range m.Config.Params() {
		scope, vname := scopeOf(p.Name)
		if v := m.Ctx.GetVariableByScopeAndName(scope, vname); v != nil {
			v.Trainable = !probe || p.Name == "score.weight"
		}
	}
}

// param returns the graph node of a model variable.
func param(ctx *context.Context, g *Graph, name string) *Node {
	scope, vname := scopeOf(name)
	v := ctx.GetVariableByScopeAndName(scope, vname)
	if v == nil {
		panic(fmt.Sprintf("model variable %q missing from context", name))
	}
	return v.ValueGraph(g)
}

// Hidden runs the backbone: ids and mask are [batch, time] (mask 1 on real
// tokens, 0 on padding); it returns the final-LayerNorm hidden states,
// [batch, time, width]. With train set, dropout is applied where configured.
func Hidden(ctx *context.Context, cfg Config, ids, mask *Node, train bool) *Node {
	g := ids.Graph()
	batch, T := ids.Shape().Dimensions[0], ids.Shape().Dimensions[1]
	if T > cfg.NPositions {
		panic(fmt.Sprintf("sequence length %d exceeds the model's context of %d", T, cfg.NPositions))
	}
	wte := param(ctx, g, "wte.weight")
	dtype := wte.DType()
	x := Gather(wte, ExpandAxes(ConvertDType(ids, dtypes.Int32), -1)) // [B, T, d]
	positions := Iota(g, shapes.Make(dtypes.Int32, T, 1), 0)
	pos := Gather(param(ctx, g, "wpe.weight"), positions) // [T, d]
	x = Add(x, ExpandLeftToRank(pos, 3))
	x = dropout(ctx, x, cfg.EmbdPdrop, train)

	// allowed[b, 1, t, s]: query t may attend to key s (causal, and s is real).
	causal := LowerTriangular(g, T) // [T, T] bool
	keys := Reshape(GreaterThan(ConvertDType(mask, dtype), ScalarZero(g, dtype)), batch, 1, 1, T)
	allowed := LogicalAnd(Reshape(causal, 1, 1, T, T), keys)

	for i := range cfg.NLayer {
		p := func(name string) *Node { return param(ctx, g, fmt.Sprintf("h.%d.%s", i, name)) }
		h := nn.LayerNorm(x, p("ln_1.weight"), p("ln_1.bias"), cfg.LayerNormEp)
		x = Add(x, dropout(ctx, attention(ctx, cfg, h, allowed, p, train), cfg.ResidPdrop, train))
		h = nn.LayerNorm(x, p("ln_2.weight"), p("ln_2.bias"), cfg.LayerNormEp)
		h = nn.GELU(nn.Linear(h, p("mlp.c_fc.weight"), p("mlp.c_fc.bias")))
		h = nn.Linear(h, p("mlp.c_proj.weight"), p("mlp.c_proj.bias"))
		x = Add(x, dropout(ctx, h, cfg.ResidPdrop, train))
	}
	return nn.LayerNorm(x, param(ctx, g, "ln_f.weight"), param(ctx, g, "ln_f.bias"), cfg.LayerNormEp)
}

// attention is causal multi-head self-attention with logits scaled by
// 1/√d_head. allowed is [batch, 1, T, T].
func attention(ctx *context.Context, cfg Config, x, allowed *Node, p func(string) *Node, train bool) *Node {
	batch, T, d := x.Shape().Dimensions[0], x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	H, dh := cfg.NHead, cfg.NEmbd/cfg.NHead
	heads := func(name string) *Node { // [B*H, T, dh]
		y := nn.Linear(x, p("attn."+name+".weight"), p("attn."+name+".bias"))
		y = TransposeAllAxes(Reshape(y, batch, T, H, dh), 0, 2, 1, 3)
		return Reshape(y, batch*H, T, dh)
	}
	q, k, v := heads("q"), heads("k"), heads("v")
	scores := MulScalar(nn.MatMul(q, k, false, true), 1/math.Sqrt(float64(dh)))
	scores = Reshape(scores, batch, H, T, T)
	allowedAll := BroadcastToDims(allowed, batch, H, T, T)
	// A large finite negative, not -Inf: a query with no allowed key (a
	// padding position under left padding) gets uniform weights, not NaN.
	scores = Where(allowedAll, scores, Scalar(x.Graph(), scores.DType(), -1e9))
	probs := Softmax(scores, -1)
	probs = dropout(ctx, probs, cfg.AttnPdrop, train)
	out := nn.MatMul(Reshape(probs, batch*H, T, T), v, false, false) // [B*H, T, dh]
	out = Reshape(TransposeAllAxes(Reshape(out, batch, H, T, dh), 0, 2, 1, 3), batch, T, d)
	return nn.Linear(out, p("attn.c_proj.weight"), p("attn.c_proj.bias"))
}

func dropout(ctx *context.Context, x *Node, rate float64, train bool) *Node {
	if !train || rate == 0 {
		return x
	}
	keep := GreaterOrEqual(ctx.RandomUniform(x.Graph(), x.Shape()), Scalar(x.Graph(), x.DType(), rate))
	return Where(keep, MulScalar(x, 1/(1-rate)), ZerosLike(x))
}

// LMLogits projects hidden states onto the vocabulary through the tied token
// embedding: [batch, time, vocab].
func LMLogits(ctx *context.Context, hidden *Node) *Node {
	return nn.MatMul(hidden, param(ctx, hidden.Graph(), "wte.weight"), false, true)
}

// LastToken picks, for each sequence, the hidden state of its last real
// token, located from the attention mask (the last position where it is
// non-zero, so left or right padding both work): [batch, width].
func LastToken(hidden, mask *Node) *Node {
	g := hidden.Graph()
	batch, T := mask.Shape().Dimensions[0], mask.Shape().Dimensions[1]
	isReal := GreaterThan(ConvertDType(mask, dtypes.Int32), ScalarZero(g, dtypes.Int32))
	positions := Iota(g, shapes.Make(dtypes.Int32, batch, T), 1)
	last := ReduceMax(Where(isReal, positions, Scalar(g, dtypes.Int32, -1)), 1) // [B]
	onehot := Equal(positions, ExpandAxes(last, -1))                            // [B, T]
	weights := ConvertDType(onehot, hidden.DType())
	return ReduceSum(Mul(hidden, ExpandAxes(weights, -1)), 1)
}

// HeadOutput applies the score head to pooled states [batch, width]:
// [batch, num_labels] for classification, [batch] for reward.
func HeadOutput(ctx *context.Context, cfg Config, pooled *Node) *Node {
	out := nn.MatMul(pooled, param(ctx, pooled.Graph(), "score.weight"), false, false)
	if cfg.Head == HeadReward {
		return Reshape(out, out.Shape().Dimensions[0])
	}
	return out
}

// Features returns the pooled last-token hidden state, the input of the
// head and of linear probes.
func Features(ctx *context.Context, cfg Config, ids, mask *Node) *Node {
	return LastToken(Hidden(ctx, cfg, ids, mask, false), mask)
}

func fillTensor(t *tensors.Tensor, data []float32) error {
	var err error
	t.MustMutableFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float32:
			copy(f, data)
		case []float64:
			for i, x := range data {
				f[i] = float64(x)
			}
		default:
			err = fmt.Errorf("unsupported dtype %s", t.DType())
		}
	})
	return err
}

func readTensor(t *tensors.Tensor) ([]float32, error) {
	var out []float32
	var err error
	t.MustConstFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float32:
			out = append([]float32{}, f...)
		case []float64:
			out = make([]float32, len(f))
			for i, x := range f {
				out[i] = float32(x)
			}
		default:
			err = fmt.Errorf("unsupported dtype %s", t.DType())
		}
	})
	return out, err
}

// LMLoss is the mean next-token cross-entropy over positions where
// targetMask is non-zero. targets[b, t] is the token that follows position t
// (shifted on the host, so no Slice sits on the trainable path).
func LMLoss(ctx *context.Context, cfg Config, ids, mask, targets, targetMask *Node, train bool) *Node {
	logits := LMLogits(ctx, Hidden(ctx, cfg, ids, mask, train))
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(ConvertDType(targets, dtypes.Int32), cfg.VocabSize, logp.DType())
	nll := Neg(ReduceSum(Mul(logp, onehot), -1)) // [B, T]
	w := ConvertDType(targetMask, nll.DType())
	return Div(ReduceAllSum(Mul(nll, w)), MaxScalar(ReduceAllSum(w), 1))
}

// MeanTokens averages the hidden states of the real tokens (mask non-zero):
// [batch, width]. The paper's head reads the last token (LastToken); mean
// pooling is offered for diagnostic probes of representations.
func MeanTokens(hidden, mask *Node) *Node {
	w := ConvertDType(GreaterThan(ConvertDType(mask, dtypes.Int32), ScalarZero(hidden.Graph(), dtypes.Int32)), hidden.DType())
	sum := ReduceSum(Mul(hidden, ExpandAxes(w, -1)), 1)
	return Div(sum, ExpandAxes(MaxScalar(ReduceSum(w, 1), 1), -1))
}

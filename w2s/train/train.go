package train

import (
	gocontext "context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/metrics"
)

// LossFn builds the scalar loss of one micro-batch. batch holds the batch's
// tensors in the order Batches returns them; progress is the fraction of
// training done, s ∈ [0, 1) (a scalar float32), for losses that change
// during training.
type LossFn func(ctx *context.Context, batch []*Node, progress *Node) *Node

// Batches returns the tensors of micro-batch micro of optimizer step step.
// It must be a pure function of its arguments: resuming relies on it.
type Batches func(step, micro int) ([]*tensors.Tensor, error)

// EvalFn is called after the given optimizer step (1-based count of steps
// done). Its metrics join the curve. Returning ErrStop ends training early.
type EvalFn func(step int) (map[string]float64, error)

// ErrStop is returned by an EvalFn to end training after the current step
// without error.
var ErrStop = errors.New("stop training")

// Point is one optimizer step of the training curve.
type Point struct {
	Step     int                      `json:"step"` // steps done, 1-based
	Loss     float64                  `json:"loss"` // mean over the step's micro-batches; never NaN (training stops)
	LR       float64                  `json:"lr"`
	GradNorm float64                  `json:"grad_norm"` // before clipping; never NaN
	Metrics  map[string]metrics.Float `json:"metrics,omitempty"`
	// Rows are per-row results of the evaluation (Trainer.EvalRows), for
	// intervals over rows: which test rows the model got right.
	Rows map[string]metrics.Hits `json:"rows,omitempty"`
	// Compile is the compilation this run has done so far (graphs and
	// time; XLA compiles once per graph and shapes), for progress output
	// that reports step rates without it. Not stored.
	Compile backend.Compilation `json:"-"`
}

// Result summarises a run.
type Result struct {
	Curve        []Point       // every step, including those before a resume
	Steps        int           // steps done
	StoppedEarly bool          // an EvalFn returned ErrStop
	ResumedFrom  int           // steps restored from Dir (0 for a fresh run)
	Elapsed      time.Duration // this process's training time, compilation included
	Compile      backend.Compilation
}

// Trainer trains the trainable variables of Ctx.
type Trainer struct {
	Backend backends.Backend
	Ctx     *context.Context
	Loss    LossFn
	Config  Config
	Eval    EvalFn // optional
	// EvalRows, optional, is called right after each Eval and its per-row
	// results join the curve's point (Point.Rows).
	EvalRows func(step int) map[string]metrics.Hits
	Progress Progress // optional; nil shows nothing
	// Decay overrides which variables get weight decay (see Config.DecayAll).
	Decay func(v *context.Variable) bool
	// Log receives what resuming had to do about damaged saved state
	// (default os.Stderr).
	Log io.Writer

	cfg              Config
	params           []*context.Variable
	step             *context.Variable
	fused, acc, appl *context.Exec
	// built is what the compiled graphs depend on, once built: a later Run
	// with the same context and the same graph constants reuses them.
	built  *builtGraphs
	reused bool
}

// builtGraphs identifies compiled training graphs: the context they read
// and write, and the optimiser's constants baked into them (learning rate
// and progress are inputs).
type builtGraphs struct {
	ctx                                *context.Context
	beta1, beta2, eps, decay, clipNorm float64
	accum                              int
	decayAll                           bool
}

func graphsOf(ctx *context.Context, c Config) builtGraphs {
	return builtGraphs{ctx: ctx, beta1: c.Beta1, beta2: c.Beta2, eps: c.Eps, decay: c.WeightDecay, clipNorm: c.ClipNorm,
		accum: c.Accum, decayAll: c.DecayAll}
}

// Reused reports whether the last Run reused graphs compiled by an earlier
// Run of this Trainer.
func (t *Trainer) Reused() bool { return t.reused }

// Scope of the optimizer's own variables in the context.
const stateScope = "/train"

func (t *Trainer) setup() error {
	if err := t.Config.Validate(); err != nil {
		return err
	}
	if t.Backend == nil || t.Ctx == nil || t.Loss == nil {
		return errors.New("train: Backend, Ctx and Loss are required")
	}
	t.cfg = t.Config.withDefaults()
	if t.built != nil && t.Decay == nil && *t.built == graphsOf(t.Ctx, t.cfg) {
		// The graphs are compiled: only the optimiser's state starts again.
		t.reused = true
		for _, v := range t.params {
			for _, kind := range t.stateKinds() {
				if err := t.stateVar(kind, v).SetValue(tensors.FromShape(v.Shape())); err != nil {
					return err
				}
			}
		}
		if err := t.step.SetValue(tensors.FromValue(int64(0))); err != nil {
			return err
		}
		return t.Ctx.SetRNGStateFromSeed(int64(t.cfg.Seed))
	}
	t.reused, t.built = false, nil
	t.params = t.params[:0]
	for v := range t.Ctx.IterVariables() {
		if v.Trainable && !isStateVar(v) {
			t.params = append(t.params, v)
		}
	}
	if len(t.params) == 0 {
		return errors.New("train: the context has no trainable variables")
	}
	// Optimizer state is created here, before any graph, so every exec sees
	// the same variables and a resume can fill them.
	state := t.Ctx.Checked(false)
	for _, v := range t.params {
		for _, kind := range t.stateKinds() {
			sv := state.InAbsPath(stateScope+"/"+kind+v.Scope()).VariableWithValue(v.Name(), tensors.FromShape(v.Shape()))
			sv.Trainable = false
		}
	}
	t.step = state.InAbsPath(stateScope).VariableWithValue("step", int64(0))
	t.step.Trainable = false
	if err := t.Ctx.SetRNGStateFromSeed(int64(t.cfg.Seed)); err != nil {
		return err
	}
	var err error
	defer func() {
		if err == nil {
			b := graphsOf(t.Ctx, t.cfg)
			t.built = &b
		}
	}()
	if t.cfg.Accum == 1 {
		t.fused, err = context.NewExec(t.Backend, t.Ctx, func(ctx *context.Context, in []*Node) []*Node {
			loss := t.Loss(ctx, in[2:], in[1])
			grads := Gradient(loss, t.values(in[0].Graph())...)
			return t.update(ctx, in[0], grads, IsFinite(loss), loss)
		})
		return err
	}
	t.acc, err = context.NewExec(t.Backend, t.Ctx, func(ctx *context.Context, in []*Node) *Node {
		loss := t.Loss(ctx, in[1:], in[0])
		grads := Gradient(loss, t.values(loss.Graph())...)
		for i, v := range t.params {
			a := t.stateVar("accum", v)
			a.SetValueGraph(Add(a.ValueGraph(loss.Graph()), grads[i]))
		}
		return loss
	})
	if err != nil {
		return err
	}
	t.appl, err = context.NewExec(t.Backend, t.Ctx, func(ctx *context.Context, lr *Node) []*Node {
		g := lr.Graph()
		grads := make([]*Node, len(t.params))
		for i, v := range t.params {
			a := t.stateVar("accum", v)
			grads[i] = DivScalar(a.ValueGraph(g), float64(t.cfg.Accum))
			a.SetValueGraph(ZerosLike(grads[i]))
		}
		return t.update(ctx, lr, grads, Const(g, true), nil)
	})
	return err
}

func (t *Trainer) stateKinds() []string {
	if t.cfg.Accum > 1 {
		return []string{"m", "v", "accum"}
	}
	return []string{"m", "v"}
}

func isStateVar(v *context.Variable) bool {
	return v.Scope() == stateScope || strings.HasPrefix(v.Scope(), stateScope+"/") || v.Name() == context.RNGStateVariableName
}

func (t *Trainer) stateVar(kind string, v *context.Variable) *context.Variable {
	return t.Ctx.GetVariableByScopeAndName(stateScope+"/"+kind+v.Scope(), v.Name())
}

func (t *Trainer) values(g *Graph) []*Node {
	out := make([]*Node, len(t.params))
	for i, v := range t.params {
		out[i] = v.ValueGraph(g)
	}
	return out
}

// decays tells whether v gets weight decay.
func (t *Trainer) decays(v *context.Variable) bool {
	if t.Decay != nil {
		return t.Decay(v)
	}
	if t.cfg.DecayAll {
		return true
	}
	return v.Shape().Rank() >= 2 && !strings.HasPrefix(v.Scope(), "/wte") && !strings.HasPrefix(v.Scope(), "/wpe")
}

// update applies one AdamW step with global-norm clipping. Nothing changes
// when ok is false or the gradient norm is not finite: the host then reports
// the step. It returns [loss (if any), gradient norm].
func (t *Trainer) update(ctx *context.Context, lr *Node, grads []*Node, ok, loss *Node) []*Node {
	g := lr.Graph()
	c := t.cfg
	dtype := grads[0].DType()
	var sq *Node
	for _, gr := range grads {
		s := ReduceAllSum(Square(gr))
		if sq == nil {
			sq = s
		} else {
			sq = Add(sq, s)
		}
	}
	norm := Sqrt(sq)
	ok = LogicalAnd(ok, IsFinite(norm))
	scale := ScalarOne(g, norm.DType())
	if c.ClipNorm > 0 {
		scale = Min(scale, Div(Scalar(g, norm.DType(), c.ClipNorm), AddScalar(norm, 1e-6)))
	}
	stepOld := t.step.ValueGraph(g)
	stepNew := AddScalar(stepOld, 1)
	n := ConvertDType(stepNew, dtype)
	bias1 := OneMinus(Pow(Scalar(g, dtype, c.Beta1), n))
	bias2 := OneMinus(Pow(Scalar(g, dtype, c.Beta2), n))
	lrT := ConvertDType(lr, dtype)
	for i, v := range t.params {
		p := v.ValueGraph(g)
		gr := Mul(grads[i], ConvertDType(scale, dtype))
		mVar, vVar := t.stateVar("m", v), t.stateVar("v", v)
		m := Add(MulScalar(mVar.ValueGraph(g), c.Beta1), MulScalar(gr, 1-c.Beta1))
		s := Add(MulScalar(vVar.ValueGraph(g), c.Beta2), MulScalar(Square(gr), 1-c.Beta2))
		step := Div(Div(m, bias1), AddScalar(Sqrt(Div(s, bias2)), c.Eps))
		if c.WeightDecay > 0 && t.decays(v) {
			step = Add(step, MulScalar(p, c.WeightDecay))
		}
		pNew := Sub(p, Mul(lrT, step))
		v.SetValueGraph(Where(ok, pNew, p))
		mVar.SetValueGraph(Where(ok, m, mVar.ValueGraph(g)))
		vVar.SetValueGraph(Where(ok, s, vVar.ValueGraph(g)))
	}
	t.step.SetValueGraph(Where(ok, stepNew, stepOld))
	if loss == nil {
		return []*Node{norm}
	}
	return []*Node{loss, norm}
}

// Run trains for Config.Steps steps (fewer after ErrStop), resuming from
// Config.Dir when it holds state of the same run. Cancelling ctx saves state
// (when Dir is set) and returns ctx's error.
func (t *Trainer) Run(ctx gocontext.Context, batches Batches) (*Result, error) {
	if err := t.setup(); err != nil {
		return nil, err
	}
	res := &Result{}
	if t.cfg.Dir != "" {
		curve, err := t.restore()
		if err != nil {
			return nil, err
		}
		res.Curve, res.ResumedFrom = curve, len(curve)
	}
	start, compiled := time.Now(), backend.Compiled()
	defer func() { res.Elapsed, res.Compile = time.Since(start), backend.Compiled().Sub(compiled) }()
	if t.Progress != nil {
		t.Progress.Start(res.ResumedFrom, t.cfg.Steps)
		defer t.Progress.Done()
	}
	for step := res.ResumedFrom; step < t.cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			if t.cfg.Dir != "" {
				if serr := t.save(res.Curve); serr != nil {
					return res, errors.Join(err, serr)
				}
			}
			return res, err
		}
		pt, err := t.oneStep(step, batches)
		if err != nil {
			return res, err
		}
		pt.Compile = backend.Compiled().Sub(compiled)
		done := step + 1
		stop := false
		if t.Eval != nil && ((t.cfg.EvalEvery > 0 && done%t.cfg.EvalEvery == 0) || done == t.cfg.Steps) {
			ms, err := t.Eval(done)
			if errors.Is(err, ErrStop) {
				stop = true
			} else if err != nil {
				return res, fmt.Errorf("train: evaluation after step %d: %w", done, err)
			}
			if ms != nil {
				pt.Metrics = make(map[string]metrics.Float, len(ms))
				for k, v := range ms {
					pt.Metrics[k] = metrics.Float(v)
				}
			}
			if t.EvalRows != nil {
				pt.Rows = t.EvalRows(done)
			}
			pt.Compile = backend.Compiled().Sub(compiled)
		}
		res.Curve = append(res.Curve, pt)
		res.Steps = done
		if t.Progress != nil {
			t.Progress.Update(done, pt)
		}
		if t.cfg.Dir != "" && (done == t.cfg.Steps || stop || (t.cfg.SaveEvery > 0 && done%t.cfg.SaveEvery == 0)) {
			if err := t.save(res.Curve); err != nil {
				return res, err
			}
		}
		if stop {
			res.StoppedEarly = true
			break
		}
	}
	res.Steps = len(res.Curve)
	return res, nil
}

// oneStep runs the micro-batches of step (0-based) and the update.
func (t *Trainer) oneStep(step int, batches Batches) (Point, error) {
	c := t.cfg
	lr := c.LRAt(step)
	progress := float32(float64(step) / float64(c.Steps))
	pt := Point{Step: step + 1, LR: lr}
	var norm *tensors.Tensor
	for micro := range c.Accum {
		batch, err := batches(step, micro)
		if err != nil {
			return pt, fmt.Errorf("train: batch for step %d: %w", step+1, err)
		}
		var outs []*tensors.Tensor
		if c.Accum == 1 {
			outs, err = t.fused.Exec(append([]any{lr, progress}, anys(batch)...)...)
		} else {
			outs, err = t.acc.Exec(append([]any{progress}, anys(batch)...)...)
		}
		if err != nil {
			return pt, fmt.Errorf("train: step %d: %w", step+1, err)
		}
		loss := scalar(outs[0])
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return pt, fmt.Errorf("train: loss is %v at step %d (micro-batch %d); parameters kept from step %d", loss, step+1, micro, step)
		}
		pt.Loss += loss / float64(c.Accum)
		if c.Accum == 1 {
			norm = outs[1]
		}
	}
	if c.Accum > 1 {
		outs, err := t.appl.Exec(lr)
		if err != nil {
			return pt, fmt.Errorf("train: step %d: %w", step+1, err)
		}
		norm = outs[0]
	}
	pt.GradNorm = scalar(norm)
	if math.IsNaN(pt.GradNorm) || math.IsInf(pt.GradNorm, 0) {
		return pt, fmt.Errorf("train: gradient norm is %v at step %d; parameters kept from step %d", pt.GradNorm, step+1, step)
	}
	return pt, nil
}

func anys(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

func scalar(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	panic(fmt.Sprintf("train: expected a float scalar, got %s", t.Shape()))
}

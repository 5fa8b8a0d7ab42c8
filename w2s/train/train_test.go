package train

import (
	gocontext "context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/model"
)

func TestLRSchedule(t *testing.T) {
	c := Config{Steps: 10, LR: 1, Warmup: 2}
	want := map[int]float64{0: 0.5, 1: 1, 2: 1, 6: 0.5 * (1 + math.Cos(math.Pi*4/8)), 9: 0.5 * (1 + math.Cos(math.Pi*7/8))}
	for step, w := range want {
		if got := c.LRAt(step); math.Abs(got-w) > 1e-12 {
			t.Errorf("LRAt(%d) = %g, want %g", step, got, w)
		}
	}
	c = Config{Steps: 4, LR: 2, MinLR: 0.5}
	if got := c.LRAt(0); got != 2 {
		t.Errorf("cosine starts at %g, want 2", got)
	}
	if got := c.LRAt(3); got <= 1 || got >= 2 {
		t.Errorf("cosine with floor 1 gives %g at the last step", got)
	}
	c = Config{Steps: 4, LR: 3, Schedule: "constant", Warmup: 1}
	if c.LRAt(0) != 3 || c.LRAt(3) != 3 {
		t.Errorf("constant schedule: %g %g", c.LRAt(0), c.LRAt(3))
	}
	if err := (Config{Steps: 3, LR: 1, Warmup: 4}).Validate(); err == nil {
		t.Error("warm-up longer than the run accepted")
	}
	if err := (Config{Steps: 3, LR: math.NaN()}).Validate(); err == nil {
		t.Error("NaN learning rate accepted")
	}
}

// quadratic is a context with a weight matrix w (decayed) and a bias b (not
// decayed), and the loss ½‖w − target‖² + Σ b·c.
func quadratic() (*context.Context, LossFn) {
	ctx := context.New()
	ctx.In("lin").VariableWithValue("weight", [][]float64{{1, -2}, {0.5, 3}})
	ctx.In("lin").VariableWithValue("bias", []float64{0.1, -0.2})
	loss := func(ctx *context.Context, batch []*Node, _ *Node) *Node {
		g := batch[0].Graph()
		w := ctx.GetVariableByScopeAndName("/lin", "weight").ValueGraph(g)
		b := ctx.GetVariableByScopeAndName("/lin", "bias").ValueGraph(g)
		target := batch[0] // [2,2]
		c := Const(g, []float64{3, -1})
		return Add(MulScalar(ReduceAllSum(Square(Sub(w, target))), 0.5), ReduceAllSum(Mul(b, c)))
	}
	return ctx, loss
}

func TestAdamWMatchesReference(t *testing.T) {
	ctx, loss := quadratic()
	target := tensors.FromValue([][]float64{{0, 0}, {1, 1}})
	cfg := Config{Steps: 3, LR: 0.1, Warmup: 1, WeightDecay: 0.5, ClipNorm: 2, Beta1: 0.8, Beta2: 0.9, Eps: 1e-6}
	tr := &Trainer{Backend: backend.MustDefault(), Ctx: ctx, Loss: loss, Config: cfg}
	res, err := tr.Run(gocontext.Background(), func(int, int) ([]*tensors.Tensor, error) { return []*tensors.Tensor{target}, nil })
	if err != nil {
		t.Fatal(err)
	}

	// The same three steps computed here, in float64, from the formulas.
	w := []float64{1, -2, 0.5, 3}
	b := []float64{0.1, -0.2}
	tgt := []float64{0, 0, 1, 1}
	c := []float64{3, -1}
	mw, vw, mb, vb := make([]float64, 4), make([]float64, 4), make([]float64, 2), make([]float64, 2)
	for step := range 3 {
		gw := make([]float64, 4)
		sq := 0.0
		for i := range w {
			gw[i] = w[i] - tgt[i]
			sq += gw[i] * gw[i]
		}
		gb := append([]float64{}, c...)
		sq += gb[0]*gb[0] + gb[1]*gb[1]
		norm := math.Sqrt(sq)
		if math.Abs(res.Curve[step].GradNorm-norm) > 1e-9 {
			t.Errorf("step %d: gradient norm %g, want %g", step+1, res.Curve[step].GradNorm, norm)
		}
		scale := math.Min(1, 2/(norm+1e-6))
		lr := cfg.LRAt(step)
		n := float64(step + 1)
		adam := func(p, g, m, v []float64, decay bool) {
			for i := range p {
				gi := g[i] * scale
				m[i] = 0.8*m[i] + 0.2*gi
				v[i] = 0.9*v[i] + 0.1*gi*gi
				upd := (m[i] / (1 - math.Pow(0.8, n))) / (math.Sqrt(v[i]/(1-math.Pow(0.9, n))) + 1e-6)
				if decay {
					upd += 0.5 * p[i]
				}
				p[i] -= lr * upd
			}
		}
		adam(w, gw, mw, vw, true)
		adam(b, gb, mb, vb, false)
	}
	gotW := tensors.MustCopyFlatData[float64](ctx.GetVariableByScopeAndName("/lin", "weight").MustValue())
	gotB := tensors.MustCopyFlatData[float64](ctx.GetVariableByScopeAndName("/lin", "bias").MustValue())
	for i := range w {
		if math.Abs(gotW[i]-w[i]) > 1e-9 {
			t.Errorf("weight[%d] = %.12f, reference %.12f", i, gotW[i], w[i])
		}
	}
	for i := range b {
		if math.Abs(gotB[i]-b[i]) > 1e-9 {
			t.Errorf("bias[%d] = %.12f, reference %.12f (biases must not decay)", i, gotB[i], b[i])
		}
	}
}

// tinyLM is a small GPT with a fixed stream of next-token batches.
func tinyLM(t *testing.T, seed uint64) (*model.Model, LossFn, Batches) {
	t.Helper()
	cfg := model.Small(32, 8, 16, 1, 2)
	cfg.ResidPdrop = 0.1 // exercise the dropout RNG in determinism and resume
	m, err := model.New(cfg, seed, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	loss := func(ctx *context.Context, b []*Node, _ *Node) *Node {
		return model.LMLoss(ctx, cfg, b[0], b[1], b[2], b[1], true)
	}
	batches := func(step, micro int) ([]*tensors.Tensor, error) {
		const B, T = 4, 8
		ids, mask, tg := make([]int32, B*T), make([]int32, B*T), make([]int32, B*T)
		for i := range ids {
			// A learnable pattern: each token is followed by (token+3) mod 32.
			start := (step*7 + micro*5 + (i/T)*11) % 32
			ids[i] = int32((start + 3*(i%T)) % 32)
			tg[i] = (ids[i] + 3) % 32
			mask[i] = 1
		}
		return []*tensors.Tensor{
			tensors.FromFlatDataAndDimensions(ids, B, T),
			tensors.FromFlatDataAndDimensions(mask, B, T),
			tensors.FromFlatDataAndDimensions(tg, B, T),
		}, nil
	}
	return m, loss, batches
}

func params(t *testing.T, m *model.Model) map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range m.Config.Params() {
		v, _, err := m.Get(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[p.Name] = v
	}
	return out
}

func losses(curve []Point) []float64 {
	var out []float64
	for _, p := range curve {
		out = append(out, p.Loss)
	}
	return out
}

func TestSameSeedSameCurveAndLearns(t *testing.T) {
	run := func() ([]float64, map[string][]float32) {
		m, loss, batches := tinyLM(t, 3)
		tr := &Trainer{Backend: backend.MustDefault(), Ctx: m.Ctx, Loss: loss,
			Config: Config{Steps: 30, LR: 1e-2, Warmup: 3, WeightDecay: 0.01, ClipNorm: 1, Seed: 9}}
		res, err := tr.Run(gocontext.Background(), batches)
		if err != nil {
			t.Fatal(err)
		}
		return losses(res.Curve), params(t, m)
	}
	c1, p1 := run()
	c2, p2 := run()
	if !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(p1, p2) {
		t.Fatalf("same seed, different runs:\n%v\n%v", c1, c2)
	}
	if !(c1[len(c1)-1] < 0.6*c1[0]) {
		t.Errorf("loss went from %.3f to %.3f in 30 steps on a learnable pattern", c1[0], c1[len(c1)-1])
	}
}

func TestNonFiniteLossStopsWithStep(t *testing.T) {
	m, loss, batches := tinyLM(t, 1)
	// The loss turns NaN from the 4th step on (progress = 3/10).
	nanLoss := func(ctx *context.Context, b []*Node, progress *Node) *Node {
		l := loss(ctx, b, progress)
		bad := GreaterOrEqual(progress, Const(progress.Graph(), float32(0.29)))
		return Where(bad, Div(ZerosLike(l), ZerosLike(l)), l)
	}
	tr := &Trainer{Backend: backend.MustDefault(), Ctx: m.Ctx, Loss: nanLoss, Config: Config{Steps: 10, LR: 1e-3}}
	res, err := tr.Run(gocontext.Background(), batches)
	if err == nil || !strings.Contains(err.Error(), "at step 4") {
		t.Fatalf("error %v, want one naming step 4", err)
	}
	if res.Steps != 3 {
		t.Errorf("%d steps recorded before the NaN, want 3", res.Steps)
	}
	for name, v := range params(t, m) {
		for _, x := range v {
			if math.IsNaN(float64(x)) {
				t.Fatalf("%s holds NaN after the failed step", name)
			}
		}
	}
}

func TestResumeContinuesExactly(t *testing.T) {
	cfg := Config{Steps: 12, LR: 5e-3, Warmup: 2, SaveEvery: 4, Seed: 5, WeightDecay: 0.1}
	// Uninterrupted reference.
	m, loss, batches := tinyLM(t, 2)
	ref, err := (&Trainer{Backend: backend.MustDefault(), Ctx: m.Ctx, Loss: loss, Config: cfg}).Run(gocontext.Background(), batches)
	if err != nil {
		t.Fatal(err)
	}
	want := params(t, m)

	// Interrupted after step 6 (cancelled from the evaluation callback), then
	// resumed by a fresh process-like trainer on a freshly initialised model.
	cfg.Dir = filepath.Join(t.TempDir(), "run")
	cfg.EvalEvery = 3
	m1, loss1, batches1 := tinyLM(t, 2)
	cctx, cancel := gocontext.WithCancel(gocontext.Background())
	tr1 := &Trainer{Backend: backend.MustDefault(), Ctx: m1.Ctx, Loss: loss1, Config: cfg,
		Eval: func(step int) (map[string]float64, error) {
			if step == 6 {
				cancel()
			}
			return map[string]float64{"step": float64(step)}, nil
		}}
	if _, err := tr1.Run(cctx, batches1); !errors.Is(err, gocontext.Canceled) {
		t.Fatalf("interrupted run: error %v", err)
	}
	m2, loss2, batches2 := tinyLM(t, 99) // different init: everything must come from disk
	tr2 := &Trainer{Backend: backend.MustDefault(), Ctx: m2.Ctx, Loss: loss2, Config: cfg,
		Eval: func(step int) (map[string]float64, error) { return map[string]float64{"step": float64(step)}, nil }}
	res, err := tr2.Run(gocontext.Background(), batches2)
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom != 6 {
		t.Errorf("resumed from %d steps, want 6", res.ResumedFrom)
	}
	if !reflect.DeepEqual(losses(res.Curve), losses(ref.Curve)) {
		t.Errorf("resumed curve differs:\n%v\n%v", losses(res.Curve), losses(ref.Curve))
	}
	if !reflect.DeepEqual(params(t, m2), want) {
		t.Error("resumed parameters differ from the uninterrupted run's")
	}
	if res.Curve[5].Metrics["step"] != 6 || res.Curve[8].Metrics["step"] != 9 {
		t.Errorf("evaluation metrics lost across the resume: %v %v", res.Curve[5].Metrics, res.Curve[8].Metrics)
	}

	// A different run refuses that folder.
	cfg.LR = 1e-3
	m3, loss3, batches3 := tinyLM(t, 2)
	if _, err := (&Trainer{Backend: backend.MustDefault(), Ctx: m3.Ctx, Loss: loss3, Config: cfg}).Run(gocontext.Background(), batches3); err == nil || !strings.Contains(err.Error(), "different run") {
		t.Errorf("resuming with another config: error %v", err)
	}
}

func TestAccumulationMatchesFullBatch(t *testing.T) {
	ctx1, loss := quadratic()
	ctx2, _ := quadratic()
	targets := []*tensors.Tensor{
		tensors.FromValue([][]float64{{0, 0}, {1, 1}}),
		tensors.FromValue([][]float64{{2, -1}, {0, 3}}),
	}
	mean := tensors.FromValue([][]float64{{1, -0.5}, {0.5, 2}})
	cfg := Config{Steps: 4, LR: 0.05, ClipNorm: 1}
	if _, err := (&Trainer{Backend: backend.MustDefault(), Ctx: ctx1, Loss: loss, Config: cfg}).Run(gocontext.Background(),
		func(int, int) ([]*tensors.Tensor, error) { return []*tensors.Tensor{mean}, nil }); err != nil {
		t.Fatal(err)
	}
	cfg.Accum = 2
	if _, err := (&Trainer{Backend: backend.MustDefault(), Ctx: ctx2, Loss: loss, Config: cfg}).Run(gocontext.Background(),
		func(_, micro int) ([]*tensors.Tensor, error) { return []*tensors.Tensor{targets[micro]}, nil }); err != nil {
		t.Fatal(err)
	}
	// ½‖w−t‖² averaged over two targets has the gradient of ½‖w−mean‖².
	a := tensors.MustCopyFlatData[float64](ctx1.GetVariableByScopeAndName("/lin", "weight").MustValue())
	b := tensors.MustCopyFlatData[float64](ctx2.GetVariableByScopeAndName("/lin", "weight").MustValue())
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			t.Errorf("weight[%d]: full batch %.15f, accumulated %.15f", i, a[i], b[i])
		}
	}
}

func TestEarlyStopAndLinearProbe(t *testing.T) {
	m, loss, batches := tinyLM(t, 4)
	before := params(t, m)
	m.Config.Head = model.HeadLM
	// Freeze all but the (absent) head: nothing is trainable.
	m.SetLinearProbe(true)
	tr := &Trainer{Backend: backend.MustDefault(), Ctx: m.Ctx, Loss: loss, Config: Config{Steps: 5, LR: 1e-2}}
	if _, err := tr.Run(gocontext.Background(), batches); err == nil {
		t.Error("training with nothing trainable should fail")
	}
	m.SetLinearProbe(false)
	tr = &Trainer{Backend: backend.MustDefault(), Ctx: m.Ctx, Loss: loss, Config: Config{Steps: 50, LR: 1e-2, EvalEvery: 2},
		Eval: func(step int) (map[string]float64, error) {
			if step == 4 {
				return nil, ErrStop
			}
			return nil, nil
		}}
	res, err := tr.Run(gocontext.Background(), batches)
	if err != nil {
		t.Fatal(err)
	}
	if !res.StoppedEarly || res.Steps != 4 {
		t.Errorf("stopped early %v after %d steps, want after 4", res.StoppedEarly, res.Steps)
	}
	if reflect.DeepEqual(before, params(t, m)) {
		t.Error("parameters did not change")
	}
}

// An undefined metric (AUROC of a one-class evaluation) survives a
// JSON round trip as NaN, not as 0.
func TestPointJSONKeepsNaN(t *testing.T) {
	in := []Point{{Step: 3, Loss: 0.5, LR: 1e-3, GradNorm: 2, Metrics: map[string]metrics.Float{"test_acc": 0.75, "test_auroc": metrics.NaN()}}}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"test_auroc":null`) {
		t.Errorf("NaN written as %s", raw)
	}
	var out []Point
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(out[0].Metrics["test_auroc"])) || out[0].Metrics["test_acc"] != 0.75 || out[0].Loss != 0.5 {
		t.Errorf("read back %+v", out[0])
	}
}

// TestReusedTrainerRunsLikeAFreshOne: a second Run of the same Trainer on
// the same context, its weights set back to their starting values, reuses
// the compiled graphs (compiles nothing) and gives the fresh run's curve
// and weights exactly: the optimiser's state and step start again.
func TestReusedTrainerRunsLikeAFreshOne(t *testing.T) {
	m, loss, batches := tinyLM(t, 3)
	start := params(t, m)
	cfg := Config{Steps: 12, LR: 1e-2, Warmup: 3, WeightDecay: 0.01, ClipNorm: 1, Seed: 9}
	tr := &Trainer{Backend: backend.MustDefault(), Ctx: m.Ctx, Loss: loss, Config: cfg}
	first, err := tr.Run(gocontext.Background(), batches)
	if err != nil {
		t.Fatal(err)
	}
	want := params(t, m)
	for name, v := range start {
		if err := m.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	compiled := backend.Compiled()
	again, err := tr.Run(gocontext.Background(), batches)
	if err != nil {
		t.Fatal(err)
	}
	if c := backend.Compiled().Sub(compiled); c.Graphs != 0 || !tr.Reused() {
		t.Errorf("the second run compiled %d graphs (reused %v)", c.Graphs, tr.Reused())
	}
	if !reflect.DeepEqual(losses(first.Curve), losses(again.Curve)) || !reflect.DeepEqual(want, params(t, m)) {
		t.Errorf("a reused trainer ran differently:\n%v\n%v", losses(first.Curve), losses(again.Curve))
	}
	// Other optimiser constants need other graphs: they are built afresh.
	tr.Config.WeightDecay = 0.1
	if _, err := tr.Run(gocontext.Background(), batches); err != nil || tr.Reused() {
		t.Errorf("changed weight decay: err %v, reused %v", err, tr.Reused())
	}
}

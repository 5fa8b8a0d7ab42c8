package losses

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
)

// eval returns the loss and its gradient with respect to the logits.
func eval(t *testing.T, l Loss, ctx *context.Context, logits, targets [][]float64, progress float32) (float64, [][]float64) {
	t.Helper()
	exec := context.MustNewExec(backend.MustDefault(), ctx, func(ctx *context.Context, lg, tg, s *Node) []*Node {
		loss := l.Build(ctx, lg, tg, s)
		return []*Node{loss, Gradient(loss, lg)[0]}
	})
	out := exec.MustExec(logits, targets, progress)
	return tensors.ToScalar[float64](out[0]), out[1].Value().([][]float64)
}

func softmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	var z float64
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Exp(v - m)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}

// ce is −Σ t·log softmax(x) for one row.
func ce(x, target []float64) float64 {
	p := softmax(x)
	var s float64
	for i := range p {
		s -= target[i] * math.Log(p[i])
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

var (
	logits  = [][]float64{{2, 0}, {0.5, 1}, {-1, 1}, {0, 0.2}}
	targets = [][]float64{{0.9, 0.1}, {0.3, 0.7}, {0.6, 0.4}, {0.2, 0.8}}
)

// checkTargetLoss checks value and gradient of CE(p, target) with the
// target given row by row: gradient (softmax − target)/B.
func checkTargetLoss(t *testing.T, name string, got float64, grad [][]float64, want [][]float64) {
	t.Helper()
	var loss float64
	for i := range logits {
		loss += ce(logits[i], want[i]) / float64(len(logits))
		p := softmax(logits[i])
		for c := range p {
			if g := (p[c] - want[i][c]) / float64(len(logits)); !near(grad[i][c], g) {
				t.Errorf("%s: gradient [%d][%d] = %.12f, want %.12f", name, i, c, grad[i][c], g)
			}
		}
	}
	if !near(got, loss) {
		t.Errorf("%s: loss %.12f, want %.12f", name, got, loss)
	}
}

func TestXEntAndHard(t *testing.T) {
	got, grad := eval(t, XEnt{}, context.New(), logits, targets, 0)
	checkTargetLoss(t, "xent", got, grad, targets)
	got, grad = eval(t, HardXEnt{}, context.New(), logits, targets, 0)
	checkTargetLoss(t, "hard_xent", got, grad, [][]float64{{1, 0}, {0, 1}, {1, 0}, {0, 1}})
}

func TestProduct(t *testing.T) {
	l := Product{Alpha: 1, Beta: 0.5}
	got, grad := eval(t, l, context.New(), logits, targets, 0)
	want := make([][]float64, len(logits))
	for i := range logits {
		p := softmax(logits[i])
		var z float64
		want[i] = make([]float64, 2)
		for c := range p {
			want[i][c] = math.Pow(p[c], 0.5) * targets[i][c]
			z += want[i][c]
		}
		for c := range p {
			want[i][c] /= z
		}
	}
	checkTargetLoss(t, "product", got, grad, want)
}

func TestLogConfAlphaSchedule(t *testing.T) {
	l := &LogConf{AlphaMax: 0.5, Warmup: 0.2}
	for s, want := range map[float64]float64{0: 0, 0.05: 0.125, 0.1: 0.25, 0.2: 0.5, 0.5: 0.5, 0.99: 0.5} {
		if got := l.Alpha(s); !near(got, want) {
			t.Errorf("α(%g) = %g, want %g", s, got, want)
		}
	}
	// The graph uses the same schedule: at s = 0 logconf is xent.
	got, _ := eval(t, l, context.New(), logits, targets, 0)
	want, _ := eval(t, XEnt{}, context.New(), logits, targets, 0)
	if !near(got, want) {
		t.Errorf("logconf at s=0: %g, xent %g", got, want)
	}
}

func TestLogConfHardening(t *testing.T) {
	// p₀ of the rows: 0.88, 0.38, 0.12, 0.45. Weak labels average w₀ = 0.5,
	// so the two rows with the highest p₀ (rows 0 and 3) harden to class 0.
	l := &LogConf{AlphaMax: 0.5, Warmup: 0.2}
	for _, s := range []float32{0.1, 0.6} {
		alpha := l.Alpha(float64(s))
		hard := [][]float64{{1, 0}, {0, 1}, {0, 1}, {1, 0}}
		want := make([][]float64, len(targets))
		for i := range targets {
			want[i] = []float64{(1-alpha)*targets[i][0] + alpha*hard[i][0], (1-alpha)*targets[i][1] + alpha*hard[i][1]}
		}
		got, grad := eval(t, l, context.New(), logits, targets, s)
		checkTargetLoss(t, "logconf", got, grad, want)
	}
	// Unbalanced weak labels: w₀ = 0.25 → only the top row by p₀ is class 0.
	skewed := [][]float64{{0.5, 0.5}, {0.1, 0.9}, {0.2, 0.8}, {0.2, 0.8}}
	got, grad := eval(t, &LogConf{AlphaMax: 1, Warmup: 0}, context.New(), logits, skewed, 0.5)
	checkTargetLoss(t, "logconf skewed", got, grad, [][]float64{{1, 0}, {0, 1}, {0, 1}, {0, 1}})
}

func TestLogConfBuffer(t *testing.T) {
	// Buffer of 4, batches of 2. The first batch sees only itself; the
	// second ranks its rows among the first batch's predictions too.
	l := &LogConf{AlphaMax: 1, Warmup: 0, Buffer: 4}
	ctx := context.New()
	l.Init(ctx, 2)
	exec := context.MustNewExec(backend.MustDefault(), ctx, func(ctx *context.Context, lg, tg, s *Node) *Node {
		return l.Build(ctx, lg, tg, s)
	})
	first := [][]float64{{3, 0}, {2, 0}} // p₀ 0.95, 0.88
	y := [][]float64{{0.5, 0.5}, {0.5, 0.5}}
	exec.MustExec(first, y, float32(0.5))
	if f := tensors.ToScalar[int32](ctx.InAbsPath(logconfScope).GetVariable("filled").MustValue()); f != 2 {
		t.Fatalf("buffer holds %d rows after one batch, want 2", f)
	}
	// Second batch p₀ 0.73, 0.5: alone, one of them would be class 0; among
	// four rows with w₀ = 0.5 the two buffered rows take both class-0 slots.
	second := [][]float64{{1, 0}, {0, 0}}
	got := tensors.ToScalar[float64](exec.MustExec(second, y, float32(0.5))[0])
	want := (ce(second[0], []float64{0, 1}) + ce(second[1], []float64{0, 1})) / 2
	if !near(got, want) {
		t.Errorf("buffered logconf %.9f, want %.9f (both rows class 1)", got, want)
	}
	exec.MustExec(second, y, float32(0.5))
	if f := tensors.ToScalar[int32](ctx.InAbsPath(logconfScope).GetVariable("filled").MustValue()); f != 4 {
		t.Errorf("buffer holds %d rows, want its size 4", f)
	}
}

func TestMulticlassLogConf(t *testing.T) {
	// Prior adjustment: every row predicts class 0 most, but weak labels are
	// spread; dividing by the mean prediction moves rows to other classes.
	lg := [][]float64{{2, 1, 0}, {2, 1.5, 0}, {2, 0, 1.8}}
	y := [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	got, grad := eval(t, &LogConf{AlphaMax: 1, Warmup: 0}, context.New(), lg, y, 0.5)
	_ = grad
	// Hand computation of the adjusted argmax.
	var meanP [3]float64
	for _, row := range lg {
		p := softmax(row)
		for c := range p {
			meanP[c] += p[c] / 3
		}
	}
	var want float64
	for i, row := range lg {
		p := softmax(row)
		best, bestV := 0, math.Inf(-1)
		for c := range p {
			if v := math.Log(p[c]) - math.Log(meanP[c]) + math.Log(1.0/3); v > bestV {
				best, bestV = c, v
			}
		}
		h := make([]float64, 3)
		h[best] = 1
		want += ce(row, h) / 3
		_ = i
	}
	if !near(got, want) {
		t.Errorf("multiclass logconf %.9f, want %.9f", got, want)
	}
}

func TestNew(t *testing.T) {
	for spec, name := range map[string]string{
		"xent": "xent", "hard_xent": "hard_xent", "logconf": "logconf(alpha=0.5,warmup=0.2,buffer=64)",
		"logconf(alpha=0.75)": "logconf(alpha=0.75,warmup=0.2,buffer=64)", "product(alpha=2, beta=0.5)": "product(alpha=2,beta=0.5)",
	} {
		l, err := New(spec)
		if err != nil || l.Name() != name {
			t.Errorf("New(%q) = %v, %v; want %s", spec, l, err, name)
		}
	}
	for _, bad := range []string{"mse", "logconf(gamma=1)", "logconf(alpha=x)", "product(alpha=1"} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted", bad)
		} else if !strings.Contains(err.Error(), strings.SplitN(bad, "(", 2)[0]) {
			t.Errorf("New(%q): %v", bad, err)
		}
	}
}

// TestPairwise: for a reward model the logits of a pair are its two rewards,
// so xent is the Bradley–Terry loss −log σ(r_preferred − r_other), soft
// weak labels give its expectation, and the prediction is the pair member
// with the higher reward.
func TestPairwise(t *testing.T) {
	rewards := [][]float64{{1, 2}, {3, 0}, {-0.5, 0.5}}
	prefs := [][]float64{{0, 1}, {1, 0}, {0.25, 0.75}}
	got, grad := eval(t, XEnt{}, context.New(), rewards, prefs, 0)
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	want := (-math.Log(sigmoid(2-1)) - math.Log(sigmoid(3-0)) -
		0.75*math.Log(sigmoid(0.5-(-0.5))) - 0.25*math.Log(sigmoid(-0.5-0.5))) / 3
	if !near(got, want) {
		t.Errorf("Bradley–Terry loss %.12f, want %.12f", got, want)
	}
	// d/dr_B of −log σ(r_B − r_A) is −(1 − σ(r_B − r_A)), over a batch of 3.
	if g := -(1 - sigmoid(1)) / 3; !near(grad[0][1], g) || !near(grad[0][0], -g) {
		t.Errorf("gradient %v, want ±%g", grad[0], g)
	}
}

func TestSpecNames(t *testing.T) {
	for _, c := range []struct {
		spec, canonical, short string
	}{
		{"xent", "xent", "xent"},
		{"logconf", "logconf(alpha=0.5,warmup=0.2,buffer=64)", "logconf"},
		{"logconf(alpha=0.5,warmup=0.2,buffer=64)", "logconf(alpha=0.5,warmup=0.2,buffer=64)", "logconf"},
		{"logconf(alpha=0.75)", "logconf(alpha=0.75,warmup=0.2,buffer=64)", "logconf(alpha=0.75,warmup=0.2,buffer=64)"},
		{"product", "product(alpha=1,beta=1)", "product"},
	} {
		got, err := Spec(c.spec).Canonical()
		if err != nil || string(got) != c.canonical || Spec(c.spec).Short() != c.short {
			t.Errorf("%s: canonical %q (%v), short %q", c.spec, got, err, Spec(c.spec).Short())
		}
	}
	if !Spec("logconf").Same("logconf(alpha=0.5)") || Spec("logconf").Same("xent") {
		t.Error("Same")
	}
	if Spec("bogus").Short() != "bogus" {
		t.Error("an unknown spec is shown as written")
	}
}

// TestValidationMatchesTrainingLoss: the host-side criterion equals the
// graph loss on the same rows at the end of training (no buffer), and for
// logconf does not grow when the student disagrees with wrong weak labels
// in the confident direction the loss asks for.
func TestValidationMatchesTrainingLoss(t *testing.T) {
	logits := [][]float64{{2, -1}, {0.3, 0.1}, {-1, 1.5}, {0.2, 0.4}, {1, 1.2}, {-0.5, 0.5}}
	weak := [][]float64{{0.9, 0.1}, {0.6, 0.4}, {0.2, 0.8}, {0.7, 0.3}, {0.4, 0.6}, {0.3, 0.7}}
	probs := make([][]float64, len(logits))
	for i, l := range logits {
		e0, e1 := math.Exp(l[0]), math.Exp(l[1])
		probs[i] = []float64{e0 / (e0 + e1), e1 / (e0 + e1)}
	}
	for _, spec := range []string{"xent", "hard_xent", "logconf(buffer=0)", "product"} {
		want := lossValue(t, spec, logits, weak, 0.99)
		got, err := Validation(Spec(spec), probs, weak)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-5 {
			t.Errorf("%s: Validation %.6f, training loss %.6f", spec, got, want)
		}
	}
	if _, err := Validation("xent", probs, weak[:2]); err == nil {
		t.Error("mismatched lengths accepted")
	}
}

// lossValue is the graph loss of spec on one batch at progress s.
func lossValue(t *testing.T, spec string, logits, targets [][]float64, s float32) float64 {
	t.Helper()
	l, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	l.Init(ctx, len(logits[0]))
	v, _ := eval(t, l, ctx, logits, targets, s)
	return v
}

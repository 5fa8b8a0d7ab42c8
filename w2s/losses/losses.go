// Package losses holds the training losses of weak-to-strong experiments,
// as Burns et al. (2023) and their reference code define them (the
// auxiliary confidence loss with its warm-up of α and its adaptive
// threshold included), behind one interface that also receives the
// fraction of training done.
//
// Logits are [batch, classes]; for reward models they are the two rewards
// of a pair, so a softmax over them is the Bradley–Terry probability and
// every loss here works unchanged on preference pairs. Targets are
// probabilities [batch, classes] (weak soft labels, or one-hot gold).
package losses

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Loss is a training loss.
type Loss interface {
	// Name identifies the loss and its parameters, e.g. "logconf(alpha=0.5,warmup=0.2)".
	Name() string
	// Init creates the state the loss keeps across steps; call it before
	// training (and before resuming, so saved state has a place to go).
	Init(ctx *context.Context, numClasses int)
	// Build returns the mean loss of a batch at progress s ∈ [0, 1).
	Build(ctx *context.Context, logits, targets, progress *Node) *Node
}

// New parses a loss name: xent, hard_xent, logconf, logconf(alpha=0.75),
// logconf(alpha=0.5,warmup=0.2,buffer=64), product, product(alpha=1,beta=1).
func New(spec string) (Loss, error) {
	name, params, err := parse(spec)
	if err != nil {
		return nil, err
	}
	get := func(key string, def float64) float64 {
		if v, ok := params[key]; ok {
			delete(params, key)
			return v
		}
		return def
	}
	var l Loss
	switch name {
	case "xent":
		l = XEnt{}
	case "hard_xent":
		l = HardXEnt{}
	case "logconf":
		l = &LogConf{AlphaMax: get("alpha", 0.5), Warmup: get("warmup", 0.2), Buffer: int(get("buffer", 64))}
	case "product":
		l = Product{Alpha: get("alpha", 1), Beta: get("beta", 1)}
	default:
		return nil, fmt.Errorf("unknown loss %q (want xent, hard_xent, logconf, product)", name)
	}
	if len(params) > 0 {
		var keys []string
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("loss %q: unknown parameters %s", spec, strings.Join(keys, ", "))
	}
	return l, nil
}

func parse(spec string) (string, map[string]float64, error) {
	params := map[string]float64{}
	name, rest, hasParams := strings.Cut(strings.TrimSpace(spec), "(")
	if !hasParams {
		return name, params, nil
	}
	if !strings.HasSuffix(rest, ")") {
		return "", nil, fmt.Errorf("loss %q: missing closing parenthesis", spec)
	}
	for _, kv := range strings.Split(strings.TrimSuffix(rest, ")"), ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		var f float64
		if _, err := fmt.Sscan(strings.TrimSpace(v), &f); !ok || err != nil {
			return "", nil, fmt.Errorf("loss %q: parameter %q is not key=number", spec, kv)
		}
		params[strings.TrimSpace(k)] = f
	}
	return name, params, nil
}

// crossEntropy is the mean over the batch of −Σ_c target_c·log softmax(logits)_c.
func crossEntropy(logits, targets *Node) *Node {
	logp := LogSoftmax(logits, -1)
	return ReduceAllMean(Neg(ReduceSum(Mul(ConvertDType(targets, logp.DType()), logp), -1)))
}

// XEnt is cross-entropy with soft targets.
type XEnt struct{}

func (XEnt) Name() string               { return "xent" }
func (XEnt) Init(*context.Context, int) {}
func (XEnt) Build(_ *context.Context, logits, targets, _ *Node) *Node {
	return crossEntropy(logits, targets)
}

// HardXEnt is cross-entropy with the targets hardened to their argmax.
type HardXEnt struct{}

func (HardXEnt) Name() string               { return "hard_xent" }
func (HardXEnt) Init(*context.Context, int) {}
func (HardXEnt) Build(_ *context.Context, logits, targets, _ *Node) *Node {
	hard := OneHot(ArgMax(targets, -1, dtypes.Int32), targets.Shape().Dimensions[1], logits.DType())
	return crossEntropy(logits, hard)
}

// Product is CE(p, normalize(p^β ⊙ y^α)) with the target detached.
type Product struct{ Alpha, Beta float64 }

func (p Product) Name() string             { return fmt.Sprintf("product(alpha=%g,beta=%g)", p.Alpha, p.Beta) }
func (Product) Init(*context.Context, int) {}
func (p Product) Build(_ *context.Context, logits, targets, _ *Node) *Node {
	logp := LogSoftmax(logits, -1)
	y := ConvertDType(targets, logp.DType())
	// In log space: β·log p + α·log y, normalised; y = 0 gives log 0 = −∞, so clamp.
	logy := Log(MaxScalar(y, 1e-12))
	score := Add(MulScalar(logp, p.Beta), MulScalar(logy, p.Alpha))
	target := StopGradient(Softmax(score, -1))
	return crossEntropy(logits, target)
}

// Spec names a loss with its parameters, as New reads it: "xent",
// "logconf", "logconf(alpha=0.75)". Results carry the canonical spec
// (every parameter spelled out, as Loss.Name writes it), so the same loss
// always has the same spec; Short is how tables and charts show it.
type Spec string

// Canonical spells out every parameter of s ("logconf" becomes
// "logconf(alpha=0.5,warmup=0.2,buffer=64)").
func (s Spec) Canonical() (Spec, error) {
	l, err := New(string(s))
	if err != nil {
		return "", err
	}
	return Spec(l.Name()), nil
}

// Short is the loss's display name: its bare name when every parameter has
// its default ("logconf"), else the canonical spec; a spec New cannot read
// is shown as written.
func (s Spec) Short() string {
	c, err := s.Canonical()
	if err != nil {
		return string(s)
	}
	name, _, _ := strings.Cut(string(c), "(")
	if def, err := Spec(name).Canonical(); err == nil && def == c {
		return name
	}
	return string(c)
}

// Same tells whether two specs name the same loss.
func (s Spec) Same(o Spec) bool {
	a, err1 := s.Canonical()
	b, err2 := o.Canonical()
	if err1 != nil || err2 != nil {
		return s == o
	}
	return a == b
}

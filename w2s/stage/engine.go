package stage

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/train"
)

// XLA compiles one executable per graph and input shapes, which takes
// seconds, while a small finetuning runs for seconds too. So the compiled
// graphs of a classifier are kept for the life of the process and shared
// by every training, labelling and evaluation of the same architecture: an
// engine is a context holding a model's variables (and, for training, the
// optimiser's and the loss's state) with the executables compiled on it.
// A new model of the same architecture is loaded into an idle engine's
// variables (weights are graph inputs, never constants), its other state
// set back to zero, and the compiled graphs run unchanged.

// engine is a classifier context and the graphs compiled on it.
type engine struct {
	arch  string         // what the prediction graph depends on
	train string         // what the training graphs depend on too ("": prediction only)
	ctx   *mlctx.Context // the variables the graphs read and write
	model map[string]bool
	pred  *mlctx.Exec // the prediction graphs
	// For training: the trainer (its graphs) and the loss whose state
	// lives in ctx.
	trainer *train.Trainer
	loss    losses.Loss
	reused  bool // this use reuses graphs an earlier use compiled
}

// engines are the idle engines of the process, most recently used last.
var engines struct {
	sync.Mutex
	idle []*engine
}

// maxIdleEngines bounds the engines kept (each holds a model's weights and
// optimiser state).
const maxIdleEngines = 24

// archKey is what a classifier's prediction graphs depend on: the backend,
// the model's configuration (head included) and what the head reads.
func archKey(b backends.Backend, cfg model.Config, pool string) string {
	return fmt.Sprintf("%p|%+v|%s", b, cfg, pool)
}

// trainKey is what its training graphs depend on besides: the loss and
// the optimiser's constants.
func trainKey(arch string, loss losses.Loss, tc train.Config) string {
	return fmt.Sprintf("%s|%s|%g|%g|%g|%g|%g|%d|%v", arch, loss.Name(), tc.Beta1, tc.Beta2, tc.Eps, tc.WeightDecay, tc.ClipNorm, tc.Accum, tc.DecayAll)
}

// predictor is a predictor of c's sets on the engine's prediction graphs.
func (e *engine) predictor(c *classifier) *predictor { return &predictor{c: c, exec: e.pred} }

// takeEngine removes and returns an idle engine whose keys match (train ""
// matches any engine of the architecture), or nil.
func takeEngine(arch, trainKey string) *engine {
	engines.Lock()
	defer engines.Unlock()
	for i := len(engines.idle) - 1; i >= 0; i-- {
		e := engines.idle[i]
		if e.arch == arch && (trainKey == "" || e.train == trainKey) {
			engines.idle = append(engines.idle[:i], engines.idle[i+1:]...)
			e.reused = true
			return e
		}
	}
	return nil
}

// release makes an engine idle again, dropping the least recently used one
// beyond maxIdleEngines.
func release(e *engine) {
	if e == nil {
		return
	}
	engines.Lock()
	defer engines.Unlock()
	engines.idle = append(engines.idle, e)
	if len(engines.idle) > maxIdleEngines {
		engines.idle = engines.idle[1:]
	}
}

// modelVars lists the variables of a freshly loaded model's context.
func modelVars(ctx *mlctx.Context) map[string]bool {
	out := map[string]bool{}
	for v := range ctx.IterVariables() {
		out[v.ScopeAndName()] = true
	}
	return out
}

// load copies the values of a freshly loaded model's variables into the
// engine's and sets every other variable of the engine (optimiser and loss
// state, all of which start at zero) back to zero.
func (e *engine) load(from *mlctx.Context) error {
	n := 0
	for v := range from.IterVariables() {
		dst := e.ctx.GetVariableByScopeAndName(v.Scope(), v.Name())
		if dst == nil {
			return fmt.Errorf("stage: engine has no variable %s", v.ScopeAndName())
		}
		val, err := v.Value()
		if err != nil {
			return err
		}
		if !val.Shape().Equal(dst.Shape()) {
			return fmt.Errorf("stage: engine variable %s is %s, the model's %s", v.ScopeAndName(), dst.Shape(), val.Shape())
		}
		if err := dst.SetValue(val); err != nil {
			return err
		}
		n++
	}
	if n != len(e.model) {
		return fmt.Errorf("stage: the model has %d variables, the engine's model %d", n, len(e.model))
	}
	for v := range e.ctx.IterVariables() {
		if !e.model[v.ScopeAndName()] {
			if err := v.SetValue(tensors.FromShape(v.Shape())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Package pretrain trains GPT language models on a token stream: random
// windows of the training tokens form each batch (drawn from a generator
// seeded by the run's seed and the step, so a resumed run sees the same
// batches), and held-out tokens give the validation loss.
package pretrain

import (
	gocontext "context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/train"
)

// Windows returns batches of `batch` random windows of T+1 tokens: inputs
// are the first T, targets the last T. Window starts depend only on (seed,
// step, micro).
func Windows(tokens []int32, batch, T int, seed uint64) (train.Batches, error) {
	if len(tokens) < T+2 {
		return nil, fmt.Errorf("pretrain: %d training tokens cannot fill a window of %d", len(tokens), T+1)
	}
	return func(step, micro int) ([]*tensors.Tensor, error) {
		r := rand.New(rand.NewPCG(seed, uint64(step)<<16|uint64(micro)))
		ids, tg, mask := make([]int32, batch*T), make([]int32, batch*T), make([]int32, batch*T)
		for b := range batch {
			start := r.IntN(len(tokens) - T)
			copy(ids[b*T:(b+1)*T], tokens[start:start+T])
			copy(tg[b*T:(b+1)*T], tokens[start+1:start+T+1])
		}
		for i := range mask {
			mask[i] = 1
		}
		return lmTensors(ids, mask, tg, batch, T), nil
	}, nil
}

func lmTensors(ids, mask, tg []int32, batch, T int) []*tensors.Tensor {
	return []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(ids, batch, T),
		tensors.FromFlatDataAndDimensions(mask, batch, T),
		tensors.FromFlatDataAndDimensions(tg, batch, T),
	}
}

// LossFn is the next-token loss for batches made by Windows.
func LossFn(cfg model.Config) train.LossFn {
	return func(ctx *context.Context, b []*Node, _ *Node) *Node {
		return model.LMLoss(ctx, cfg, b[0], b[1], b[2], b[1], true)
	}
}

// Evaluator computes the mean next-token loss over consecutive windows of
// held-out tokens (every token predicted once, up to maxTokens of them).
type Evaluator struct {
	exec    *context.Exec
	batches [][]*tensors.Tensor
	weights []float64
}

// NewEvaluator prepares evaluation of m on tokens in batches of batch×T.
func NewEvaluator(b backends.Backend, m *model.Model, tokens []int32, batch, T, maxTokens int) (*Evaluator, error) {
	if len(tokens) < 2 {
		return nil, errors.New("pretrain: no validation tokens")
	}
	if maxTokens > 0 && len(tokens) > maxTokens+1 {
		tokens = tokens[:maxTokens+1]
	}
	cfg := m.Config
	e := &Evaluator{}
	e.exec = context.MustNewExec(b, m.Ctx, func(ctx *context.Context, ids, mask, tg *Node) *Node {
		return model.LMLoss(ctx, cfg, ids, mask, tg, mask, false)
	})
	// Windows of T predictions each; the last batch is padded with masked rows.
	n := len(tokens) - 1
	for start := 0; start < n; start += batch * T {
		ids, tg, mask := make([]int32, batch*T), make([]int32, batch*T), make([]int32, batch*T)
		count := 0
		for i := range batch * T {
			if p := start + i; p < n {
				ids[i], tg[i], mask[i] = tokens[p], tokens[p+1], 1
				count++
			}
		}
		e.batches = append(e.batches, lmTensors(ids, mask, tg, batch, T))
		e.weights = append(e.weights, float64(count))
	}
	return e, nil
}

// Loss returns the mean validation loss (nats per token).
func (e *Evaluator) Loss() (float64, error) {
	var sum, total float64
	for i, b := range e.batches {
		out, err := e.exec.Exec(b[0], b[1], b[2])
		if err != nil {
			return 0, err
		}
		sum += e.weights[i] * float64(tensors.ToScalar[float32](out[0]))
		total += e.weights[i]
	}
	return sum / total, nil
}

// Options of a pretraining run.
type Options struct {
	Backend    backends.Backend
	Model      *model.Model
	Train      []int32 // training tokens
	Valid      []int32 // held-out tokens
	Batch      int     // sequences per micro-batch
	Config     train.Config
	EvalTokens int    // cap on validation tokens per evaluation (0: all)
	Out        string // folder for the final checkpoint ("" to skip); state goes to Out/state
	EOS        *int   // end-of-text id recorded in config.json
	Progress   train.Progress
}

// Result of a run.
type Result struct {
	*train.Result
	ValidLoss float64 // after the last step
}

// Run pretrains Options.Model, evaluating every Config.EvalEvery steps
// (metric "valid_loss") and saving the model to Out at the end.
func Run(ctx gocontext.Context, o Options) (*Result, error) {
	cfg := o.Model.Config
	T := cfg.NPositions
	batches, err := Windows(o.Train, o.Batch, T, o.Config.Seed)
	if err != nil {
		return nil, err
	}
	ev, err := NewEvaluator(o.Backend, o.Model, o.Valid, o.Batch, T, o.EvalTokens)
	if err != nil {
		return nil, err
	}
	tc := o.Config
	if o.Out != "" && tc.Dir == "" {
		tc.Dir = filepath.Join(o.Out, "state")
	}
	res := &Result{ValidLoss: math.NaN()}
	tr := &train.Trainer{
		Backend: o.Backend, Ctx: o.Model.Ctx, Loss: LossFn(cfg), Config: tc, Progress: o.Progress,
		Eval: func(int) (map[string]float64, error) {
			l, err := ev.Loss()
			if err != nil {
				return nil, err
			}
			res.ValidLoss = l
			return map[string]float64{"valid_loss": l}, nil
		},
	}
	res.Result, err = tr.Run(ctx, batches)
	if err != nil {
		return res, err
	}
	if n := len(res.Curve); n > 0 && res.Curve[n-1].Metrics != nil {
		res.ValidLoss = float64(res.Curve[n-1].Metrics["valid_loss"])
	}
	if o.Out != "" {
		if err := checkpoint.Save(o.Out, o.Model, checkpoint.Options{EOS: o.EOS}); err != nil {
			return res, err
		}
	}
	return res, nil
}

package stage

import (
	"fmt"
	"sort"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

// encoded holds the token ids of a set of examples: K rows per example (1
// for classification, 2 candidates for preference pairs).
type encoded struct {
	rows      [][]int32
	k         int
	labels    []int
	ids       []string
	truncated int   // rows longer than the budget's MaxLen
	widths    []int // the widths batches are padded to (chooseWidths)
}

func encode(tok tokenizer.Tokenizer, exs []tasks.Example, maxLen int, side tokenizer.Side) *encoded {
	e := &encoded{k: 1}
	if len(exs) > 0 && len(exs[0].Candidates) > 0 {
		e.k = len(exs[0].Candidates)
	}
	add := func(text string) {
		ids := tok.Encode(text)
		if len(ids) == 0 {
			ids = []int32{tok.EOS()} // the model needs one real token
		}
		if len(ids) > maxLen {
			e.truncated++
			if side == tokenizer.Left {
				ids = ids[len(ids)-maxLen:]
			} else {
				ids = ids[:maxLen]
			}
		}
		e.rows = append(e.rows, ids)
	}
	for _, ex := range exs {
		if e.k == 1 {
			add(ex.Text)
		} else {
			for _, c := range ex.Candidates {
				add(c)
			}
		}
		e.labels = append(e.labels, ex.Label)
		e.ids = append(e.ids, ex.ID)
	}
	return e
}

func (e *encoded) n() int { return len(e.labels) }

// length is the token length of example i: its longest candidate.
func (e *encoded) length(i int) int {
	l := 0
	for k := range e.k {
		l = max(l, len(e.rows[i*e.k+k]))
	}
	return l
}

// lengths are the token lengths of every example.
func (e *encoded) lengths() []int {
	out := make([]int, e.n())
	for i := range out {
		out[i] = e.length(i)
	}
	return out
}

// width is the width the examples idx are padded to: the smallest of the
// set's widths that holds the longest of them.
func (e *encoded) width(idx []int) int {
	T := 0
	for _, i := range idx {
		T = max(T, e.length(i))
	}
	return widthFor(e.widths, T)
}

// batch pads the rows of examples idx to the set's smallest width that
// holds them (a few widths per set, so few shapes get compiled): ids and
// mask [len(idx), K, T].
func (e *encoded) batch(idx []int, pad int32) (ids, mask *tensors.Tensor) {
	T := e.width(idx)
	var seqs [][]int32
	for _, i := range idx {
		seqs = append(seqs, e.rows[i*e.k:(i+1)*e.k]...)
	}
	b, err := tokenizer.Pad(seqs, T, pad, tokenizer.Right, tokenizer.Right)
	if err != nil {
		panic(err) // rows are never empty
	}
	return tensors.FromFlatDataAndDimensions(b.IDs, len(idx), e.k, T), tensors.FromFlatDataAndDimensions(b.Mask, len(idx), e.k, T)
}

// finetuneLogits maps ids and mask [B, K, T] to logits [B, C]: class
// logits (K = 1) or the rewards of the K candidates (reward head).
func finetuneLogits(ctx *context.Context, cfg model.Config, ids, mask *Node, pool string, train bool) *Node {
	d := ids.Shape().Dimensions
	B, K, T := d[0], d[1], d[2]
	ids2, mask2 := Reshape(ids, B*K, T), Reshape(mask, B*K, T)
	feats := pooled(model.Hidden(ctx, cfg, ids2, mask2, train), mask2, pool)
	return headLogits(ctx, cfg, feats, B, K)
}

// pooled reads the head's input from hidden states: the last real token,
// or the mean over real tokens.
func pooled(hidden, mask *Node, pool string) *Node {
	if pool == "mean" {
		return model.MeanTokens(hidden, mask)
	}
	return model.LastToken(hidden, mask)
}

// headLogits applies the score head to features [B·K, d].
func headLogits(ctx *context.Context, cfg model.Config, feats *Node, B, K int) *Node {
	out := model.HeadOutput(ctx, cfg, feats)
	if cfg.Head == model.HeadReward {
		return Reshape(out, B, K)
	}
	return out
}

// probeLogits maps frozen features [B, K, d] to logits through the head.
func probeLogits(ctx *context.Context, cfg model.Config, feats *Node) *Node {
	d := feats.Shape().Dimensions
	return headLogits(ctx, cfg, Reshape(feats, d[0]*d[1], d[2]), d[0], d[1])
}

// classifier is what a stage trains and predicts with: a whole model, or a
// probe (a head over cached features).
type classifier struct {
	cfg   model.Config
	ctx   *context.Context
	probe bool
	enc   map[string]*encoded  // finetune: the encoded sets
	feats map[string]*features // probe: the features of each set
	pad   int32
	pool  string
}

// features are frozen features [N, K, d], row-major.
type features struct {
	data    []float32
	n, k, d int
}

// inputs returns the input tensors of examples idx of a set.
func (c *classifier) inputs(set string, idx []int) []*tensors.Tensor {
	if c.probe {
		f := c.feats[set]
		row := f.k * f.d
		out := make([]float32, 0, len(idx)*row)
		for _, i := range idx {
			out = append(out, f.data[i*row:(i+1)*row]...)
		}
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(out, len(idx), f.k, f.d)}
	}
	ids, mask := c.enc[set].batch(idx, c.pad)
	return []*tensors.Tensor{ids, mask}
}

func (c *classifier) size(set string) int {
	if c.probe {
		return c.feats[set].n
	}
	return c.enc[set].n()
}

// logits builds the logits of one batch of inputs.
func (c *classifier) logits(ctx *context.Context, in []*Node, train bool) *Node {
	if c.probe {
		return probeLogits(ctx, c.cfg, in[0])
	}
	return finetuneLogits(ctx, c.cfg, in[0], in[1], c.pool, train)
}

// predictor computes class probabilities for whole sets.
type predictor struct {
	c    *classifier
	exec *context.Exec
}

func newPredictor(b backends.Backend, c *classifier) *predictor {
	exec := context.MustNewExec(b, c.ctx, func(ctx *context.Context, in []*Node) *Node {
		return Softmax(ConvertDType(c.logits(ctx, in, false), dtypes.Float64), -1)
	})
	return &predictor{c: c, exec: exec}
}

// predict returns the probabilities of every example of a set, in order,
// batched by length so padding stays small.
func (p *predictor) predict(set string) ([][]float64, error) {
	return p.predictFirst(set, p.c.size(set))
}

// predictFirst is predict on the first n examples of a set.
func (p *predictor) predictFirst(set string, n int) ([][]float64, error) {
	n = min(n, p.c.size(set))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if !p.c.probe {
		e := p.c.enc[set]
		sortByLength(order, func(i int) int { return len(e.rows[i*e.k]) })
	}
	out := make([][]float64, n)
	for start := 0; start < n; start += predictBatch {
		idx := fullBatch(order[start:min(n, start+predictBatch)], predictBatch)
		in := p.c.inputs(set, idx)
		args := make([]any, len(in))
		for i, t := range in {
			args[i] = t
		}
		res, err := p.exec.Exec(args...)
		if err != nil {
			return nil, fmt.Errorf("predict %s: %w", set, err)
		}
		probs := res[0].Value().([][]float64)
		for j, i := range idx[:min(len(idx), n-start)] {
			out[i] = probs[j]
		}
	}
	return out, nil
}

// predictBatch is the batch size of prediction.
const predictBatch = 64

// fullBatch pads a short last batch to size by repeating its last example
// (whose extra results are dropped), so that every batch has the same shape
// and no graph is compiled for the remainder.
func fullBatch(idx []int, size int) []int {
	if len(idx) == 0 || len(idx) >= size {
		return idx
	}
	out := make([]int, size)
	copy(out, idx)
	for i := len(idx); i < size; i++ {
		out[i] = idx[len(idx)-1]
	}
	return out
}

func sortByLength(order []int, length func(int) int) {
	sort.SliceStable(order, func(a, b int) bool { return length(order[a]) < length(order[b]) })
}

// newProbeContext holds only the head of cfg, zero-initialised like the
// model's head.
func newProbeContext(cfg model.Config, dims int) *context.Context {
	ctx := context.New()
	ctx.InAbsPath("/score").Checked(false).VariableWithValue("weight", tensors.FromShape(shapes.Make(dtypes.Float32, dims, cfg.NumLabels)))
	return ctx
}

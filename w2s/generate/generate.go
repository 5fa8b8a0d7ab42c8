// Package generate continues prompts with a causal language model by greedy
// decoding: at every step each unfinished sequence takes its most likely
// next token. It is how a model answers a task whose answer is text rather
// than a class, such as the first move of a chess puzzle.
//
// Sequences are right-padded to the model's context, so one compiled graph
// serves every step and every batch. A prompt that leaves no room for the
// tokens to generate keeps its end, and is counted.
package generate

import (
	"context"
	"fmt"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/model"
)

// Options bound the generation.
type Options struct {
	// MaxTokens is the most tokens generated per prompt (at least 1).
	MaxTokens int
	// Stop, when set, ends a sequence as soon as it returns true for the
	// tokens generated so far (those tokens are kept).
	Stop func(generated []int32) bool
	// Batch is how many sequences run together (default 32).
	Batch int
	// Length, when set, is the padded length of every sequence (at most
	// the model's context): prompts much shorter than the context run
	// faster in a shorter graph. A prompt longer than Length − MaxTokens
	// keeps its end, as one longer than the context does.
	Length int
}

// Result is what Greedy generated.
type Result struct {
	Tokens    [][]int32 // per prompt, the tokens generated, in order
	Truncated int       // prompts whose start was cut to leave room for MaxTokens
}

// Greedy continues every prompt (token ids, none empty) with m's most
// likely next token, step after step, until Options.Stop says so or
// MaxTokens are generated. Ties go to the lowest token id.
func Greedy(ctx context.Context, b backends.Backend, m *model.Model, prompts [][]int32, opt Options) (*Result, error) {
	T := m.Config.NPositions
	if opt.Length > 0 {
		if opt.Length > T {
			return nil, fmt.Errorf("generate: Length %d exceeds the model's context of %d", opt.Length, T)
		}
		T = opt.Length
	}
	switch {
	case opt.MaxTokens < 1:
		return nil, fmt.Errorf("generate: MaxTokens %d must be at least 1", opt.MaxTokens)
	case opt.MaxTokens >= T:
		return nil, fmt.Errorf("generate: MaxTokens %d leaves no room for a prompt in sequences of %d tokens", opt.MaxTokens, T)
	}
	batch := opt.Batch
	if batch <= 0 {
		batch = 32
	}
	res := &Result{Tokens: make([][]int32, len(prompts))}
	seqs := make([][]int32, len(prompts))
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, fmt.Errorf("generate: prompt %d is empty", i)
		}
		if keep := T - opt.MaxTokens; len(p) > keep {
			p = p[len(p)-keep:]
			res.Truncated++
		}
		seqs[i] = append([]int32(nil), p...)
	}
	cfg := m.Config
	exec, err := mlctx.NewExec(b, m.Ctx, func(ctx *mlctx.Context, ids, mask *Node) *Node {
		return NextToken(ctx, cfg, ids, mask)
	})
	if err != nil {
		return nil, err
	}
	ids := make([]int32, batch*T)
	mask := make([]int32, batch*T)
	for start := 0; start < len(seqs); start += batch {
		rows := seqs[start:min(len(seqs), start+batch)]
		gen := res.Tokens[start : start+len(rows)]
		done := make([]bool, len(rows))
		for step := 0; step < opt.MaxTokens; step++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			clear(ids)
			clear(mask)
			active := 0
			for r, s := range rows {
				if done[r] {
					continue
				}
				active++
				copy(ids[r*T:], s)
				for t := range s {
					mask[r*T+t] = 1
				}
			}
			if active == 0 {
				break
			}
			for r := len(rows); r < batch; r++ { // unused rows: one real token keeps them well defined
				mask[r*T] = 1
			}
			for r := range rows {
				if done[r] {
					mask[r*T] = 1
				}
			}
			outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(ids, batch, T), tensors.FromFlatDataAndDimensions(mask, batch, T))
			if err != nil {
				return nil, err
			}
			next := tensors.MustCopyFlatData[int32](outs[0])
			for r := range rows {
				if done[r] {
					continue
				}
				rows[r] = append(rows[r], next[r])
				gen[r] = append(gen[r], next[r])
				if (opt.Stop != nil && opt.Stop(gen[r])) || len(rows[r]) >= T {
					done[r] = true
				}
			}
		}
	}
	return res, nil
}

// NextToken is the graph of one greedy step: ids and mask are [batch,
// time] (mask 1 on real tokens, which come first); it returns, for each
// sequence, the most likely token after its last real one, [batch] int32.
func NextToken(ctx *mlctx.Context, cfg model.Config, ids, mask *Node) *Node {
	last := model.LastToken(model.Hidden(ctx, cfg, ids, mask, false), mask) // [batch, width]
	logits := model.LMLogits(ctx, last)                                     // [batch, vocab]
	return ConvertDType(ArgMax(logits, -1), ids.DType())
}

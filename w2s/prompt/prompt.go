// Package prompt builds zero- and few-shot prompts from a task's own
// formatted inputs and scores each class by the language model's summed
// log-probability of its label word.
//
// A prompt is k demonstrations, each "<input>\nAnswer: <label word>\n\n",
// followed by the query "<input>\nAnswer:"; class c continues it with
// " <label word c>". When the prompt is longer than the model's context,
// whole demonstrations are dropped from the front (the query is never cut;
// a query that alone is too long keeps its end) and the drop is counted.
package prompt

import (
	"fmt"
	"math"
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

// Demo is one demonstration: an input and the label shown with it.
type Demo struct {
	Example tasks.Example
	Label   int
}

// Input renders an example as prompt text. Preference pairs show both
// conversations; their label words name the better one.
func Input(e tasks.Example) string {
	if len(e.Candidates) == 0 {
		return e.Text
	}
	var b strings.Builder
	for i, c := range e.Candidates {
		fmt.Fprintf(&b, "Conversation %c:%s\n\n", 'A'+i, c)
	}
	b.WriteString("Which conversation has the better final reply?")
	return b.String()
}

// Text is the full prompt text for a query after demonstrations.
func Text(t *tasks.Task, demos []Demo, query tasks.Example) string {
	var b strings.Builder
	for _, d := range demos {
		b.WriteString(Input(d.Example))
		b.WriteString("\nAnswer: ")
		b.WriteString(t.LabelWords[d.Label])
		b.WriteString("\n\n")
	}
	b.WriteString(Input(query))
	b.WriteString("\nAnswer:")
	return b.String()
}

// Encoded is a prompt ready for scoring: the token ids of the prompt (and
// of each class's continuation), fitted to the context.
type Encoded struct {
	Prompt  []int32
	Classes [][]int32 // " <label word>" per class
	Demos   int       // demonstrations kept
	Cut     bool      // the query itself was cut to fit
}

// Encode tokenizes a prompt and fits it into context tokens, dropping
// demonstrations from the front as needed.
func Encode(tok tokenizer.Tokenizer, t *tasks.Task, demos []Demo, query tasks.Example, context int) Encoded {
	var classes [][]int32
	longest := 0
	for _, w := range t.LabelWords {
		ids := tok.Encode(" " + w)
		classes = append(classes, ids)
		longest = max(longest, len(ids))
	}
	budget := context - longest
	for k := len(demos); ; k-- {
		ids := tok.Encode(Text(t, demos[len(demos)-k:], query))
		if len(ids) <= budget || k == 0 {
			e := Encoded{Prompt: ids, Classes: classes, Demos: k}
			if len(ids) > budget {
				e.Prompt, e.Cut = ids[len(ids)-budget:], true
			}
			return e
		}
	}
}

// SequenceLogProb builds the summed log-probability of the targets where
// targetMask is 1, per row: ids, mask, targets, targetMask [N, T] → [N].
func SequenceLogProb(ctx *context.Context, cfg model.Config, ids, mask, targets, targetMask *Node) *Node {
	logits := model.LMLogits(ctx, model.Hidden(ctx, cfg, ids, mask, false))
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(targets, cfg.VocabSize, logp.DType())
	lp := ReduceSum(Mul(logp, onehot), -1) // [N, T]
	return ReduceSum(Mul(lp, ConvertDType(targetMask, lp.DType())), -1)
}

// Rows lays out one row per (prompt, class): the prompt then the class's
// tokens, targets shifted by one, scoring only the class's tokens. Rows are
// padded on the right to T (a multiple of 8).
func Rows(prompts []Encoded, pad int32) (ids, mask, targets, tmask []int32, n, T int) {
	for _, p := range prompts {
		for _, c := range p.Classes {
			T = max(T, len(p.Prompt)+len(c))
		}
	}
	T = (T + 7) / 8 * 8
	for _, p := range prompts {
		for _, c := range p.Classes {
			seq := append(append([]int32{}, p.Prompt...), c...)
			for t := range T {
				switch {
				case t < len(seq):
					ids = append(ids, seq[t])
					mask = append(mask, 1)
				default:
					ids = append(ids, pad)
					mask = append(mask, 0)
				}
				// Position t predicts token t+1; score positions predicting class tokens.
				if t+1 < len(seq) {
					targets = append(targets, seq[t+1])
				} else {
					targets = append(targets, pad)
				}
				if t+1 >= len(p.Prompt) && t+1 < len(seq) {
					tmask = append(tmask, 1)
				} else {
					tmask = append(tmask, 0)
				}
			}
			n++
		}
	}
	return
}

// Probs turns per-class summed log-probabilities into probabilities over
// the classes (a softmax of the scores).
func Probs(scores []float64) []float64 {
	m := math.Inf(-1)
	for _, s := range scores {
		m = math.Max(m, s)
	}
	out := make([]float64, len(scores))
	var z float64
	for i, s := range scores {
		out[i] = math.Exp(s - m)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}

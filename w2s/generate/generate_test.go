package generate

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/model"
)

const vocab = 23

func tiny(t *testing.T) *model.Model {
	t.Helper()
	m, err := model.New(model.Small(vocab, 12, 16, 2, 2), 7, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// logitsAfter is the model's next-token logits after seq, computed on seq
// alone (no padding), as the reference for one greedy step.
func logitsAfter(t *testing.T, m *model.Model, seq []int32) []float32 {
	t.Helper()
	exec := mlctx.MustNewExec(backend.MustDefault(), m.Ctx, func(ctx *mlctx.Context, ids, mask *Node) *Node {
		return model.LMLogits(ctx, model.Hidden(ctx, m.Config, ids, mask, false))
	})
	ones := make([]int32, len(seq))
	for i := range ones {
		ones[i] = 1
	}
	all := exec.MustExec([][]int32{seq}, [][]int32{ones})[0].Value().([][][]float32)
	return all[0][len(seq)-1]
}

// TestGreedyTakesTheLikeliestToken: every generated token is the most
// likely one after the prompt and the tokens before it, computed on the
// unpadded sequence (up to float noise: a token within 1e-5 of the best
// logit counts), for prompts of different lengths batched together and
// across batch boundaries; MaxTokens bounds the output.
func TestGreedyTakesTheLikeliestToken(t *testing.T) {
	m := tiny(t)
	prompts := [][]int32{{1, 2, 3}, {4}, {5, 6, 7, 8, 9, 10}, {11, 12}, {3, 3, 3, 3}}
	res, err := Greedy(context.Background(), backend.MustDefault(), m, prompts, Options{MaxTokens: 4, Batch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Truncated != 0 {
		t.Errorf("truncated %d prompts, want 0", res.Truncated)
	}
	for i, p := range prompts {
		if len(res.Tokens[i]) != 4 {
			t.Fatalf("prompt %d: %d tokens, want 4", i, len(res.Tokens[i]))
		}
		seq := slices.Clone(p)
		for j, tok := range res.Tokens[i] {
			l := logitsAfter(t, m, seq)
			best := slices.Max(l)
			if tok < 0 || int(tok) >= vocab || math.Abs(float64(l[tok]-best)) > 1e-5 {
				t.Fatalf("prompt %d, token %d: generated %d (logit %g), the best logit is %g", i, j, tok, l[tok], best)
			}
			seq = append(seq, tok)
		}
	}
	// Padded to 10 tokens rather than the context of 12: the same tokens
	// (attention is causal, so padding after a sequence changes nothing).
	short, err := Greedy(context.Background(), backend.MustDefault(), m, prompts, Options{MaxTokens: 4, Batch: 3, Length: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range prompts {
		if !slices.Equal(short.Tokens[i], res.Tokens[i]) {
			t.Errorf("prompt %d in 10 tokens: %v, in the context: %v", i, short.Tokens[i], res.Tokens[i])
		}
	}
	// The same prompts one at a time give the same tokens.
	for i, p := range prompts {
		one, err := Greedy(context.Background(), backend.MustDefault(), m, [][]int32{p}, Options{MaxTokens: 4})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one.Tokens[0], res.Tokens[i]) {
			t.Errorf("prompt %d alone: %v, batched: %v", i, one.Tokens[0], res.Tokens[i])
		}
	}
}

// TestGreedyStopsAndTruncates: Stop ends a sequence with the token that
// triggered it; a prompt too long for the context keeps its end, counted.
func TestGreedyStopsAndTruncates(t *testing.T) {
	m := tiny(t)
	b := backend.MustDefault()
	free, err := Greedy(context.Background(), b, m, [][]int32{{1, 2}}, Options{MaxTokens: 5})
	if err != nil {
		t.Fatal(err)
	}
	first := free.Tokens[0][0]
	stopped, err := Greedy(context.Background(), b, m, [][]int32{{1, 2}}, Options{MaxTokens: 5,
		Stop: func(g []int32) bool { return g[len(g)-1] == first }})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stopped.Tokens[0], []int32{first}) {
		t.Errorf("stopped: %v, want [%d]", stopped.Tokens[0], first)
	}

	long := make([]int32, 20) // context 12: keeps the last 12 − 3 = 9
	for i := range long {
		long[i] = int32(i % vocab)
	}
	cut, err := Greedy(context.Background(), b, m, [][]int32{long, {1}}, Options{MaxTokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	end, err := Greedy(context.Background(), b, m, [][]int32{long[len(long)-9:]}, Options{MaxTokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	if cut.Truncated != 1 || !slices.Equal(cut.Tokens[0], end.Tokens[0]) {
		t.Errorf("truncated %d (want 1); tokens %v, want those after the prompt's last 9: %v", cut.Truncated, cut.Tokens[0], end.Tokens[0])
	}
}

// TestGreedyRefuses: bounds that cannot work and empty prompts are errors
// that say which.
func TestGreedyRefuses(t *testing.T) {
	m := tiny(t)
	b := backend.MustDefault()
	for _, c := range []struct {
		prompts [][]int32
		opt     Options
		want    string
	}{
		{[][]int32{{1}}, Options{MaxTokens: 0}, "MaxTokens 0 must be at least 1"},
		{[][]int32{{1}}, Options{MaxTokens: 12}, "no room for a prompt in sequences of 12 tokens"},
		{[][]int32{{1}}, Options{MaxTokens: 2, Length: 13}, "Length 13 exceeds the model's context of 12"},
		{[][]int32{{1}, {}}, Options{MaxTokens: 2}, "prompt 1 is empty"},
	} {
		_, err := Greedy(context.Background(), b, m, c.prompts, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.opt, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Greedy(ctx, b, m, [][]int32{{1}}, Options{MaxTokens: 2}); err == nil {
		t.Error("a cancelled context generated")
	}
}

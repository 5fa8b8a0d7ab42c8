package prompt

import (
	"math"
	"reflect"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

func TestPromptText(t *testing.T) {
	sst2, _ := tasks.Get("sst2")
	demos := []Demo{
		{tasks.Example{Text: "a gem ."}, 1},
		{tasks.Example{Text: "dull and long ."}, 0},
	}
	got := Text(sst2, demos, tasks.Example{Text: "quite moving ."})
	want := "a gem .\nAnswer: positive\n\ndull and long .\nAnswer: negative\n\nquite moving .\nAnswer:"
	if got != want {
		t.Errorf("prompt:\n%q\nwant\n%q", got, want)
	}
	if z := Text(sst2, nil, tasks.Example{Text: "ok ."}); z != "ok .\nAnswer:" {
		t.Errorf("zero-shot prompt %q", z)
	}
	hh, _ := tasks.Get("hh_harmless")
	pair := tasks.Example{Candidates: []string{"\n\nHuman: hi\n\nAssistant: hello", "\n\nHuman: hi\n\nAssistant: go away"}}
	want = "Conversation A:\n\nHuman: hi\n\nAssistant: hello\n\nConversation B:\n\nHuman: hi\n\nAssistant: go away\n\n" +
		"Which conversation has the better final reply?\nAnswer:"
	if got := Text(hh, nil, pair); got != want {
		t.Errorf("pair prompt:\n%q\nwant\n%q", got, want)
	}
}

func TestEncodeKeepsTheQuery(t *testing.T) {
	tok, _ := tokenizer.NewGPT2()
	sst2, _ := tasks.Get("sst2")
	var demos []Demo
	for range 5 {
		demos = append(demos, Demo{tasks.Example{Text: "a fine and funny film about growing up ."}, 1})
	}
	query := tasks.Example{Text: "the ending is flat ."}
	full := Encode(tok, sst2, demos, query, 1024)
	if full.Demos != 5 || full.Cut {
		t.Fatalf("ample context: %d demonstrations, cut %v", full.Demos, full.Cut)
	}
	small := Encode(tok, sst2, demos, query, 40)
	if small.Demos >= 5 || small.Cut || len(small.Prompt)+1 > 40 {
		t.Errorf("context 40: %d demonstrations, %d tokens, cut %v", small.Demos, len(small.Prompt), small.Cut)
	}
	wantTail := tok.Encode("the ending is flat .\nAnswer:")
	if tail := small.Prompt[len(small.Prompt)-len(wantTail):]; !reflect.DeepEqual(tail, wantTail) {
		t.Error("the query is not whole at the end of the prompt")
	}
	tiny := Encode(tok, sst2, demos, query, 6)
	if tiny.Demos != 0 || !tiny.Cut || len(tiny.Prompt) != 5 {
		t.Errorf("context 6: %+v", tiny)
	}
	if !reflect.DeepEqual(full.Classes, [][]int32{tok.Encode(" negative"), tok.Encode(" positive")}) {
		t.Errorf("class continuations %v", full.Classes)
	}
}

// TestScoringPicksTheLikelierLabel checks the summed log-probabilities of
// the label words against a direct computation from the model's logits,
// and that the predicted class is the one whose words are likelier.
func TestScoringPicksTheLikelierLabel(t *testing.T) {
	cfg := model.Small(50, 16, 16, 1, 2)
	m, err := model.New(cfg, 7, dtypes.Float64)
	if err != nil {
		t.Fatal(err)
	}
	prompts := []Encoded{
		{Prompt: []int32{3, 9, 4}, Classes: [][]int32{{11}, {12, 13}}},
		{Prompt: []int32{5, 6, 7, 8, 1}, Classes: [][]int32{{11}, {12, 13}}},
	}
	ids, mask, tg, tmask, n, T := Rows(prompts, 0)
	b := backend.MustDefault()
	scores := context.MustNewExec(b, m.Ctx, func(ctx *context.Context, ids, mask, tg, tm *Node) *Node {
		return SequenceLogProb(ctx, cfg, ids, mask, tg, tm)
	}).MustExec(tensors.FromFlatDataAndDimensions(ids, n, T), tensors.FromFlatDataAndDimensions(mask, n, T),
		tensors.FromFlatDataAndDimensions(tg, n, T), tensors.FromFlatDataAndDimensions(tmask, n, T))[0].Value().([]float64)
	logits := context.MustNewExec(b, m.Ctx, func(ctx *context.Context, ids, mask *Node) *Node {
		return model.LMLogits(ctx, model.Hidden(ctx, cfg, ids, mask, false))
	})
	row := 0
	for _, p := range prompts {
		var direct []float64
		for _, c := range p.Classes {
			seq := append(append([]int32{}, p.Prompt...), c...)
			l := logits.MustExec([][]int32{seq}, [][]int32{onesLike(seq)})[0].Value().([][][]float64)[0]
			var lp float64
			for j, tokID := range c {
				pos := len(p.Prompt) - 1 + j // the position predicting token j of the class
				lp += logSoftmax(l[pos])[tokID]
			}
			direct = append(direct, lp)
			if math.Abs(scores[row]-lp) > 1e-9 {
				t.Errorf("row %d: score %.12f, direct %.12f", row, scores[row], lp)
			}
			row++
		}
		probs := Probs(direct)
		best := 0
		if probs[1] > probs[0] {
			best = 1
		}
		if (direct[1] > direct[0]) != (best == 1) || math.Abs(probs[0]+probs[1]-1) > 1e-12 {
			t.Errorf("probabilities %v for scores %v", probs, direct)
		}
	}
}

func onesLike(x []int32) []int32 {
	out := make([]int32, len(x))
	for i := range out {
		out[i] = 1
	}
	return out
}

func logSoftmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	var z float64
	for _, v := range x {
		z += math.Exp(v - m)
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v - m - math.Log(z)
	}
	return out
}

package pretrain

import (
	gocontext "context"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/testgate"
	"github.com/w2s-lab/w2s/w2s/train"
)

func TestWindowsAreDeterministicShiftedPairs(t *testing.T) {
	tokens := make([]int32, 100)
	for i := range tokens {
		tokens[i] = int32(i)
	}
	w, err := Windows(tokens, 3, 5, 7)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := w(4, 0)
	b, _ := w(4, 0)
	c, _ := w(5, 0)
	ids := tensors.MustCopyFlatData[int32](a[0])
	tg := tensors.MustCopyFlatData[int32](a[2])
	if !reflect.DeepEqual(ids, tensors.MustCopyFlatData[int32](b[0])) {
		t.Error("same (seed, step) gave different windows")
	}
	if reflect.DeepEqual(ids, tensors.MustCopyFlatData[int32](c[0])) {
		t.Error("different steps gave the same windows")
	}
	for i := range ids {
		if tg[i] != ids[i]+1 {
			t.Fatalf("target %d follows input %d", tg[i], ids[i])
		}
	}
	if _, err := Windows(tokens[:5], 2, 8, 1); err == nil {
		t.Error("a stream shorter than a window accepted")
	}
}

func TestRunLowersValidationLossAndSaves(t *testing.T) {
	testgate.Integration(t, "pretrains a model")
	// A periodic stream: a model that learns it predicts far better than chance.
	tokens := make([]int32, 4000)
	for i := range tokens {
		tokens[i] = int32((i * 5) % 23)
	}
	m, err := model.New(model.Small(23, 16, 16, 1, 2), 1, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	b := backend.MustDefault()
	ev, err := NewEvaluator(b, m, tokens[3000:], 4, 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := ev.Loss()
	out := filepath.Join(t.TempDir(), "lm")
	res, err := Run(gocontext.Background(), Options{Backend: b, Model: m, Train: tokens[:3000], Valid: tokens[3000:], Batch: 4,
		Config: train.Config{Steps: 40, LR: 1e-2, Warmup: 4, EvalEvery: 20}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(before-math.Log(23)) > 0.5 {
		t.Errorf("untrained validation loss %.3f, expected near ln 23 = %.3f", before, math.Log(23))
	}
	if !(res.ValidLoss < before/2) {
		t.Errorf("validation loss %.3f → %.3f after 40 steps on a periodic stream", before, res.ValidLoss)
	}
	if _, err := checkpoint.Load(out, checkpoint.LoadOptions{}); err != nil {
		t.Errorf("saved model does not load: %v", err)
	}
}

func TestByteCorpusHoldsOutTheLastTenth(t *testing.T) {
	c := NewByteCorpus([]byte("abcdefghijklmnopqrst"))
	if c.Len() != 20 || len(c.Train) != 18 || !reflect.DeepEqual(c.Valid, []int32{'s', 't'}) || c.Train[0] != 'a' {
		t.Errorf("corpus %v | %v", c.Train, c.Valid)
	}
	if _, err := ReadByteCorpus(gocontext.Background(), filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("missing file read")
	}
}

func TestByteLMTrainsAndSaves(t *testing.T) {
	text := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 50))
	lm := ByteLM{Layers: 1, Width: 16, Heads: 2, Context: 16, Batch: 4, Out: filepath.Join(t.TempDir(), "lm"),
		Config: train.Config{Steps: 6, LR: 1e-2, Warmup: 1, EvalEvery: 3, Seed: 1}}
	if cfg := lm.ModelConfig(); cfg.VocabSize != 256 || cfg.NPositions != 16 {
		t.Errorf("config %+v", cfg)
	}
	m, err := lm.NewModel()
	if err != nil {
		t.Fatal(err)
	}
	res, err := lm.Run(gocontext.Background(), backend.MustDefault(), m, NewByteCorpus(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 6 || math.IsNaN(res.ValidLoss) || len(res.Curve) != 6 {
		t.Errorf("%d steps, %d points, validation loss %v", res.Steps, len(res.Curve), res.ValidLoss)
	}
	if _, err := checkpoint.Load(lm.Out, checkpoint.LoadOptions{}); err != nil {
		t.Errorf("saved model does not load: %v", err)
	}
}

package pretrain

import (
	gocontext "context"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/model"
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

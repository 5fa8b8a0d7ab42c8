package checkpoint

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

// transformersPython returns a Python that imports transformers and torch
// (the project's venv, from kernel/setup --torch), or skips the test —
// unless $W2S_REQUIRE_TRANSFORMERS is set (CI), where it fails.
func transformersPython(t *testing.T) string {
	t.Helper()
	py := filepath.Join(paths.Venv(), "bin", "python")
	out, err := exec.Command(py, "-c", "import torch, transformers; print(transformers.__version__)").CombinedOutput()
	testgate.Require(t, testgate.Transformers, err == nil,
		fmt.Sprintf("transformers is not installed in %s (kernel/setup --torch installs it): %v %s", paths.Venv(), err, lastLine(out)))
	t.Logf("transformers %s", out)
	return py
}

func lastLine(b []byte) string {
	s := string(b)
	if len(s) > 300 {
		s = s[len(s)-300:]
	}
	return s
}

type hfLogits struct {
	IDs       [][]int32     `json:"ids"`
	Mask      [][]int32     `json:"mask"`
	LMLogits  [][][]float64 `json:"lm_logits"`
	ClsLogits [][]float64   `json:"cls_logits"`
}

// goLogits computes LM logits and classifier logits (last real token) in Go.
func goLogits(t *testing.T, lm, cls *model.Model, ids, mask [][]int32) (lmOut []float64, clsOut []float64) {
	t.Helper()
	b := backend.MustDefault()
	for _, m := range []*model.Model{lm, cls} {
		cfg := m.Config
		e := context.MustNewExec(b, m.Ctx, func(ctx *context.Context, ids, mask *Node) *Node {
			h := model.Hidden(ctx, cfg, ids, mask, false)
			if cfg.Head == model.HeadLM {
				return model.LMLogits(ctx, h)
			}
			return model.HeadOutput(ctx, cfg, model.LastToken(h, mask))
		})
		out := tensors.MustCopyFlatData[float32](e.MustExec(ids, mask)[0])
		f := make([]float64, len(out))
		for i, v := range out {
			f[i] = float64(v)
		}
		if m == lm {
			lmOut = f
		} else {
			clsOut = f
		}
	}
	return lmOut, clsOut
}

// compareLogits returns the largest absolute difference between Go's and
// transformers' logits, over real tokens only.
func compareLogits(t *testing.T, ref hfLogits, lm, cls []float64) (worstLM, worstCls float64) {
	t.Helper()
	B, T := len(ref.IDs), len(ref.IDs[0])
	V := len(ref.LMLogits[0][0])
	if len(lm) != B*T*V || len(cls) != B*len(ref.ClsLogits[0]) {
		t.Fatalf("shapes: Go %d LM and %d classifier logits, transformers %d×%d×%d and %d×%d", len(lm), len(cls), B, T, V, B, len(ref.ClsLogits[0]))
	}
	for b := range B {
		for p := range T {
			if ref.Mask[b][p] == 0 {
				continue
			}
			for v := range V {
				worstLM = math.Max(worstLM, math.Abs(lm[(b*T+p)*V+v]-ref.LMLogits[b][p][v]))
			}
		}
		for c, want := range ref.ClsLogits[b] {
			worstCls = math.Max(worstCls, math.Abs(cls[b*len(ref.ClsLogits[b])+c]-want))
		}
	}
	return worstLM, worstCls
}

// TestTransformersParity checks both directions against Hugging Face
// transformers itself: random GPT2LMHeadModel and
// GPT2ForSequenceClassification checkpoints saved by transformers load here
// with the same logits, and checkpoints saved here load in transformers
// with the same logits.
func TestTransformersParity(t *testing.T) {
	testgate.Integration(t, "runs PyTorch")
	py := transformersPython(t)
	const tol = 1e-4
	dir := t.TempDir()

	// transformers → w2s.
	if out, err := exec.Command(py, "testdata/hf_parity.py", "make", dir).CombinedOutput(); err != nil {
		t.Fatalf("hf_parity.py make: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "logits.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref hfLogits
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	lm, err := Load(filepath.Join(dir, "lm"), LoadOptions{})
	if err != nil {
		t.Fatalf("loading transformers' GPT2LMHeadModel: %v", err)
	}
	cls, err := Load(filepath.Join(dir, "cls"), LoadOptions{})
	if err != nil {
		t.Fatalf("loading transformers' GPT2ForSequenceClassification: %v", err)
	}
	if cls.Config.Head != model.HeadClassification || cls.Config.NumLabels != 3 {
		t.Fatalf("classifier loaded as %s with %d labels", cls.Config.Head, cls.Config.NumLabels)
	}
	goLM, goCls := goLogits(t, lm, cls, ref.IDs, ref.Mask)
	l, c := compareLogits(t, ref, goLM, goCls)
	t.Logf("transformers → w2s: largest difference %.2g (LM), %.2g (classifier)", l, c)
	if l > tol || c > tol {
		t.Errorf("transformers' checkpoints give other logits here: %.3g (LM), %.3g (classifier), tolerance %g", l, c, tol)
	}

	// w2s → transformers: random models, every weight non-trivial.
	r := rand.New(rand.NewPCG(5, 6))
	ours := map[string]*model.Model{}
	for _, kind := range []string{"lm", "cls"} {
		cfg := model.Small(97, 16, 32, 2, 4)
		if kind == "cls" {
			cfg = cfg.WithHead(model.HeadClassification, 3)
		}
		m, err := model.New(cfg, 9, dtypes.Float32)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range cfg.Params() {
			n := 1
			for _, s := range p.Shape {
				n *= s
			}
			data := make([]float32, n)
			for i := range data {
				data[i] = float32(r.NormFloat64() * 0.2)
			}
			if err := m.Set(p.Name, data); err != nil {
				t.Fatal(err)
			}
		}
		pad := 96
		if err := Save(filepath.Join(dir, "ours-"+kind), m, Options{EOS: &pad}); err != nil {
			t.Fatal(err)
		}
		ours[kind] = m
	}
	inputs := filepath.Join(dir, "inputs.json")
	raw, _ = json.Marshal(map[string]any{"ids": ref.IDs, "mask": ref.Mask})
	os.WriteFile(inputs, raw, 0o644)
	out, err := exec.Command(py, "testdata/hf_parity.py", "score", filepath.Join(dir, "ours-lm"), filepath.Join(dir, "ours-cls"), inputs).Output()
	if err != nil {
		t.Fatalf("transformers could not load our checkpoints: %v\n%s", err, stderrOf(err))
	}
	var theirs hfLogits
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	theirs.IDs, theirs.Mask = ref.IDs, ref.Mask
	goLM, goCls = goLogits(t, ours["lm"], ours["cls"], ref.IDs, ref.Mask)
	l, c = compareLogits(t, theirs, goLM, goCls)
	t.Logf("w2s → transformers: largest difference %.2g (LM), %.2g (classifier)", l, c)
	if l > tol || c > tol {
		t.Errorf("our checkpoints give other logits in transformers: %.3g (LM), %.3g (classifier), tolerance %g", l, c, tol)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return lastLine(ee.Stderr)
	}
	return ""
}

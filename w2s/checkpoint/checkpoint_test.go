package checkpoint

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/safetensors"
)

type reference struct {
	IDs       [][]int32     `json:"ids"`
	Mask      [][]int32     `json:"mask"`
	LMRows    []int         `json:"lm_rows"`
	LMLogits  [][][]float64 `json:"lm_logits"`
	ClsLogits [][]float64   `json:"cls_logits"`
}

func readReference(t *testing.T) reference {
	t.Helper()
	raw, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// run computes LM logits (lm head) or head outputs (classifier) for the
// reference inputs.
func run(t *testing.T, m *model.Model, ref reference) *tensors.Tensor {
	t.Helper()
	b := backend.MustDefault()
	cfg := m.Config
	exec := context.MustNewExec(b, m.Ctx, func(ctx *context.Context, ids, mask *Node) *Node {
		h := model.Hidden(ctx, cfg, ids, mask, false)
		if cfg.Head == model.HeadLM {
			return model.LMLogits(ctx, h)
		}
		return model.HeadOutput(ctx, cfg, model.LastToken(h, mask))
	})
	return exec.MustExec(ref.IDs, ref.Mask)[0]
}

func TestLogitsMatchIndependentImplementation(t *testing.T) {
	ref := readReference(t)
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		m, err := Load("testdata/tiny-gpt2", LoadOptions{DType: dtype})
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float64](mustConvert(t, run(t, m, ref)))
		V := m.Config.VocabSize
		T := len(ref.IDs[0])
		worst := 0.0
		for _, b := range ref.LMRows {
			for pos := range T {
				if ref.Mask[b][pos] == 0 {
					continue
				}
				for v := range V {
					diff := math.Abs(got[(b*T+pos)*V+v] - ref.LMLogits[b][pos][v])
					worst = math.Max(worst, diff)
				}
			}
		}
		t.Logf("%s: largest LM logit difference from PyTorch: %.3g", dtype, worst)
		if worst > 5e-5 {
			t.Errorf("%s LM logits differ from the PyTorch reference by up to %g", dtype, worst)
		}

		cls, err := Load("testdata/tiny-gpt2-cls", LoadOptions{DType: dtype})
		if err != nil {
			t.Fatal(err)
		}
		if cls.Config.Head != model.HeadClassification || cls.Config.NumLabels != 3 {
			t.Fatalf("classifier config: head %q with %d labels", cls.Config.Head, cls.Config.NumLabels)
		}
		gotCls := tensors.MustCopyFlatData[float64](mustConvert(t, run(t, cls, ref)))
		for b, row := range ref.ClsLogits {
			for c, want := range row {
				if diff := math.Abs(gotCls[b*3+c] - want); diff > 5e-5 {
					t.Errorf("%s classifier logit [%d,%d] = %.6f, reference %.6f", dtype, b, c, gotCls[b*3+c], want)
				}
			}
		}
	}
}

// mustConvert returns t as float64.
func mustConvert(t *testing.T, x *tensors.Tensor) *tensors.Tensor {
	t.Helper()
	if x.DType() == dtypes.Float64 {
		return x
	}
	f32 := tensors.MustCopyFlatData[float32](x)
	f64 := make([]float64, len(f32))
	for i, v := range f32 {
		f64[i] = float64(v)
	}
	return tensors.FromFlatDataAndDimensions(f64, x.Shape().Dimensions...)
}

func TestRoundTripKeepsEveryTensor(t *testing.T) {
	for _, src := range []string{"testdata/tiny-gpt2", "testdata/tiny-gpt2-cls"} {
		m, err := Load(src, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "saved")
		eos := 95
		if err := Save(dir, m, Options{EOS: &eos}); err != nil {
			t.Fatal(err)
		}
		// The saved file holds exactly the source's parameters (in
		// transformers' naming), bit for bit.
		orig, err := safetensors.Open(filepath.Join(src, WeightsFile))
		if err != nil {
			t.Fatal(err)
		}
		saved, err := safetensors.Open(filepath.Join(dir, WeightsFile))
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		for _, ti := range orig.Tensors {
			if isBuffer(ti.Name) {
				continue
			}
			name := ti.Name
			if name != "score.weight" && !strings.HasPrefix(name, "transformer.") {
				name = "transformer." + name
			}
			_, a, err := orig.Bytes(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			info, b, err := saved.Bytes(name)
			if err != nil {
				t.Errorf("%s: saved checkpoint lacks %s", src, name)
				continue
			}
			if string(a) != string(b) || len(info.Shape) != len(ti.Shape) {
				t.Errorf("%s: %s differs after a round trip", src, name)
			}
			count++
		}
		if count != len(saved.Tensors) {
			t.Errorf("%s: saved %d tensors, source has %d parameters", src, len(saved.Tensors), count)
		}
		orig.Close()
		saved.Close()
		again, err := Load(dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if again.Config != m.Config {
			t.Errorf("config changed: %+v → %+v", m.Config, again.Config)
		}
	}
}

func TestLoadUnderNewHead(t *testing.T) {
	m, err := Load("testdata/tiny-gpt2", LoadOptions{Head: model.HeadClassification, NumLabels: 2})
	if err != nil {
		t.Fatal(err)
	}
	w, shape, err := m.Get("score.weight")
	if err != nil {
		t.Fatal(err)
	}
	if shape[0] != 32 || shape[1] != 2 {
		t.Fatalf("score shape %v", shape)
	}
	for _, x := range w {
		if x != 0 {
			t.Fatal("a fresh head must start at zero")
		}
	}
	r, err := Load("testdata/tiny-gpt2-cls", LoadOptions{Head: model.HeadReward, NumLabels: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Config.Head != model.HeadReward {
		t.Fatalf("head %q", r.Config.Head)
	}
}

func TestLoadErrors(t *testing.T) {
	write := func(t *testing.T, cfg string, ts []safetensors.Tensor) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, ConfigFile), []byte(cfg), 0o644)
		if ts != nil {
			if err := safetensors.Write(filepath.Join(dir, WeightsFile), ts, nil); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	good := `{"vocab_size":4,"n_positions":2,"n_embd":4,"n_layer":1,"n_head":2}`
	cases := []struct {
		name, cfg, want string
		ts              []safetensors.Tensor
	}{
		{"bad json", `{"vocab_size":`, "config.json", nil},
		{"other model", `{"model_type":"llama","vocab_size":4,"n_positions":2,"n_embd":4,"n_layer":1,"n_head":2}`, `model_type "llama"`, nil},
		{"heads", `{"vocab_size":4,"n_positions":2,"n_embd":4,"n_layer":1,"n_head":3}`, "not a multiple", nil},
		{"activation", `{"activation_function":"relu","vocab_size":4,"n_positions":2,"n_embd":4,"n_layer":1,"n_head":2}`, "activation_function", nil},
		{"missing weights", good, "missing tensors: wpe.weight", []safetensors.Tensor{safetensors.F32Tensor("wte.weight", []int{4, 4}, make([]float32, 16))}},
		{"wrong shape", good, "shape [4 3]", []safetensors.Tensor{safetensors.F32Tensor("wte.weight", []int{4, 3}, make([]float32, 12))}},
		{"unknown tensor", good, "not part of a GPT-2 model: lm_head.bias", []safetensors.Tensor{safetensors.F32Tensor("lm_head.bias", []int{4}, make([]float32, 4))}},
	}
	for _, c := range cases {
		_, err := Load(write(t, c.cfg, c.ts), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// A byte-order mark before the config (as some editors write) is not an error.
	if _, err := ReadConfig(write(t, "\xef\xbb\xbf"+good, nil)); err != nil {
		t.Errorf("config.json with a byte-order mark: %v", err)
	}
}

// TestLoadNamesNonFiniteTensors: a user's HF-layout checkpoint with a NaN
// in one layer's attention projection and an infinity in the token
// embedding is refused at load, naming the file and both tensors (it used
// to train, and fail with "loss is NaN at step 1").
func TestLoadNamesNonFiniteTensors(t *testing.T) {
	src := "testdata/tiny-gpt2"
	f, err := safetensors.Open(filepath.Join(src, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, info := range f.Tensors {
		v, shape, err := f.Float32s(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		switch strings.TrimPrefix(info.Name, "transformer.") {
		case "h.0.attn.c_proj.weight":
			v[5] = float32(math.NaN())
		case "wte.weight":
			v[0], v[9] = float32(math.Inf(1)), float32(math.Inf(-1))
		}
		ts = append(ts, safetensors.F32Tensor(info.Name, shape, v))
	}
	f.Close()
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(src, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ConfigFile), raw, 0o644)
	weights := filepath.Join(dir, WeightsFile)
	if err := safetensors.Write(weights, ts, nil); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir, LoadOptions{})
	for _, want := range []string{weights, "non-finite values in 2 tensors", "h.0.attn.c_proj.weight (1 NaN of", "first at element 5",
		"wte.weight (2 infinite of", "first at element 0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

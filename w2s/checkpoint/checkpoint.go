// Package checkpoint reads and writes models in the Hugging Face GPT-2
// layout: a folder with config.json and model.safetensors, tensors named as
// transformers names them. A downloaded openai-community/gpt2 loads
// unchanged, and what we save loads in transformers as GPT2LMHeadModel or
// GPT2ForSequenceClassification.
//
// The whole name mapping is in hfName and fromHF below. Two details differ
// from our variables: c_attn fuses q, k and v (split on load, fused on
// save), and the score head is an nn.Linear stored [out, in] where we keep
// [in, out].
package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/safetensors"
)

const (
	ConfigFile  = "config.json"
	WeightsFile = "model.safetensors"
)

// hfConfig is config.json: GPT2Config's fields plus our head.
type hfConfig struct {
	model.Config
	ModelType          string            `json:"model_type"`
	Architectures      []string          `json:"architectures,omitempty"`
	ActivationFunction string            `json:"activation_function"`
	NCtx               int               `json:"n_ctx,omitempty"`
	NInner             *int              `json:"n_inner"`
	ScaleAttnWeights   *bool             `json:"scale_attn_weights,omitempty"`
	TieWordEmbeddings  *bool             `json:"tie_word_embeddings,omitempty"`
	BOSTokenID         *int              `json:"bos_token_id,omitempty"`
	EOSTokenID         *int              `json:"eos_token_id,omitempty"`
	PadTokenID         *int              `json:"pad_token_id,omitempty"`
	ID2Label           map[string]string `json:"id2label,omitempty"`
	NumLabels          int               `json:"num_labels,omitempty"`
	TorchDType         string            `json:"torch_dtype,omitempty"`
	W2SHead            model.Head        `json:"w2s_head,omitempty"`
	// Flags of GPT2Config that change the computation; we implement the defaults only.
	ScaleAttnByInverseLayerIdx bool `json:"scale_attn_by_inverse_layer_idx,omitempty"`
	ReorderAndUpcastAttn       bool `json:"reorder_and_upcast_attn,omitempty"`
}

// Options are the optional parts of a saved config.
type Options struct {
	Labels []string // class names, for id2label; defaults to LABEL_i
	EOS    *int     // end-of-text token id, also used as the pad token
}

// Save writes m into dir (created if needed) in the HF GPT-2 layout. Each
// file is written atomically; the weights go first, so a config.json is
// never seen beside weights from another model.
func Save(dir string, m *model.Model, opts Options) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg := m.Config
	tensors, err := hfTensors(m)
	if err != nil {
		return err
	}
	if err := safetensors.Write(filepath.Join(dir, WeightsFile), tensors, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	yes := true
	hc := hfConfig{
		Config: cfg, ModelType: "gpt2", ActivationFunction: "gelu_new", NCtx: cfg.NPositions,
		ScaleAttnWeights: &yes, TieWordEmbeddings: &yes, TorchDType: "float32",
		BOSTokenID: opts.EOS, EOSTokenID: opts.EOS,
	}
	switch cfg.Head {
	case model.HeadClassification, model.HeadReward:
		hc.Architectures = []string{"GPT2ForSequenceClassification"}
		hc.NumLabels = cfg.NumLabels
		hc.W2SHead = cfg.Head
		hc.PadTokenID = opts.EOS
		hc.ID2Label = map[string]string{}
		for i := range cfg.NumLabels {
			name := fmt.Sprintf("LABEL_%d", i)
			if i < len(opts.Labels) {
				name = opts.Labels[i]
			}
			hc.ID2Label[fmt.Sprint(i)] = name
		}
	default:
		hc.Architectures = []string{"GPT2LMHeadModel"}
	}
	js, err := json.MarshalIndent(hc, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, ConfigFile), append(js, '\n'))
}

// hfTensors converts m's variables to HF tensors.
func hfTensors(m *model.Model) ([]safetensors.Tensor, error) {
	cfg := m.Config
	get := func(name string) ([]float32, []int, error) { return m.Get(name) }
	var out []safetensors.Tensor
	for _, p := range cfg.Params() {
		name := p.Name
		switch {
		case strings.Contains(name, ".attn.k.") || strings.Contains(name, ".attn.v."):
			continue // fused with q below
		case strings.Contains(name, ".attn.q."):
			kind := name[strings.LastIndexByte(name, '.')+1:] // weight or bias
			prefix := strings.TrimSuffix(name, "q."+kind)
			var parts [3][]float32
			for i, x := range []string{"q", "k", "v"} {
				v, _, err := get(prefix + x + "." + kind)
				if err != nil {
					return nil, err
				}
				parts[i] = v
			}
			d := cfg.NEmbd
			if kind == "bias" {
				fused := append(append(append([]float32{}, parts[0]...), parts[1]...), parts[2]...)
				out = append(out, safetensors.F32Tensor(backbonePrefix+prefix+"c_attn.bias", []int{3 * d}, fused))
				continue
			}
			fused := make([]float32, d*3*d) // [in=d, out=3d]: row r is q[r] ‖ k[r] ‖ v[r]
			for r := range d {
				for i := range 3 {
					copy(fused[r*3*d+i*d:r*3*d+(i+1)*d], parts[i][r*d:(r+1)*d])
				}
			}
			out = append(out, safetensors.F32Tensor(backbonePrefix+prefix+"c_attn.weight", []int{d, 3 * d}, fused))
		case name == "score.weight":
			v, shape, err := get(name)
			if err != nil {
				return nil, err
			}
			out = append(out, safetensors.F32Tensor("score.weight", []int{shape[1], shape[0]}, transpose(v, shape[0], shape[1])))
		default:
			v, shape, err := get(name)
			if err != nil {
				return nil, err
			}
			out = append(out, safetensors.F32Tensor(backbonePrefix+name, shape, v))
		}
	}
	return out, nil
}

// backbonePrefix starts backbone tensor names, as transformers saves
// GPT2LMHeadModel and GPT2ForSequenceClassification.
const backbonePrefix = "transformer."

func transpose(v []float32, rows, cols int) []float32 {
	out := make([]float32, len(v))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = v[r*cols+c]
		}
	}
	return out
}

// ReadConfig reads dir/config.json, checking that it describes a GPT-2 we
// can run exactly.
func ReadConfig(dir string) (model.Config, error) {
	path := filepath.Join(dir, ConfigFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return model.Config{}, err
	}
	hc := hfConfig{Config: model.Config{LayerNormEp: 1e-5, InitializerRange: 0.02}}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a byte-order mark some editors write
	if err := json.Unmarshal(raw, &hc); err != nil {
		return model.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	bad := func(format string, args ...any) (model.Config, error) {
		return model.Config{}, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
	if hc.ModelType != "" && hc.ModelType != "gpt2" {
		return bad("model_type %q is not gpt2", hc.ModelType)
	}
	switch hc.ActivationFunction {
	case "", "gelu_new", "gelu_pytorch_tanh":
	default:
		return bad("activation_function %q: only the tanh GELU of GPT-2 (gelu_new) is implemented", hc.ActivationFunction)
	}
	if hc.NInner != nil && *hc.NInner != 4*hc.NEmbd {
		return bad("n_inner %d: only the 4× MLP (n_inner null or %d) is implemented", *hc.NInner, 4*hc.NEmbd)
	}
	if hc.ScaleAttnWeights != nil && !*hc.ScaleAttnWeights {
		return bad("scale_attn_weights false is not implemented")
	}
	if hc.ScaleAttnByInverseLayerIdx || hc.ReorderAndUpcastAttn {
		return bad("scale_attn_by_inverse_layer_idx and reorder_and_upcast_attn are not implemented")
	}
	if hc.TieWordEmbeddings != nil && !*hc.TieWordEmbeddings {
		return bad("untied word embeddings are not implemented")
	}
	cfg := hc.Config
	cfg.Head = model.HeadLM
	isClassifier := false
	for _, a := range hc.Architectures {
		isClassifier = isClassifier || a == "GPT2ForSequenceClassification"
	}
	if isClassifier {
		n := hc.NumLabels
		if len(hc.ID2Label) > 0 {
			n = len(hc.ID2Label)
		}
		cfg.Head, cfg.NumLabels = model.HeadClassification, n
		if hc.W2SHead == model.HeadReward || n == 1 {
			cfg.Head = model.HeadReward
		}
	}
	if err := cfg.Validate(); err != nil {
		return bad("%v", err)
	}
	return cfg, nil
}

// LoadOptions choose what Load builds.
type LoadOptions struct {
	// Head replaces the saved head when set: a backbone saved as a language
	// model can be loaded under a fresh zero-initialised classification head.
	Head      model.Head
	NumLabels int
	DType     dtypes.DType // default float32
}

// Load reads a model from dir. Tensor names may carry the "transformer."
// prefix or not; the causal-mask buffers (attn.bias, attn.masked_bias) and a
// tied lm_head.weight are skipped. Any other unknown tensor, a missing one or
// a wrong shape is an error naming the tensor and the file.
func Load(dir string, opts LoadOptions) (*model.Model, error) {
	cfg, freshHead, err := loadConfig(dir, opts)
	if err != nil {
		return nil, err
	}
	m, err := emptyModel(cfg, opts.DType, freshHead)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, WeightsFile)
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l := newLoader(path, m, freshHead)
	var nonFinite []string
	for _, t := range f.Tensors {
		name := strings.TrimPrefix(t.Name, "transformer.")
		if isBuffer(name) || name == "lm_head.weight" {
			continue
		}
		values, shape, err := f.Float32s(t.Name)
		if err != nil {
			return nil, err
		}
		if bad := describeNonFinite(values); bad != "" {
			nonFinite = append(nonFinite, t.Name+" ("+bad+")")
			continue
		}
		if err := l.add(t.Name, name, values, shape); err != nil {
			return nil, err
		}
	}
	if len(nonFinite) > 0 {
		return nil, fmt.Errorf("%s: non-finite values in %d tensors: %s; the checkpoint is corrupt or its training diverged", path, len(nonFinite), strings.Join(nonFinite, "; "))
	}
	if err := l.complete(); err != nil {
		return nil, err
	}
	return m, nil
}

// loadConfig is the saved config with the head opts asks for. freshHead
// reports a head of another kind or size than the saved one: its weights
// cannot come from the file, so it starts from zero.
func loadConfig(dir string, opts LoadOptions) (cfg model.Config, freshHead bool, err error) {
	cfg, err = ReadConfig(dir)
	if err != nil {
		return cfg, false, err
	}
	saved := cfg
	if opts.Head != "" {
		cfg = cfg.WithHead(opts.Head, opts.NumLabels)
		if err := cfg.Validate(); err != nil {
			return cfg, false, err
		}
	}
	return cfg, cfg.Head != saved.Head || cfg.NumLabels != saved.NumLabels, nil
}

// emptyModel allocates the model Load fills. A fresh head is zeroed here,
// since no tensor of the file will set it.
func emptyModel(cfg model.Config, dtype dtypes.DType, freshHead bool) (*model.Model, error) {
	m, err := model.Empty(cfg, dtype)
	if err != nil {
		return nil, err
	}
	if freshHead && cfg.NumLabels > 0 {
		if err := m.Set("score.weight", make([]float32, cfg.NEmbd*cfg.NumLabels)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// loader sets a model's variables from HF tensors one by one, remembering
// which were set and which tensors it did not know, so that Load can name
// every missing and unknown tensor at the end rather than the first only.
type loader struct {
	path      string // the weights file, for errors
	m         *model.Model
	cfg       model.Config
	freshHead bool
	want      map[string][]int // variable → shape
	loaded    map[string]bool
	unknown   []string
}

func newLoader(path string, m *model.Model, freshHead bool) *loader {
	l := &loader{path: path, m: m, cfg: m.Config, freshHead: freshHead, want: map[string][]int{}, loaded: map[string]bool{}}
	for _, p := range l.cfg.Params() {
		l.want[p.Name] = p.Shape
	}
	return l
}

// set stores one variable after checking its shape against the config.
// Tensors of no variable (a saved head Load replaces) are ignored.
func (l *loader) set(name string, values []float32, shape []int) error {
	w, ok := l.want[name]
	if !ok {
		return nil
	}
	if fmt.Sprint(w) != fmt.Sprint(shape) {
		return fmt.Errorf("%s: tensor for %s has shape %v, config wants %v", l.path, name, shape, w)
	}
	l.loaded[name] = true
	return l.m.Set(name, values)
}

// add maps file tensor tensorName (name without the "transformer." prefix)
// to our variables: c_attn is split into q, k and v, and the score head,
// stored [out, in], is transposed.
func (l *loader) add(tensorName, name string, values []float32, shape []int) error {
	switch {
	case strings.HasSuffix(name, ".attn.c_attn.weight"):
		return l.addAttnWeight(tensorName, strings.TrimSuffix(name, "c_attn.weight"), values, shape)
	case strings.HasSuffix(name, ".attn.c_attn.bias"):
		return l.addAttnBias(tensorName, strings.TrimSuffix(name, "c_attn.bias"), values, shape)
	case name == "score.weight":
		if len(shape) != 2 {
			return fmt.Errorf("%s: %s has shape %v, want [labels, width]", l.path, tensorName, shape)
		}
		if l.freshHead {
			return nil
		}
		return l.set(name, transpose(values, shape[0], shape[1]), []int{shape[1], shape[0]})
	default:
		if _, ok := l.want[name]; !ok {
			l.unknown = append(l.unknown, tensorName)
			return nil
		}
		return l.set(name, values, shape)
	}
}

// addAttnWeight splits a fused [d, 3d] c_attn weight, whose row r is
// q[r] ‖ k[r] ‖ v[r], into the q, k and v weights under prefix.
func (l *loader) addAttnWeight(tensorName, prefix string, values []float32, shape []int) error {
	d := l.cfg.NEmbd
	if len(shape) != 2 || shape[0] != d || shape[1] != 3*d {
		return fmt.Errorf("%s: %s has shape %v, want [%d %d]", l.path, tensorName, shape, d, 3*d)
	}
	for i, x := range []string{"q", "k", "v"} {
		part := make([]float32, d*d)
		for r := range d {
			copy(part[r*d:(r+1)*d], values[r*3*d+i*d:r*3*d+(i+1)*d])
		}
		if err := l.set(prefix+x+".weight", part, []int{d, d}); err != nil {
			return err
		}
	}
	return nil
}

// addAttnBias splits a fused [3d] c_attn bias into the q, k and v biases.
func (l *loader) addAttnBias(tensorName, prefix string, values []float32, shape []int) error {
	d := l.cfg.NEmbd
	if len(shape) != 1 || shape[0] != 3*d {
		return fmt.Errorf("%s: %s has shape %v, want [%d]", l.path, tensorName, shape, 3*d)
	}
	for i, x := range []string{"q", "k", "v"} {
		if err := l.set(prefix+x+".bias", values[i*d:(i+1)*d], []int{d}); err != nil {
			return err
		}
	}
	return nil
}

// complete reports the tensors the file had but a GPT-2 has not, then the
// variables no tensor set (a fresh head is not missing: it starts at zero).
func (l *loader) complete() error {
	if len(l.unknown) > 0 {
		sort.Strings(l.unknown)
		return fmt.Errorf("%s: tensors not part of a GPT-2 model: %s", l.path, strings.Join(l.unknown, ", "))
	}
	var missing []string
	for _, p := range l.cfg.Params() {
		if !l.loaded[p.Name] && !(p.Name == "score.weight" && l.freshHead) {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing tensors: %s", l.path, strings.Join(missing, ", "))
	}
	return nil
}

// describeNonFinite counts the NaN and infinite values of a tensor (as
// float32: a float64 beyond float32's range counts as infinite) and says
// where the first is, or returns "" when every value is finite.
func describeNonFinite(values []float32) string {
	nan, inf, first := 0, 0, -1
	for i, v := range values {
		f := float64(v)
		switch {
		case math.IsNaN(f):
			nan++
		case math.IsInf(f, 0):
			inf++
		default:
			continue
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return ""
	}
	var parts []string
	if nan > 0 {
		parts = append(parts, fmt.Sprintf("%d NaN", nan))
	}
	if inf > 0 {
		parts = append(parts, fmt.Sprintf("%d infinite", inf))
	}
	return fmt.Sprintf("%s of %d values, the first at element %d", strings.Join(parts, " and "), len(values), first)
}

// isBuffer tells the non-parameter buffers some GPT-2 checkpoints carry.
func isBuffer(name string) bool {
	return strings.HasSuffix(name, ".attn.bias") || strings.HasSuffix(name, ".attn.masked_bias")
}

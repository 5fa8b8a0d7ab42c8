package ladder

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// A Variant is one setting of a recipe's choices — vocabulary, context,
// shape, learning rate — trained at a fixed compute budget by Explore, so
// settings are compared by validation bits per byte at equal compute.
type Variant struct {
	Vocab, Context       int
	Layers, Width, Heads int
	LR0                  float64 // peak learning rate at width 128 (see zoo.Scale.LR)
	Batch                int     // sequences per step
}

// Name is a short label: "V4096 T128 B32 L3 d128 lr0.005".
func (v Variant) Name() string {
	return fmt.Sprintf("V%d T%d B%d L%d d%d lr%g", v.Vocab, v.Context, v.Batch, v.Layers, v.Width, v.LR0)
}

// ParseVariant reads a variant written as Name writes it; fields left out
// keep base's value. Heads default to width/32 (at least 2) when the width
// changes.
func ParseVariant(text string, base Variant) (Variant, error) {
	v := base
	for _, f := range strings.Fields(text) {
		if len(f) < 2 {
			return v, fmt.Errorf("variant %q: field %q: want V…, T…, B…, L…, d…, h… or lr…", text, f)
		}
		key, val := f[:1], f[1:]
		if strings.HasPrefix(f, "lr") {
			key, val = "lr", f[2:]
		}
		if key == "lr" {
			x, err := strconv.ParseFloat(val, 64)
			if err != nil || x <= 0 {
				return v, fmt.Errorf("variant %q: learning rate %q", text, val)
			}
			v.LR0 = x
			continue
		}
		n, err := strconv.Atoi(val)
		if err != nil || n <= 0 {
			return v, fmt.Errorf("variant %q: field %q is not a positive number", text, f)
		}
		switch key {
		case "V":
			v.Vocab = n
		case "T":
			v.Context = n
		case "B":
			v.Batch = n
		case "L":
			v.Layers = n
		case "d":
			v.Width = n
			v.Heads = max(2, n/32)
		case "h":
			v.Heads = n
		default:
			return v, fmt.Errorf("variant %q: field %q: want V…, T…, B…, L…, d…, h… or lr…", text, f)
		}
	}
	if v.Width%v.Heads != 0 {
		return v, fmt.Errorf("variant %q: width %d is not a multiple of %d heads", text, v.Width, v.Heads)
	}
	return v, nil
}

// ExploreResult is what one variant reached.
type ExploreResult struct {
	Variant
	Name                       string
	Params, NonEmbeddingParams int
	FLOPsPerToken              float64 // training FLOPs per token, TrainFLOPsPerToken
	Steps, Tokens              int
	ValidLoss                  float64 // nats per token
	ValidBitsPerByte           float64 // comparable across vocabularies: the same held-out text
	WallSeconds                float64
	TokensPerSecond            float64
	Backend                    string
}

// TrainFLOPsPerToken estimates the training FLOPs per token of a GPT:
// 6 × (non-embedding parameters + the tied LM head's vocab × width) for
// the matrix products, forward and backward, plus 6 × layers × context ×
// width for attention scores and their use (Kaplan et al. 2020's count).
func TrainFLOPsPerToken(cfg model.Config) float64 {
	_, nonEmb := cfg.NumParams()
	return 6*float64(nonEmb+cfg.VocabSize*cfg.NEmbd) + 6*float64(cfg.NLayer*cfg.NPositions*cfg.NEmbd)
}

// Explore trains each variant of scale s for flops training FLOPs on the
// scale's corpus (tokenizer trained per vocabulary), and reports the
// validation loss of each on the same held-out text. Results are kept in
// dir (one JSON file per variant), so a second call, or one after an
// interrupt, skips finished variants and resumes the one in progress.
func Explore(ctx context.Context, s *zoo.Scale, variants []Variant, flops float64, dir string, opt BuildOptions) ([]ExploreResult, error) {
	b, err := backendOr(opt.Backend)
	if err != nil {
		return nil, err
	}
	if opt.Log == nil {
		opt.Log = os.Stderr
	}
	e := &explorer{s: s, flops: flops, dir: dir, opt: opt, b: b, datas: map[int]*Data{}}
	var out []ExploreResult
	for _, v := range variants {
		r, err := e.variant(ctx, v)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// explorer holds what the variants of one Explore call share.
type explorer struct {
	s     *zoo.Scale
	flops float64
	dir   string
	opt   BuildOptions
	b     backends.Backend
	datas map[int]*Data // by vocabulary: the token stream does not depend on the context
}

// variant trains v, or reads its result when an earlier call finished it.
func (e *explorer) variant(ctx context.Context, v Variant) (ExploreResult, error) {
	vs, z, perToken := e.scaleOf(v)
	key := e.key(v)
	file := filepath.Join(e.dir, key+".json")
	if r, ok := e.done(file, v); ok {
		return r, nil
	}
	data, err := e.data(ctx, vs, z, v)
	if err != nil {
		return ExploreResult{}, err
	}
	_, res, wall, err := pretrainSize(ctx, vs, z, data, e.b, filepath.Join(e.dir, key), e.opt)
	if err != nil {
		return ExploreResult{}, fmt.Errorf("explore %s: %w", v.Name(), err)
	}
	loss := float64(res.Curve[len(res.Curve)-1].Metrics["valid_loss"])
	total, nonEmb := vs.Config(z).NumParams()
	r := ExploreResult{Variant: v, Name: v.Name(), Params: total, NonEmbeddingParams: nonEmb,
		FLOPsPerToken: perToken, Steps: vs.Steps(z), Tokens: vs.Tokens(z),
		ValidLoss: loss, ValidBitsPerByte: data.BitsPerByte(loss), WallSeconds: wall,
		Backend: backend.Describe(e.b).Platform}
	if wall > 0 {
		r.TokensPerSecond = float64(r.Tokens) / wall
	}
	if math.IsNaN(loss) {
		return ExploreResult{}, fmt.Errorf("explore %s: validation loss is NaN", v.Name())
	}
	js, _ := json.MarshalIndent(r, "", "  ")
	if err := atomicfile.WriteBytes(file, append(js, '\n')); err != nil {
		return ExploreResult{}, err
	}
	os.RemoveAll(filepath.Join(e.dir, key))
	fmt.Fprintf(e.opt.Log, "explore %s: %.4f nats/token, %.4f bits/byte after %d tokens (%s)\n",
		v.Name(), loss, r.ValidBitsPerByte, r.Tokens, time.Duration(wall*float64(time.Second)).Round(time.Second))
	return r, nil
}

// scaleOf is the scale with v's choices and its one size, trained for
// enough tokens per parameter that Steps(z) spends the FLOPs budget, with
// the training FLOPs per token of that size.
func (e *explorer) scaleOf(v Variant) (*zoo.Scale, zoo.Size, float64) {
	vs := *e.s
	vs.Vocab, vs.Context, vs.LR0 = v.Vocab, v.Context, v.LR0
	if v.Batch > 0 {
		vs.Batch = v.Batch
	}
	z := zoo.Size{Name: "explore", Layers: v.Layers, Width: v.Width, Heads: v.Heads}
	vs.Sizes = []zoo.Size{z}
	perToken := TrainFLOPsPerToken(vs.Config(z))
	vs.TokensPerParam = e.flops / perToken / float64(vs.BudgetParams(z))
	return &vs, z, perToken
}

// key names v's result file and state folder. Variants at the scale's
// batch keep the names they had before batches varied, so their results
// are still found.
func (e *explorer) key(v Variant) string {
	name := v.Name()
	if v.Batch == e.s.Batch {
		name = fmt.Sprintf("V%d T%d L%d d%d lr%g", v.Vocab, v.Context, v.Layers, v.Width, v.LR0)
	}
	return fmt.Sprintf("%s-%.3g", strings.ReplaceAll(name, " ", "_"), e.flops)
}

// done reads the result an earlier call recorded in file; an unreadable
// file counts as not done, so the variant is trained again.
func (e *explorer) done(file string, v Variant) (ExploreResult, bool) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return ExploreResult{}, false
	}
	var r ExploreResult
	if json.Unmarshal(raw, &r) != nil {
		return ExploreResult{}, false
	}
	if r.Batch == 0 { // recorded before batches varied
		r.Batch, r.Name = e.s.Batch, v.Name()
	}
	fmt.Fprintf(e.opt.Log, "explore %s: done before (%.4f bits/byte)\n", v.Name(), r.ValidBitsPerByte)
	return r, true
}

// data is the token stream of v's vocabulary, long enough for size z of
// vs: loaded once per vocabulary, and again, longer, when a later variant
// trains on more tokens.
func (e *explorer) data(ctx context.Context, vs *zoo.Scale, z zoo.Size, v Variant) (*Data, error) {
	need := vs.Tokens(z) + 1
	if data := e.datas[v.Vocab]; data != nil {
		if len(data.Train) >= need {
			return data, nil
		}
		longer, err := loadData(ctx, vs, e.opt.Data, need, nil)
		if err != nil {
			return nil, err
		}
		e.datas[v.Vocab] = longer
		return longer, nil
	}
	start := time.Now()
	data, err := loadData(ctx, vs, e.opt.Data, need, nil)
	if err != nil {
		return nil, err
	}
	e.datas[v.Vocab] = data
	fmt.Fprintf(e.opt.Log, "explore: vocabulary %d: %d training tokens (a pass is %d), %d validation tokens over %d bytes, ready in %s\n",
		v.Vocab, len(data.Train), data.PassTokens, len(data.Valid), data.ValidBytes, time.Since(start).Round(time.Second))
	return data, nil
}

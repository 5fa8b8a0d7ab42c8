// Package zoo builds and serves the ladder of pretrained GPT models of
// increasing size that weak-to-strong experiments need. No pretrained
// weights can be downloaded here, so the project pretrains its own ladder
// with one recipe on the decontaminated corpora of package corpus; it also
// loads Hugging Face GPT-2 checkpoints (a local folder, or an HF id fetched
// into the cache) for users who have them.
//
// A ladder belongs to a scale: ci (seconds, for tests), cpu (the default:
// seven rungs, five built on two cores and the top two on an accelerator;
// shipped in this repository) and gpu (larger, for an accelerator). Names zoo/xs … zoo/xl resolve to the
// checkpoints of the active scale.
package zoo

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/w2s-lab/w2s/w2s/model"
)

// Size is one rung of a ladder.
type Size struct {
	Name                 string
	Layers, Width, Heads int
}

// Scale is a ladder and the one recipe that builds all its sizes.
type Scale struct {
	Name  string
	Sizes []Size

	Vocab          int // tokenizer size (256 bytes, merges, end-of-text)
	TokenizerBytes int // text the tokenizer is trained on
	Context        int
	Batch          int // sequences per optimizer step

	// Token budget: TokensPerParam × BudgetParams(size), rounded up to
	// whole steps. Every size reads the same token stream from its start,
	// so smaller models see a prefix of what larger ones see.
	TokensPerParam float64

	// Learning rate: LR0 × √(128 / width), with Warmup (a fraction of the
	// steps) of linear warm-up, then cosine decay to MinLR × peak.
	LR0, Warmup, MinLR float64
	WeightDecay, Clip  float64

	ValidBytes int    // held-out text for the validation loss: whole documents up to this many bytes
	Seed       uint64 // data order, initialisation, tokenizer sample

	// Corpora are the pretraining corpora (package corpus); nil means
	// Mixture, the text ladders' mixture.
	Corpora []string `json:",omitempty"`
}

// Mixture is the scale's pretraining corpora: Corpora, else the package's
// Mixture.
func (s *Scale) Mixture() []string {
	if s.Corpora != nil {
		return s.Corpora
	}
	return Mixture
}

// Mixture lists the pretraining corpora. Every pass over the training
// stream reads each of their documents once, in a fresh seeded order, so
// each corpus contributes in proportion to its size and is read as many
// times as the others. The dialogues of hh_harmless are left out: the
// generative-finetuning stage trains on them, so pretraining must not have
// read them already.
var Mixture = []string{"reviews", "news", "passages", "shakespeare", "moby_dick", "sotu"}

var scales = map[string]*Scale{
	"ci": {
		Name: "ci",
		Sizes: []Size{
			{"xs", 1, 16, 2}, {"s", 2, 24, 2}, {"m", 2, 32, 2}, {"l", 2, 48, 3}, {"xl", 3, 64, 4},
		},
		Vocab: 512, TokenizerBytes: 300_000, Context: 32, Batch: 8,
		TokensPerParam: 0.5,
		LR0:            3e-3, Warmup: 0.05, MinLR: 0.1, WeightDecay: 0.1, Clip: 1,
		ValidBytes: 12_000, Seed: 1,
	},
	// The cpu ladder: 5 sizes spanning 31× in non-embedding parameters
	// (77 k – 2.37 M), each trained on 20 tokens per parameter (the
	// embedding counted where it is the larger part: xs and s), 6.3 M –
	// 47 M tokens, 0.6 – 4.3 passes over the corpus. Vocabulary, context,
	// batch, shape and learning rate were chosen by measurement: `w2s zoo
	// explore --scale cpu --flops 2e13` trained a 3-layer, width-128 model
	// for the same 2·10¹³ FLOPs per variant and compared bits per byte on
	// the same held-out text (explore.json beside the shipped ladder):
	//
	//	variant (vs V4096 T128 B32 L3 d128 lr 0.005: 2.288 bits/byte)   bits/byte
	//	vocabulary 2048 / 8192                                          2.412 / 2.262
	//	context 64 (twice the steps: B is in sequences)                 2.206
	//	shape L2 d160 / L6 d96 (same compute)                           2.303 / 2.383
	//	lr 0.0025 / 0.00125                                             2.172 / 2.163
	//	batch 16, lr 0.0025 / 0.00125                                   2.057 / 2.082
	//	batch 8, lr 0.0025                                              2.033
	//
	// Taken: vocabulary 4096 (8192 gains 1% at twice the embedding, which
	// the small sizes cannot afford), context 128 (the tasks' inputs are
	// longer than 64 tokens; the context-64 gain came from its doubled step
	// count, which batch 16 gives at context 128), three layers (depth 2 and
	// 6 were worse at equal compute), batch 16 at lr 0.0025 (batch 8 gains a
	// further 1% at this budget, but the largest sizes train 17–25× longer,
	// where larger batches lose less; batch 16 halves their step count).
	"cpu": {
		Name: "cpu",
		Sizes: []Size{
			{"xxxs", 1, 20, 1}, {"xxs", 1, 40, 2},
			{"xs", 2, 56, 2}, {"s", 3, 80, 2}, {"m", 3, 128, 4}, {"l", 3, 192, 4}, {"xl", 3, 256, 4},
		},
		Vocab: 4096, TokenizerBytes: 4_000_000, Context: 128, Batch: 16,
		TokensPerParam: 20,
		LR0:            2.5e-3, Warmup: 0.05, MinLR: 0.1, WeightDecay: 0.1, Clip: 1,
		ValidBytes: 250_000, Seed: 1,
	},
	"gpu": {
		Name: "gpu",
		Sizes: []Size{
			{"xs", 2, 128, 4}, {"s", 4, 256, 4}, {"m", 6, 384, 6}, {"l", 8, 512, 8}, {"xl", 12, 768, 12},
		},
		Vocab: 4096, TokenizerBytes: 4_000_000, Context: 256, Batch: 32,
		TokensPerParam: 20,
		LR0:            1e-3, Warmup: 0.02, MinLR: 0.1, WeightDecay: 0.1, Clip: 1,
		ValidBytes: 1_000_000, Seed: 1,
	},
}

// ScaleNames lists the scales.
var ScaleNames = []string{"ci", "cpu", "gpu"}

// The chess ladders (issue 26): GPT-2 shaped models pretrained on chess
// game text alone, one line per position and the move played in it (the
// chess_games corpus), for the chess_puzzles task. ChessScale names the
// chess ladder of an experiment scale; the ladders are scales of their
// own, built and listed with --scale chess-ci and --scale chess-cpu.
func init() {
	scales["chess-ci"] = &Scale{
		Name:  "chess-ci",
		Sizes: []Size{{"xs", 1, 16, 2}, {"s", 1, 24, 2}, {"m", 2, 32, 2}},
		Vocab: 292, TokenizerBytes: 4_000_000, Context: 128, Batch: 4,
		TokensPerParam: 0.5,
		LR0:            3e-3, Warmup: 0.05, MinLR: 0.1, WeightDecay: 0.1, Clip: 1,
		ValidBytes: 20_000, Seed: 1, Corpora: []string{"chess_games"},
	}
	// The cpu chess ladder: the text ladder's five smallest shapes on the
	// same recipe (20 tokens per parameter, 2,048 tokens a step), read as 8
	// windows of 256 tokens: a position's line is about 82 tokens
	// (chess.Text: one token per square), so a window holds two whole
	// lines and the move of each is predicted with its whole board in
	// view. The vocabulary is what byte-level BPE finds in the first 4 MB of
	// the stream: 256 bytes, end-of-text and 35 merges ("last", "move",
	// castling rights), then no pair is left to merge.
	//
	// Measured before this format, with FEN's placement (r4rk1/…, 49
	// tokens a line) and context 128: finetuned on 2,000 gold puzzles
	// (seed 0, 2,000 test puzzles), xxs, xs and s wrote a legal move for
	// 4.5%, 8.8% and 3.1% of the test positions (upper bounds: scored
	// before chess.Normalize stopped reading UCI-shaped answers as SAN),
	// mostly one fixed move whatever the position.
	scales["chess-cpu"] = &Scale{
		Name:  "chess-cpu",
		Sizes: []Size{{"xxxs", 1, 20, 1}, {"xxs", 1, 40, 2}, {"xs", 2, 56, 2}, {"s", 3, 80, 2}, {"m", 3, 128, 4}},
		Vocab: 292, TokenizerBytes: 4_000_000, Context: 256, Batch: 8,
		TokensPerParam: 20,
		LR0:            2.5e-3, Warmup: 0.05, MinLR: 0.1, WeightDecay: 0.1, Clip: 1,
		ValidBytes: 250_000, Seed: 1, Corpora: []string{"chess_games"},
	}
}

// ChessScale is the name of the chess ladder of experiment scale name
// ("cpu" → "chess-cpu").
func ChessScale(name string) string { return "chess-" + name }

// GetScale returns the named scale ("" means the active one).
func GetScale(name string) (*Scale, error) {
	if name == "" {
		name = ActiveScale()
	}
	s, ok := scales[name]
	if !ok {
		return nil, UnknownScale(name)
	}
	return s, nil
}

// UnknownScale is the error of a scale name that is not one of ScaleNames.
func UnknownScale(name string) error {
	return fmt.Errorf("unknown scale %q (want %s)", name, strings.Join(ScaleNames, ", "))
}

// ActiveScale is $W2S_SCALE, else "cpu".
func ActiveScale() string {
	if s := os.Getenv("W2S_SCALE"); s != "" {
		return s
	}
	return "cpu"
}

// Name is the zoo name of a size of a scale: "zoo/cpu/xl".
func Name(scale, size string) string { return "zoo/" + scale + "/" + size }

// Expand names a model at a scale: zoo/SIZE becomes Name(scale, SIZE);
// any other name (zoo/cpu/xl, a folder, a Hugging Face id) is returned
// as it is.
func Expand(scale, model string) string {
	if size, ok := strings.CutPrefix(model, "zoo/"); ok && !strings.Contains(size, "/") {
		return Name(scale, size)
	}
	return model
}

// SizeOf is the size of model when it is a ladder model of scale
// ("zoo/cpu/xl" at cpu is "xl").
func SizeOf(scale, model string) (string, bool) {
	size, ok := strings.CutPrefix(model, Name(scale, ""))
	return size, ok && size != "" && !strings.Contains(size, "/")
}

// Config is the model configuration of a size.
func (s *Scale) Config(z Size) model.Config {
	return model.Small(s.Vocab, s.Context, z.Width, z.Layers, z.Heads)
}

// Size returns the named size.
func (s *Scale) Size(name string) (Size, error) {
	var names []string
	for _, z := range s.Sizes {
		if z.Name == name {
			return z, nil
		}
		names = append(names, z.Name)
	}
	return Size{}, fmt.Errorf("scale %s has no size %q (sizes: %s)", s.Name, name, strings.Join(names, ", "))
}

// BudgetParams is the parameter count a size's token budget is
// proportional to: the non-embedding parameters, plus the token embedding
// where the embedding is the larger part (small widths with a large
// vocabulary), since it then dominates what the model has to learn.
func (s *Scale) BudgetParams(z Size) int {
	total, nonEmb := s.Config(z).NumParams()
	emb := total - nonEmb
	if emb > nonEmb {
		return total
	}
	return nonEmb
}

// Steps is the number of optimizer steps of a size (its token budget
// divided by the tokens of a step, rounded up).
func (s *Scale) Steps(z Size) int {
	tokens := s.TokensPerParam * float64(s.BudgetParams(z))
	perStep := s.Batch * s.Context
	return int(math.Ceil(tokens / float64(perStep)))
}

// Tokens is the number of training tokens a size reads.
func (s *Scale) Tokens(z Size) int { return s.Steps(z) * s.Batch * s.Context }

// LR is the peak learning rate of a size.
func (s *Scale) LR(z Size) float64 { return s.LR0 * math.Sqrt(128/float64(z.Width)) }

// MaxTokens is the longest stream any size reads.
func (s *Scale) MaxTokens() int {
	m := 0
	for _, z := range s.Sizes {
		m = max(m, s.Tokens(z))
	}
	return m
}

// Short is how tables and charts name a model: a ladder model by its size
// ("zoo/cpu/xl" → "xl", the scale goes in the caption), anything else as
// given.
func Short(model string) string {
	if rest, ok := strings.CutPrefix(model, "zoo/"); ok {
		if i := strings.LastIndexByte(rest, '/'); i >= 0 {
			return rest[i+1:]
		}
		return rest
	}
	return model
}

package zoo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/w2s-lab/w2s/w2s/atomicfile"
	"github.com/w2s-lab/w2s/w2s/ngram"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

// BaselinesFile holds a ladder's n-gram baselines, beside its sizes.
const BaselinesFile = "ngram.json"

// NGramLoss is one count-based model's loss on the ladder's validation
// tokens.
type NGramLoss struct {
	Model       string  // "unigram", "bigram", "kneser-ney trigram"
	Loss        float64 // nats per token
	BitsPerByte float64
	Note        string `json:",omitempty"`
}

// Baselines are the count-based language models a ladder is measured
// against, trained on one pass over its training documents with its
// tokenizer and scored on exactly the held-out tokens of its validation
// loss.
type Baselines struct {
	Scale       string
	TrainTokens int // one pass over the training documents
	ValidTokens int
	Models      []NGramLoss
	Seconds     float64
}

// Loss returns the named baseline's loss (NaN when absent).
func (b *Baselines) Loss(name string) float64 {
	for _, m := range b.Models {
		if m.Model == name {
			return m.Loss
		}
	}
	return math.NaN()
}

// ComputeBaselines trains the unigram, interpolated bigram (λ tuned on the
// validation tokens, which favours the baseline) and Kneser–Ney trigram
// models on the ladder's training documents tokenized with tok, and scores
// them on its validation tokens.
func (s *Scale) ComputeBaselines(ctx context.Context, opt tasks.LoadOptions, tok *tokenizer.BPE) (*Baselines, error) {
	data, err := s.loadData(ctx, opt, 0, tok)
	if err != nil {
		return nil, err
	}
	return s.baselinesOf(ctx, data)
}

// baselinesOf computes the baselines on the first pass of data.Train.
func (s *Scale) baselinesOf(ctx context.Context, data *Data) (*Baselines, error) {
	start := time.Now()
	train := data.Train[:min(len(data.Train), data.PassTokens)]
	V := data.Tokenizer.VocabSize()
	b := &Baselines{Scale: s.Name, TrainTokens: len(train), ValidTokens: len(data.Valid)}
	uni := ngram.NewUnigram(train, V)
	u := 0.0
	for _, w := range data.Valid[1:] {
		u -= math.Log(uni.Prob(w))
	}
	u /= float64(len(data.Valid) - 1)
	b.Models = append(b.Models, NGramLoss{Model: "unigram", Loss: u, BitsPerByte: data.BitsPerByte(u), Note: "add-one"})
	bi := ngram.NewBigram(train, V)
	bl := bi.Tune(data.Valid)
	b.Models = append(b.Models, NGramLoss{Model: "bigram", Loss: bl, BitsPerByte: data.BitsPerByte(bl),
		Note: fmt.Sprintf("interpolated with the unigram, λ = %.2f tuned on these tokens", bi.Lambda)})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kn, err := ngram.NewKneserNey(train, V)
	if err != nil {
		return nil, err
	}
	kl := kn.Loss(data.Valid)
	b.Models = append(b.Models, NGramLoss{Model: "kneser-ney trigram", Loss: kl, BitsPerByte: data.BitsPerByte(kl),
		Note: fmt.Sprintf("interpolated, discount %.2f", kn.D)})
	b.Seconds = time.Since(start).Seconds()
	return b, nil
}

// writeBaselines stores b in dir.
func writeBaselines(dir string, b *Baselines) error {
	js, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, BaselinesFile), append(js, '\n'))
}

// LadderBaselines returns the baselines stored in a ladder folder, or
// computes them (with the ladder's tokenizer) and stores them there when
// writable, else in the cache's copy of the scale's folder.
func LadderBaselines(ctx context.Context, s *Scale, dir string, opt tasks.LoadOptions) (*Baselines, error) {
	for _, d := range []string{dir, BuildDir(s.Name)} {
		if raw, err := os.ReadFile(filepath.Join(d, BaselinesFile)); err == nil {
			var b Baselines
			if err := json.Unmarshal(raw, &b); err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Join(d, BaselinesFile), err)
			}
			return &b, nil
		}
	}
	tok, err := tokenizer.Load(filepath.Join(dir, tokenizer.FileName))
	if err != nil {
		return nil, err
	}
	b, err := s.ComputeBaselines(ctx, opt, tok)
	if err != nil {
		return nil, err
	}
	if err := writeBaselines(dir, b); err != nil {
		// A read-only ladder (a shipped one in a module cache): keep them in the cache.
		if os.MkdirAll(BuildDir(s.Name), 0o755) == nil {
			writeBaselines(BuildDir(s.Name), b)
		}
	}
	return b, nil
}

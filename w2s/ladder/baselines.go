package ladder

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/ngram"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// ComputeBaselines trains the unigram, interpolated bigram (λ tuned on the
// validation tokens, which favours the baseline) and Kneser–Ney trigram
// models on the ladder's training documents tokenized with tok, and scores
// them on its validation tokens.
func ComputeBaselines(ctx context.Context, s *zoo.Scale, opt tasks.LoadOptions, tok *tokenizer.BPE) (*zoo.Baselines, error) {
	data, err := loadData(ctx, s, opt, 0, tok)
	if err != nil {
		return nil, err
	}
	return baselinesOf(ctx, s, data)
}

// baselinesOf computes the baselines on the first pass of data.Train.
func baselinesOf(ctx context.Context, s *zoo.Scale, data *Data) (*zoo.Baselines, error) {
	start := time.Now()
	train := data.Train[:min(len(data.Train), data.PassTokens)]
	V := data.Tokenizer.VocabSize()
	b := &zoo.Baselines{Scale: s.Name, TrainTokens: len(train), ValidTokens: len(data.Valid)}
	uni := ngram.NewUnigram(train, V)
	u := 0.0
	for _, w := range data.Valid[1:] {
		u -= math.Log(uni.Prob(w))
	}
	u /= float64(len(data.Valid) - 1)
	b.Models = append(b.Models, zoo.NGramLoss{Model: "unigram", Loss: u, BitsPerByte: data.BitsPerByte(u), Note: "add-one"})
	bi := ngram.NewBigram(train, V)
	bl := bi.Tune(data.Valid)
	b.Models = append(b.Models, zoo.NGramLoss{Model: "bigram", Loss: bl, BitsPerByte: data.BitsPerByte(bl),
		Note: fmt.Sprintf("interpolated with the unigram, λ = %.2f tuned on these tokens", bi.Lambda)})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kn, err := ngram.NewKneserNey(train, V)
	if err != nil {
		return nil, err
	}
	kl := kn.Loss(data.Valid)
	b.Models = append(b.Models, zoo.NGramLoss{Model: "kneser-ney trigram", Loss: kl, BitsPerByte: data.BitsPerByte(kl),
		Note: fmt.Sprintf("interpolated, discount %.2f", kn.D)})
	b.Seconds = time.Since(start).Seconds()
	return b, nil
}

// writeBaselines stores b in dir.
func writeBaselines(dir string, b *zoo.Baselines) error {
	js, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, zoo.BaselinesFile), append(js, '\n'))
}

// LadderBaselines returns the baselines stored in a ladder folder, or
// computes them (with the ladder's tokenizer) and stores them there when
// writable, else in the cache's copy of the scale's folder.
func LadderBaselines(ctx context.Context, s *zoo.Scale, dir string, opt tasks.LoadOptions) (*zoo.Baselines, error) {
	for _, d := range []string{dir, zoo.BuildDir(s.Name)} {
		if raw, err := os.ReadFile(filepath.Join(d, zoo.BaselinesFile)); err == nil {
			var b zoo.Baselines
			if err := json.Unmarshal(raw, &b); err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Join(d, zoo.BaselinesFile), err)
			}
			return &b, nil
		}
	}
	tok, err := tokenizer.Load(filepath.Join(dir, tokenizer.FileName))
	if err != nil {
		return nil, err
	}
	b, err := ComputeBaselines(ctx, s, opt, tok)
	if err != nil {
		return nil, err
	}
	if err := writeBaselines(dir, b); err != nil {
		// A read-only ladder (a shipped one in a module cache): keep them in the cache.
		if os.MkdirAll(zoo.BuildDir(s.Name), 0o755) == nil {
			writeBaselines(zoo.BuildDir(s.Name), b)
		}
	}
	return b, nil
}

package pretrain

import (
	gocontext "context"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/w2s-lab/w2s/w2s/internal/interrupt"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/train"
)

// ByteCorpus is a text as byte tokens (ids 0–255): the first 90% for
// training, the last 10% held out for validation.
type ByteCorpus struct {
	Train, Valid []int32
}

// NewByteCorpus makes the ByteCorpus of text.
func NewByteCorpus(text []byte) *ByteCorpus {
	tokens := make([]int32, len(text))
	for i, c := range text {
		tokens[i] = int32(c)
	}
	split := len(tokens) * 9 / 10
	return &ByteCorpus{Train: tokens[:split], Valid: tokens[split:]}
}

// ReadByteCorpus reads the file at path as a ByteCorpus. Cancelling ctx
// ends the read, even of a named pipe that has no writer yet.
func ReadByteCorpus(ctx gocontext.Context, path string) (*ByteCorpus, error) {
	text, err := interrupt.ReadFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return NewByteCorpus(text), nil
}

// Len is the number of tokens (bytes) of the corpus.
func (c *ByteCorpus) Len() int { return len(c.Train) + len(c.Valid) }

// ByteLM is a byte-level GPT language model and how it is trained.
type ByteLM struct {
	Layers, Width, Heads, Context int
	Batch                         int          // sequences per step
	Config                        train.Config // steps, schedule, evaluation and seed (of initialisation too)
	Out                           string       // folder for the model and its resumable state ("" keeps nothing)
}

// ModelConfig is the model's configuration, with a vocabulary of the 256
// byte values.
func (lm ByteLM) ModelConfig() model.Config {
	return model.Small(256, lm.Context, lm.Width, lm.Layers, lm.Heads)
}

// NewModel initialises the model from Config.Seed.
func (lm ByteLM) NewModel() (*model.Model, error) {
	return model.New(lm.ModelConfig(), lm.Config.Seed, dtypes.Float32)
}

// Run trains m (made by NewModel) on c with backend b, evaluating on at
// most 16 batches of held-out windows, and saves it to Out. Run resumes
// from the state in Out when an earlier run of the same model was
// interrupted.
func (lm ByteLM) Run(ctx gocontext.Context, b backends.Backend, m *model.Model, c *ByteCorpus, progress train.Progress) (*Result, error) {
	return Run(ctx, Options{
		Backend: b, Model: m, Train: c.Train, Valid: c.Valid, Batch: lm.Batch,
		EvalTokens: 16 * lm.Batch * lm.Context, Out: lm.Out, Config: lm.Config, Progress: progress,
	})
}

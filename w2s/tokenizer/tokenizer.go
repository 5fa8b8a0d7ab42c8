// Package tokenizer turns text into token ids: GPT-2's BPE (ids identical
// to GPT-2's), and small-vocabulary byte-level BPE tokenizers trained by the
// project and stored as Hugging Face tokenizer.json files. It also pads and
// truncates batches, with the truncation side explicit and every truncated
// sequence counted.
package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"

	tiktoken "github.com/tiktoken-go/tokenizer"
)

// Tokenizer encodes text to ids and back.
type Tokenizer interface {
	Encode(text string) []int32
	Decode(ids []int32) string
	VocabSize() int
	// EOS is the end-of-text token, also used for padding.
	EOS() int32
	Name() string
}

// GPT2 is the BPE of GPT-2 (tiktoken's r50k_base): 50,257 tokens, end of
// text 50256.
type GPT2 struct{ codec tiktoken.Codec }

// NewGPT2 returns GPT-2's tokenizer. Its tables are built into the binary.
func NewGPT2() (*GPT2, error) {
	c, err := tiktoken.Get(tiktoken.R50kBase)
	if err != nil {
		return nil, fmt.Errorf("gpt-2 tokenizer: %w", err)
	}
	return &GPT2{codec: c}, nil
}

func (g *GPT2) Encode(text string) []int32 {
	ids, _, err := g.codec.Encode(text)
	if err != nil {
		// Encode fails only on a regexp timeout, which is not configured.
		panic(fmt.Sprintf("gpt-2 tokenizer: %v", err))
	}
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}

func (g *GPT2) Decode(ids []int32) string {
	u := make([]uint, len(ids))
	for i, id := range ids {
		u[i] = uint(id)
	}
	s, err := g.codec.Decode(u)
	if err != nil {
		return fmt.Sprintf("<decode error: %v>", err)
	}
	return s
}

func (g *GPT2) VocabSize() int { return 50257 }
func (g *GPT2) EOS() int32     { return 50256 }
func (g *GPT2) Name() string   { return "gpt2" }

// FileName is the name of a tokenizer inside a model folder.
const FileName = "tokenizer.json"

// ForModel returns the tokenizer of a model folder: its tokenizer.json if
// there is one, else GPT-2's when the vocabulary has GPT-2's size.
func ForModel(dir string, vocabSize int) (Tokenizer, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err == nil {
		t, err := Load(path)
		if err != nil {
			return nil, err
		}
		if t.VocabSize() != vocabSize {
			return nil, fmt.Errorf("%s has %d tokens but the model's vocabulary is %d", path, t.VocabSize(), vocabSize)
		}
		return t, nil
	}
	if vocabSize == 50257 {
		return NewGPT2()
	}
	return nil, fmt.Errorf("%s: no %s, and a vocabulary of %d is not GPT-2's", dir, FileName, vocabSize)
}

// Side is the end of a sequence that padding or truncation acts on.
type Side int

const (
	Right Side = iota // the end of the sequence
	Left              // the start of the sequence
)

func (s Side) String() string {
	if s == Left {
		return "left"
	}
	return "right"
}

// Batch is a padded batch, row-major [N, T].
type Batch struct {
	IDs, Mask []int32 // Mask: 1 on real tokens, 0 on padding
	N, T      int
	Lengths   []int // real tokens per row, after truncation
	Truncated int   // rows that were longer than T and lost tokens
}

// Pad packs sequences into a batch of width T (0: the longest sequence).
// Rows longer than T lose tokens on the truncate side and are counted;
// shorter rows are filled with pad on the pad side. An empty sequence is an
// error: the model needs at least one real token per row.
func Pad(seqs [][]int32, T int, pad int32, padSide, truncate Side) (*Batch, error) {
	if T <= 0 {
		for _, s := range seqs {
			T = max(T, len(s))
		}
	}
	b := &Batch{N: len(seqs), T: T, IDs: make([]int32, len(seqs)*T), Mask: make([]int32, len(seqs)*T), Lengths: make([]int, len(seqs))}
	for i, s := range seqs {
		if len(s) == 0 {
			return nil, fmt.Errorf("tokenizer: row %d of the batch is empty", i)
		}
		if len(s) > T {
			b.Truncated++
			if truncate == Left {
				s = s[len(s)-T:]
			} else {
				s = s[:T]
			}
		}
		row := b.IDs[i*T : (i+1)*T]
		mask := b.Mask[i*T : (i+1)*T]
		off := 0
		if padSide == Left {
			off = T - len(s)
		}
		for j := range row {
			row[j] = pad
		}
		copy(row[off:], s)
		for j := off; j < off+len(s); j++ {
			mask[j] = 1
		}
		b.Lengths[i] = len(s)
	}
	return b, nil
}

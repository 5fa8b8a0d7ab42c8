// Package model is a GPT-2 language model on GoMLX: token and learned
// position embeddings, pre-LayerNorm blocks of causal self-attention and a 4×
// GELU MLP, a final LayerNorm and an LM head tied to the token embedding. On
// top sit a classification head (a bias-free, zero-initialised linear layer
// on the hidden state of the last real token) and a scalar reward head.
//
// Variables live in a GoMLX context under scopes that mirror Hugging Face
// GPT-2 tensor names: "h.3.mlp.c_fc.weight" is the variable "weight" in scope
// "/h/3/mlp/c_fc". The one departure is attention: q, k and v are separate
// variables (a fused c_attn would need Slice on the trainable path, whose
// gradient the pure-Go backend lacks); checkpoints fuse and split them.
package model

import (
	"fmt"
)

// Head is what sits on top of the backbone.
type Head string

const (
	HeadLM             Head = "lm"             // next-token logits through the tied embedding
	HeadClassification Head = "classification" // logits over NumLabels classes
	HeadReward         Head = "reward"         // one scalar per sequence
)

// Config describes a model. JSON field names are those of Hugging Face's
// GPT2Config, so config.json files load unchanged.
type Config struct {
	VocabSize   int     `json:"vocab_size"`
	NPositions  int     `json:"n_positions"` // context length
	NEmbd       int     `json:"n_embd"`      // width d
	NLayer      int     `json:"n_layer"`
	NHead       int     `json:"n_head"`
	LayerNormEp float64 `json:"layer_norm_epsilon"`
	// Dropout probabilities; zero (off) by default.
	ResidPdrop float64 `json:"resid_pdrop"`
	EmbdPdrop  float64 `json:"embd_pdrop"`
	AttnPdrop  float64 `json:"attn_pdrop"`
	// InitializerRange is the standard deviation of weight initialisation.
	InitializerRange float64 `json:"initializer_range"`
	// Head and NumLabels select the head; NumLabels is 1 for a reward head.
	Head      Head `json:"-"`
	NumLabels int  `json:"-"`
}

// Small returns a configuration with GPT-2 defaults for everything but size.
func Small(vocab, context, width, layers, heads int) Config {
	return Config{
		VocabSize: vocab, NPositions: context, NEmbd: width, NLayer: layers, NHead: heads,
		LayerNormEp: 1e-5, InitializerRange: 0.02, Head: HeadLM,
	}
}

// Validate reports the first inconsistency in c.
func (c Config) Validate() error {
	switch {
	case c.VocabSize <= 0:
		return fmt.Errorf("model config: vocab_size %d must be positive", c.VocabSize)
	case c.NPositions <= 0:
		return fmt.Errorf("model config: n_positions %d must be positive", c.NPositions)
	case c.NEmbd <= 0 || c.NLayer <= 0 || c.NHead <= 0:
		return fmt.Errorf("model config: n_embd %d, n_layer %d and n_head %d must be positive", c.NEmbd, c.NLayer, c.NHead)
	case c.NEmbd%c.NHead != 0:
		return fmt.Errorf("model config: n_embd %d is not a multiple of n_head %d", c.NEmbd, c.NHead)
	case c.LayerNormEp <= 0:
		return fmt.Errorf("model config: layer_norm_epsilon %g must be positive", c.LayerNormEp)
	}
	for name, p := range map[string]float64{"resid_pdrop": c.ResidPdrop, "embd_pdrop": c.EmbdPdrop, "attn_pdrop": c.AttnPdrop} {
		if p < 0 || p >= 1 {
			return fmt.Errorf("model config: %s %g must be in [0, 1)", name, p)
		}
	}
	switch c.Head {
	case HeadLM, "":
	case HeadClassification:
		if c.NumLabels < 2 {
			return fmt.Errorf("model config: a classification head needs at least 2 labels, got %d", c.NumLabels)
		}
	case HeadReward:
		if c.NumLabels != 1 {
			return fmt.Errorf("model config: a reward head has 1 output, got %d", c.NumLabels)
		}
	default:
		return fmt.Errorf("model config: unknown head %q (want lm, classification or reward)", c.Head)
	}
	return nil
}

// WithHead returns c with a classification head over n labels (n ≥ 2) or a
// reward head (n = 1 and head = HeadReward).
func (c Config) WithHead(head Head, n int) Config {
	c.Head, c.NumLabels = head, n
	if head == HeadLM {
		c.NumLabels = 0
	}
	return c
}

// Param is one variable: its dotted name and shape.
type Param struct {
	Name  string
	Shape []int
}

// Params lists every variable of the model in a fixed order, the order in
// which they are initialised.
func (c Config) Params() []Param {
	d := c.NEmbd
	ps := []Param{{"wte.weight", []int{c.VocabSize, d}}, {"wpe.weight", []int{c.NPositions, d}}}
	linear := func(prefix string, in, out int) {
		ps = append(ps, Param{prefix + ".weight", []int{in, out}}, Param{prefix + ".bias", []int{out}})
	}
	norm := func(prefix string) {
		ps = append(ps, Param{prefix + ".weight", []int{d}}, Param{prefix + ".bias", []int{d}})
	}
	for i := range c.NLayer {
		h := fmt.Sprintf("h.%d.", i)
		norm(h + "ln_1")
		linear(h+"attn.q", d, d)
		linear(h+"attn.k", d, d)
		linear(h+"attn.v", d, d)
		linear(h+"attn.c_proj", d, d)
		norm(h + "ln_2")
		linear(h+"mlp.c_fc", d, 4*d)
		linear(h+"mlp.c_proj", 4*d, d)
	}
	norm("ln_f")
	if c.Head == HeadClassification || c.Head == HeadReward {
		ps = append(ps, Param{"score.weight", []int{d, c.NumLabels}})
	}
	return ps
}

// NumParams counts all parameters and the non-embedding ones (everything but
// the token and position embeddings and the head).
func (c Config) NumParams() (total, nonEmbedding int) {
	for _, p := range c.Params() {
		n := 1
		for _, s := range p.Shape {
			n *= s
		}
		total += n
		if p.Name != "wte.weight" && p.Name != "wpe.weight" && p.Name != "score.weight" {
			nonEmbedding += n
		}
	}
	return total, nonEmbedding
}

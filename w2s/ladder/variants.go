package ladder

import (
	"path/filepath"

	"github.com/w2s-lab/w2s/w2s/zoo"
)

// BaseVariant is the recipe of scale s as a Variant: its vocabulary,
// context, batch and learning rate, and the shape of its middle size.
func BaseVariant(s *zoo.Scale) Variant {
	mid := s.Sizes[len(s.Sizes)/2]
	return Variant{Vocab: s.Vocab, Context: s.Context, Batch: s.Batch, Layers: mid.Layers, Width: mid.Width, Heads: mid.Heads, LR0: s.LR0}
}

// Variants reads the variants to explore on scale s. base holds changes to
// BaseVariant(s), and each of texts changes to that, as ParseVariant reads
// them; with no texts the one variant is base.
func Variants(s *zoo.Scale, base string, texts []string) ([]Variant, error) {
	start, err := ParseVariant(base, BaseVariant(s))
	if err != nil {
		return nil, err
	}
	var vs []Variant
	for _, text := range texts {
		v, err := ParseVariant(text, start)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		vs = []Variant{start}
	}
	return vs, nil
}

// ExploreDir is where `w2s zoo explore` keeps the results of a scale's
// variants: the explore folder beside the scale's built ladder.
func ExploreDir(scale string) string {
	return filepath.Join(zoo.BuildDir(scale), "explore")
}

package zoo

import (
	"math"
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

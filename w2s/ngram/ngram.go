// Package ngram holds the count-based language models the ladder is
// measured against: an interpolated bigram model and an interpolated
// Kneser–Ney trigram model, trained on a token stream and scored on
// held-out tokens in nats per token, the unit of the ladder's validation
// loss. A pretrained model that does not beat them has learnt little more
// than which token follows which.
package ngram

import (
	"errors"
	"math"
)

// Unigram is the add-one-smoothed unigram model of a stream.
type Unigram struct {
	counts []float64
	total  float64
}

// NewUnigram counts the tokens of train (ids in [0, vocab)).
func NewUnigram(train []int32, vocab int) *Unigram {
	u := &Unigram{counts: make([]float64, vocab)}
	for _, w := range train {
		u.counts[w]++
	}
	u.total = float64(len(train))
	return u
}

// Prob is P(w) with add-one smoothing.
func (u *Unigram) Prob(w int32) float64 {
	return (u.counts[w] + 1) / (u.total + float64(len(u.counts)))
}

func pair(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// Bigram is a Jelinek–Mercer interpolated bigram model:
// P(w | v) = λ·c(v w)/c(v ·) + (1 − λ)·P_unigram(w), with P = P_unigram(w)
// after a context never seen.
type Bigram struct {
	uni    *Unigram
	pairs  map[uint64]float64
	follow []float64 // c(v ·)
	Lambda float64
}

// NewBigram counts the bigrams of train; Lambda starts at 0.9 (see Tune).
func NewBigram(train []int32, vocab int) *Bigram {
	b := &Bigram{uni: NewUnigram(train, vocab), pairs: map[uint64]float64{}, follow: make([]float64, vocab), Lambda: 0.9}
	for i := 1; i < len(train); i++ {
		b.pairs[pair(train[i-1], train[i])]++
		b.follow[train[i-1]]++
	}
	return b
}

// Prob is P(w | v).
func (b *Bigram) Prob(v, w int32) float64 {
	pu := b.uni.Prob(w)
	if b.follow[v] == 0 {
		return pu
	}
	return b.Lambda*b.pairs[pair(v, w)]/b.follow[v] + (1-b.Lambda)*pu
}

// Loss is the mean negative log-probability (nats) of tokens[1:] given
// the token before each.
func (b *Bigram) Loss(tokens []int32) float64 {
	sum := 0.0
	for i := 1; i < len(tokens); i++ {
		sum -= math.Log(b.Prob(tokens[i-1], tokens[i]))
	}
	return sum / float64(len(tokens)-1)
}

// Tune sets Lambda to the value in 0.05 … 0.95 (steps of 0.05) with the
// lowest loss on tokens, and returns that loss.
func (b *Bigram) Tune(tokens []int32) float64 {
	best, bestLoss := b.Lambda, math.Inf(1)
	for l := 0.05; l < 0.96; l += 0.05 {
		b.Lambda = l
		if loss := b.Loss(tokens); loss < bestLoss {
			best, bestLoss = l, loss
		}
	}
	b.Lambda = best
	return bestLoss
}

// KneserNey is an interpolated Kneser–Ney trigram model with one absolute
// discount D per order (Chen & Goodman 1998, section 3.5):
//
//	P(w | u v) = max(c(u v w) − D, 0)/c(u v ·) + D·N₁₊(u v ·)/c(u v ·) · P₂(w | v)
//	P₂(w | v)  = max(N₁₊(· v w) − D, 0)/N₁₊(· v ·) + D·N₁₊(v ·)/N₁₊(· v ·) · P₁(w)
//	P₁(w)      = (N₁₊(· w) + 1)/(N₁₊(· ·) + V)
//
// where N₁₊ counts distinct contexts (continuation counts) and an unseen
// context passes all its mass to the lower order.
type KneserNey struct {
	vocab int
	D     float64

	tri      map[uint64]float64 // c(u v w), keyed by (pair(u,v), w) through triKey
	ctx2     map[uint64]float64 // c(u v ·)
	types2   map[uint64]float64 // N₁₊(u v ·)
	cont2    map[uint64]float64 // N₁₊(· v w)
	cont2ctx []float64          // N₁₊(· v ·)
	types1   []float64          // N₁₊(v ·) over distinct (v, w) with N₁₊(· v w) > 0
	cont1    []float64          // N₁₊(· w)
	cont1All float64            // N₁₊(· ·)
}

func triKey(u, v, w int32) uint64 {
	return uint64(uint32(u))<<42 | uint64(uint32(v))<<21 | uint64(uint32(w))
}

// NewKneserNey counts the trigrams of train (vocabularies up to 2²¹ ids)
// with discount 0.75.
func NewKneserNey(train []int32, vocab int) (*KneserNey, error) {
	if vocab > 1<<21 {
		return nil, errors.New("ngram: vocabularies above 2^21 ids are not supported")
	}
	k := &KneserNey{vocab: vocab, D: 0.75, tri: map[uint64]float64{}, ctx2: map[uint64]float64{},
		types2: map[uint64]float64{}, cont2: map[uint64]float64{}, cont2ctx: make([]float64, vocab),
		types1: make([]float64, vocab), cont1: make([]float64, vocab)}
	for i := 2; i < len(train); i++ {
		u, v, w := train[i-2], train[i-1], train[i]
		key := triKey(u, v, w)
		if k.tri[key] == 0 {
			k.types2[pair(u, v)]++
			// A new (u, v, w) is a new left context u of the bigram (v, w).
			if k.cont2[pair(v, w)] == 0 {
				k.types1[v]++ // a new bigram type (v, w)
			}
			k.cont2[pair(v, w)]++
			k.cont2ctx[v]++
		}
		k.tri[key]++
		k.ctx2[pair(u, v)]++
	}
	// N₁₊(· w): distinct v with N₁₊(· v w) > 0.
	for key := range k.cont2 {
		k.cont1[int32(uint32(key))]++
		k.cont1All++
	}
	return k, nil
}

func (k *KneserNey) p1(w int32) float64 {
	return (k.cont1[w] + 1) / (k.cont1All + float64(k.vocab))
}

func (k *KneserNey) p2(v, w int32) float64 {
	n := k.cont2ctx[v]
	if n == 0 {
		return k.p1(w)
	}
	return math.Max(k.cont2[pair(v, w)]-k.D, 0)/n + k.D*k.types1[v]/n*k.p1(w)
}

// Prob is P(w | u v).
func (k *KneserNey) Prob(u, v, w int32) float64 {
	n := k.ctx2[pair(u, v)]
	if n == 0 {
		return k.p2(v, w)
	}
	return math.Max(k.tri[triKey(u, v, w)]-k.D, 0)/n + k.D*k.types2[pair(u, v)]/n*k.p2(v, w)
}

// Loss is the mean negative log-probability (nats) of tokens[1:]: the
// second token given the first alone (bigram order), the rest given the two
// before.
func (k *KneserNey) Loss(tokens []int32) float64 {
	if len(tokens) < 2 {
		return math.NaN()
	}
	sum := -math.Log(k.p2(tokens[0], tokens[1]))
	for i := 2; i < len(tokens); i++ {
		sum -= math.Log(k.Prob(tokens[i-2], tokens[i-1], tokens[i]))
	}
	return sum / float64(len(tokens)-1)
}

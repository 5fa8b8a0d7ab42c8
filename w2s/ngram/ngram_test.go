package ngram

import (
	"math"
	"math/rand/v2"
	"testing"
)

// corpus is a stream from a second-order Markov source over a small
// vocabulary, so trigrams carry information that bigrams miss.
func corpus(n int, seed uint64) []int32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := []int32{0, 1}
	for len(out) < n {
		u, v := out[len(out)-2], out[len(out)-1]
		w := (u*3 + v*5) % 11
		if r.Float64() < 0.3 {
			w = int32(r.IntN(12))
		}
		out = append(out, w)
	}
	return out
}

func TestProbabilitiesSumToOne(t *testing.T) {
	train := corpus(5000, 1)
	const V = 13 // one id never seen
	b := NewBigram(train, V)
	k, err := NewKneserNey(train, V)
	if err != nil {
		t.Fatal(err)
	}
	for _, ctx := range [][2]int32{{0, 1}, {3, 4}, {12, 12}, {5, 12}} {
		var sb, sk float64
		for w := range int32(V) {
			sb += b.Prob(ctx[1], w)
			sk += k.Prob(ctx[0], ctx[1], w)
		}
		if math.Abs(sb-1) > 1e-9 || math.Abs(sk-1) > 1e-9 {
			t.Errorf("context %v: bigram sums to %.12f, Kneser–Ney to %.12f", ctx, sb, sk)
		}
	}
}

func TestOrdersImprove(t *testing.T) {
	train, valid := corpus(20000, 1), corpus(4000, 2)
	const V = 12
	u := NewUnigram(train, V)
	uni := 0.0
	for _, w := range valid[1:] {
		uni -= math.Log(u.Prob(w))
	}
	uni /= float64(len(valid) - 1)
	b := NewBigram(train, V)
	bi := b.Tune(valid)
	k, _ := NewKneserNey(train, V)
	kn := k.Loss(valid)
	t.Logf("nats/token: unigram %.3f, bigram %.3f (λ %.2f), Kneser–Ney trigram %.3f", uni, bi, b.Lambda, kn)
	if !(kn < bi && bi < uni) {
		t.Errorf("want Kneser–Ney trigram < bigram < unigram, got %.3f, %.3f, %.3f", kn, bi, uni)
	}
	// The source's entropy: 0.7 + 0.3/12 on the rule's token, 0.3/12 elsewhere.
	pRule, pOther := 0.7+0.3/12, 0.3/12
	h := -(pRule*math.Log(pRule) + 11*pOther*math.Log(pOther))
	if kn < h-0.02 || kn > h+0.1 {
		t.Errorf("Kneser–Ney trigram %.3f nats/token, the source's entropy is %.3f", kn, h)
	}
}

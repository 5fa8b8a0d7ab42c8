package zoo

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/w2s-lab/w2s/w2s/corpus"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/train"
)

// ValidFraction of each corpus's documents is held out for validation.
const ValidFraction = 0.02

// Data is what a ladder is pretrained on.
type Data struct {
	Tokenizer *tokenizer.BPE
	Train     []int32 // the token stream every size reads from its start
	Valid     []int32
	Files     []string // data files read
	Stats     corpus.Stats
}

// mixer yields documents so that each corpus's share of bytes follows
// Mixture: the next document comes from the corpus furthest below its
// share. Each corpus's documents are shuffled per pass (seeded), and a
// corpus that runs out starts a new pass.
type mixer struct {
	docs    [][]corpus.Doc
	weights []float64
	next    []int
	pass    []int
	bytes   []float64
	total   float64
	seed    uint64
	perm    [][]int
}

func newMixer(byCorpus [][]corpus.Doc, weights []float64, seed uint64) *mixer {
	m := &mixer{docs: byCorpus, weights: weights, seed: seed,
		next: make([]int, len(byCorpus)), pass: make([]int, len(byCorpus)),
		bytes: make([]float64, len(byCorpus)), perm: make([][]int, len(byCorpus))}
	for c := range byCorpus {
		m.shuffle(c)
	}
	return m
}

func (m *mixer) shuffle(c int) {
	r := rand.New(rand.NewPCG(m.seed, uint64(c)<<32|uint64(m.pass[c])))
	m.perm[c] = r.Perm(len(m.docs[c]))
	m.next[c] = 0
}

func (m *mixer) Next() corpus.Doc {
	best, bestDeficit := -1, 0.0
	for c, w := range m.weights {
		if len(m.docs[c]) == 0 {
			continue
		}
		deficit := w*(m.total+1) - m.bytes[c]
		if best < 0 || deficit > bestDeficit {
			best, bestDeficit = c, deficit
		}
	}
	if m.next[best] == len(m.docs[best]) {
		m.pass[best]++
		m.shuffle(best)
	}
	d := m.docs[best][m.perm[best][m.next[best]]]
	m.next[best]++
	m.bytes[best] += float64(len(d.Text))
	m.total += float64(len(d.Text))
	return d
}

// isValid holds out documents by a hash of their text.
func isValid(d corpus.Doc) bool {
	h := fnv.New64a()
	h.Write([]byte(d.Text))
	return float64(h.Sum64()%10000) < ValidFraction*10000
}

// LoadData reads the corpora (decontaminated), trains the ladder's
// tokenizer on the first TokenizerBytes of the training mixture, and
// tokenizes the stream (documents joined by end-of-text) up to the longest
// budget of the ladder.
func (s *Scale) LoadData(ctx context.Context, opt tasks.LoadOptions) (*Data, error) {
	names := make([]string, len(Mixture))
	weights := make([]float64, len(Mixture))
	for i, m := range Mixture {
		names[i], weights[i] = m.Corpus, m.Weight
	}
	docs, st, err := corpus.Load(ctx, names, opt, true)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, n := range names {
		index[n] = i
	}
	trainDocs := make([][]corpus.Doc, len(names))
	validDocs := make([][]corpus.Doc, len(names))
	for _, d := range docs {
		c := index[d.Source]
		if isValid(d) {
			validDocs[c] = append(validDocs[c], d)
		} else {
			trainDocs[c] = append(trainDocs[c], d)
		}
	}
	for i, n := range names {
		if len(trainDocs[i]) == 0 {
			return nil, fmt.Errorf("zoo: corpus %s has no training documents", n)
		}
	}

	// The tokenizer learns from the start of the training mixture.
	mix := newMixer(trainDocs, weights, s.Seed)
	var sample []string
	for n := 0; n < s.TokenizerBytes; {
		d := mix.Next()
		sample = append(sample, d.Text)
		n += len(d.Text)
	}
	tok, err := tokenizer.Train(func(yield func(string) bool) {
		for _, t := range sample {
			if !yield(t) {
				return
			}
		}
	}, s.Vocab, "zoo-"+s.Name)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() != s.Vocab {
		return nil, fmt.Errorf("zoo: the tokenizer sample yields %d tokens, the scale wants %d", tok.VocabSize(), s.Vocab)
	}

	data := &Data{Tokenizer: tok, Files: st.Files, Stats: st}
	stream := func(m *mixer, n int) []int32 {
		out := make([]int32, 0, n+s.Context)
		for len(out) < n {
			out = append(out, tok.Encode(m.Next().Text)...)
			out = append(out, tok.EOS())
		}
		return out[:n]
	}
	data.Train = stream(newMixer(trainDocs, weights, s.Seed), s.maxTokens()+1)
	data.Valid = stream(newMixer(validDocs, weights, s.Seed+1), s.ValidTokens+1)
	return data, nil
}

// batches reads the stream in order: sequence b of step t is window
// t·Batch + b, tokens [k·T, k·T + T] (inputs, and targets shifted by one).
func (s *Scale) batches(stream []int32) train.Batches {
	T, B := s.Context, s.Batch
	return func(step, _ int) ([]*tensors.Tensor, error) {
		ids, tg, mask := make([]int32, B*T), make([]int32, B*T), make([]int32, B*T)
		for b := range B {
			start := (step*B + b) * T
			if start+T+1 > len(stream) {
				return nil, fmt.Errorf("zoo: step %d reads past the %d-token stream", step, len(stream))
			}
			copy(ids[b*T:], stream[start:start+T])
			copy(tg[b*T:], stream[start+1:start+T+1])
		}
		for i := range mask {
			mask[i] = 1
		}
		return []*tensors.Tensor{
			tensors.FromFlatDataAndDimensions(ids, B, T),
			tensors.FromFlatDataAndDimensions(mask, B, T),
			tensors.FromFlatDataAndDimensions(tg, B, T),
		}, nil
	}
}

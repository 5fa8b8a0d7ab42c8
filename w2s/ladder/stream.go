package ladder

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/w2s-lab/w2s/w2s/corpus"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// ValidFraction of the documents is held out for validation.
const ValidFraction = 0.02

// Data is what a ladder is pretrained on.
type Data struct {
	Tokenizer *tokenizer.BPE
	Train     []int32 // the token stream every size reads from its start
	Valid     []int32
	// ValidBytes is the text Valid's predicted tokens (all but the first)
	// spell, end-of-text counted as one byte: bits per byte divide by it.
	ValidBytes int
	Files      []string // data files read
	Stats      corpus.Stats
	// PassTokens is the length of one pass over the training documents;
	// len(Train)/PassTokens is how many times the longest budget reads them.
	PassTokens int
	// Shares is each corpus's fraction of the training documents' bytes.
	Shares map[string]float64
}

// isValid holds out documents by a hash of their text.
func isValid(d corpus.Doc) bool {
	h := fnv.New64a()
	h.Write([]byte(d.Text))
	return float64(h.Sum64()%10000) < ValidFraction*10000
}

// passOrder is the order of the documents in pass p of the stream.
func passOrder(n int, seed uint64, pass int) []int {
	return rand.New(rand.NewPCG(seed, uint64(pass))).Perm(n)
}

// LoadData reads the scale's corpora (s.Mixture(), decontaminated), holds out
// ValidFraction of the documents, trains the ladder's tokenizer on the
// first TokenizerBytes of the first pass, and tokenizes the stream:
// passes over the training documents, each in a fresh seeded order,
// joined by end-of-text, up to the longest budget of the ladder.
func LoadData(ctx context.Context, s *zoo.Scale, opt tasks.LoadOptions) (*Data, error) {
	return loadData(ctx, s, opt, s.MaxTokens()+1, nil)
}

// loadData is LoadData with a training stream of trainTokens tokens (0:
// one pass), and with tok as the tokenizer when it is not nil (a built
// ladder's, instead of training it again).
func loadData(ctx context.Context, s *zoo.Scale, opt tasks.LoadOptions, trainTokens int, tok *tokenizer.BPE) (*Data, error) {
	docs, st, err := corpus.Load(ctx, s.Mixture(), opt, true)
	if err != nil {
		return nil, err
	}
	var trainDocs, validDocs []corpus.Doc
	bytesOf := map[string]float64{}
	var total float64
	for _, d := range docs {
		if isValid(d) {
			validDocs = append(validDocs, d)
		} else {
			trainDocs = append(trainDocs, d)
			bytesOf[d.Source] += float64(len(d.Text))
			total += float64(len(d.Text))
		}
	}
	for _, n := range s.Mixture() {
		if bytesOf[n] == 0 {
			return nil, fmt.Errorf("zoo: corpus %s has no training documents", n)
		}
	}
	shares := map[string]float64{}
	for n, b := range bytesOf {
		shares[n] = b / total
	}

	// The tokenizer learns from the start of the first pass.
	if tok == nil {
		first := passOrder(len(trainDocs), s.Seed, 0)
		tok, err = tokenizer.Train(func(yield func(string) bool) {
			for n, i := 0, 0; n < s.TokenizerBytes && i < len(first); i++ {
				t := trainDocs[first[i]].Text
				if !yield(t) {
					return
				}
				n += len(t)
			}
		}, s.Vocab, "zoo-"+s.Name)
		if err != nil {
			return nil, err
		}
	}
	if tok.VocabSize() != s.Vocab {
		return nil, fmt.Errorf("zoo: the tokenizer sample yields %d tokens, the scale wants %d", tok.VocabSize(), s.Vocab)
	}

	data := &Data{Tokenizer: tok, Files: st.Files, Stats: st, Shares: shares}
	data.Train, data.PassTokens, err = streamOf(ctx, tok, trainDocs, s.Seed, trainTokens)
	if err != nil {
		return nil, err
	}
	// Validation text: whole held-out documents, in a seeded order, up to
	// ValidBytes bytes, the same text whatever the tokenizer.
	var held []corpus.Doc
	n := 0
	for _, i := range passOrder(len(validDocs), s.Seed+1, 0) {
		if n >= s.ValidBytes {
			break
		}
		held = append(held, validDocs[i])
		n += len(validDocs[i].Text) + 1
	}
	data.Valid, _, err = streamOf(ctx, tok, held, s.Seed+1, 0)
	if err != nil {
		return nil, err
	}
	data.ValidBytes = textBytes(tok, data.Valid[1:])
	return data, nil
}

// streamOf tokenizes docs once (in parallel) and returns n tokens of
// passes over them in seeded orders (n = 0: exactly one pass), each
// document followed by end-of-text, and the length of one pass.
func streamOf(ctx context.Context, tok *tokenizer.BPE, docs []corpus.Doc, seed uint64, n int) ([]int32, int, error) {
	encoded := make([][]int32, len(docs))
	workers := max(1, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(docs); i += workers {
				if ctx.Err() != nil {
					return
				}
				encoded[i] = tok.Encode(docs[i].Text)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	pass := 0
	for _, e := range encoded {
		pass += len(e) + 1
	}
	if pass == 0 {
		return nil, 0, fmt.Errorf("zoo: no documents to stream")
	}
	if n <= 0 {
		n = pass
	}
	out := make([]int32, 0, n+pass)
	for p := 0; len(out) < n; p++ {
		for _, i := range passOrder(len(docs), seed, p) {
			out = append(out, encoded[i]...)
			out = append(out, tok.EOS())
			if len(out) >= n {
				break
			}
		}
	}
	return out[:n], pass, nil
}

// batches reads the stream in order: sequence b of step t is window
// t·Batch + b, tokens [k·T, k·T + T] (inputs, and targets shifted by one).
func batches(s *zoo.Scale, stream []int32) train.Batches {
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

// textBytes is the length of the text ids spell, end-of-text counted as one
// byte.
func textBytes(tok *tokenizer.BPE, ids []int32) int {
	n := 0
	for _, id := range ids {
		if id == tok.EOS() {
			n++
		} else {
			n += len(tok.Decode([]int32{id}))
		}
	}
	return n
}

// BitsPerByte converts a mean validation loss (nats per predicted token)
// to bits per byte of the validation text.
func (d *Data) BitsPerByte(loss float64) float64 {
	return loss * float64(len(d.Valid)-1) / float64(d.ValidBytes) / math.Ln2
}

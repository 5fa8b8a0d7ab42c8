package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/dlclark/regexp2/v2"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
)

// gpt2Pattern is GPT-2's pre-tokenizer: text is cut into pieces (words with
// their leading space, numbers, punctuation runs, whitespace) and BPE never
// merges across pieces.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

var pretokenizer = sync.OnceValue(func() *regexp2.Regexp {
	return regexp2.MustCompile(gpt2Pattern, regexp2.None)
})

// Pieces splits text as GPT-2's pre-tokenizer does.
func Pieces(text string) []string {
	re := pretokenizer()
	var out []string
	m, err := re.FindStringMatch(text)
	for err == nil && m != nil {
		out = append(out, m.String())
		m, err = re.FindNextMatch(m)
	}
	if err != nil {
		panic(fmt.Sprintf("tokenizer: pre-tokenizer: %v", err))
	}
	return out
}

// EndOfText is the special token that separates documents.
const EndOfText = "<|endoftext|>"

// BPE is a byte-level BPE tokenizer: tokens are byte strings. Trained here,
// the first 256 ids are the single bytes, then one id per merge, then the
// special token; a loaded GPT-2 tokenizer.json keeps its own numbering.
type BPE struct {
	byteID  [256]int32       // the token of each single byte
	tokens  []string         // id → token bytes
	ids     map[string]int32 // token bytes → id
	ranks   map[[2]int32]int // merge (left id, right id) → rank
	merged  map[[2]int32]int32
	special map[string]int32
	eos     int32
	name    string

	cacheMu sync.Mutex
	cache   map[string][]int32 // piece → ids
}

func newBPE(name string) *BPE {
	return &BPE{ids: map[string]int32{}, ranks: map[[2]int32]int{}, merged: map[[2]int32]int32{},
		special: map[string]int32{}, name: name, cache: map[string][]int32{}, eos: -1}
}

func (b *BPE) add(token string) int32 {
	id := int32(len(b.tokens))
	b.tokens = append(b.tokens, token)
	b.ids[token] = id
	return id
}

func (b *BPE) addMerge(left, right int32) (int32, error) {
	key := [2]int32{left, right}
	if _, dup := b.ranks[key]; dup {
		return 0, fmt.Errorf("merge %q + %q appears twice", b.tokens[left], b.tokens[right])
	}
	tok := b.tokens[left] + b.tokens[right]
	id, ok := b.ids[tok]
	if !ok {
		id = b.add(tok)
	}
	b.ranks[key] = len(b.ranks)
	b.merged[key] = id
	return id, nil
}

func (b *BPE) VocabSize() int { return len(b.tokens) }
func (b *BPE) EOS() int32     { return b.eos }
func (b *BPE) Name() string   { return b.name }

// Encode splits text into pieces and applies the merges to each piece,
// lowest rank first. The special end-of-text string is encoded as its id.
func (b *BPE) Encode(text string) []int32 {
	var out []int32
	for {
		i := strings.Index(text, EndOfText)
		if i < 0 || b.eos < 0 {
			break
		}
		out = b.encodeOrdinary(text[:i], out)
		out = append(out, b.eos)
		text = text[i+len(EndOfText):]
	}
	return b.encodeOrdinary(text, out)
}

func (b *BPE) encodeOrdinary(text string, out []int32) []int32 {
	for _, piece := range Pieces(text) {
		out = append(out, b.encodePiece(piece)...)
	}
	return out
}

func (b *BPE) encodePiece(piece string) []int32 {
	if id, ok := b.ids[piece]; ok {
		return []int32{id}
	}
	b.cacheMu.Lock()
	cached, ok := b.cache[piece]
	b.cacheMu.Unlock()
	if ok {
		return cached
	}
	seq := make([]int32, len(piece))
	for i := 0; i < len(piece); i++ {
		seq[i] = b.byteID[piece[i]]
	}
	for len(seq) > 1 {
		best, bestRank := -1, math.MaxInt
		for i := 0; i+1 < len(seq); i++ {
			if r, ok := b.ranks[[2]int32{seq[i], seq[i+1]}]; ok && r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		pair := [2]int32{seq[best], seq[best+1]}
		id := b.merged[pair]
		next := mergePair(seq, pair, id)
		seq = next
	}
	b.cacheMu.Lock()
	if len(b.cache) < 1<<20 {
		b.cache[piece] = seq
	}
	b.cacheMu.Unlock()
	return seq
}

// Decode concatenates the tokens' bytes.
func (b *BPE) Decode(ids []int32) string {
	var sb strings.Builder
	for _, id := range ids {
		if id >= 0 && int(id) < len(b.tokens) {
			sb.WriteString(b.tokens[id])
		}
	}
	return sb.String()
}

// Train learns a byte-level BPE of vocabSize tokens (256 bytes, merges and
// the end-of-text token) from texts. Ties between equally frequent pairs go
// to the pair of smaller ids, so training is deterministic.
func Train(texts func(yield func(string) bool), vocabSize int, name string) (*BPE, error) {
	if vocabSize < 257 {
		return nil, fmt.Errorf("tokenizer: vocabulary of %d cannot hold the 256 bytes and end-of-text", vocabSize)
	}
	pc := newPairCounts(countPieces(texts))
	b := newBPE(name)
	for c := range 256 {
		b.byteID[c] = b.add(string([]byte{byte(c)}))
	}
	for len(b.tokens) < vocabSize-1 {
		best, bestCount := pc.best()
		if bestCount < 2 {
			break // nothing left worth merging
		}
		id, err := b.addMerge(best[0], best[1])
		if err != nil {
			return nil, err
		}
		pc.merge(best, id)
	}
	b.eos = b.add(EndOfText)
	b.special[EndOfText] = b.eos
	return b, nil
}

// countPieces counts each distinct pre-tokenizer piece of texts: merges
// never cross pieces, so training needs only the pieces and their counts.
func countPieces(texts func(yield func(string) bool)) map[string]int {
	counts := map[string]int{}
	for text := range texts {
		for _, p := range Pieces(text) {
			counts[p]++
		}
	}
	return counts
}

// pairCounts tracks, while training merges, the frequency of every
// adjacent pair of tokens over the distinct pieces ("words"), and which
// words hold each pair, so a merge rewrites only the words it touches.
type pairCounts struct {
	words [][]int32 // each distinct piece as token ids, in sorted piece order
	freq  []int     // how often each word occurs
	count map[[2]int32]int
	where map[[2]int32]map[int]bool
}

// newPairCounts starts from the pieces as byte sequences (a byte's id is
// the byte), in sorted order so that training is deterministic.
func newPairCounts(counts map[string]int) *pairCounts {
	pieces := make([]string, 0, len(counts))
	for p := range counts {
		pieces = append(pieces, p)
	}
	sort.Strings(pieces)
	pc := &pairCounts{words: make([][]int32, len(pieces)), freq: make([]int, len(pieces)),
		count: map[[2]int32]int{}, where: map[[2]int32]map[int]bool{}}
	for i, p := range pieces {
		pc.freq[i] = counts[p]
		for j := 0; j < len(p); j++ {
			pc.words[i] = append(pc.words[i], int32(p[j]))
		}
	}
	for w := range pc.words {
		pc.addPairs(w, 1)
	}
	return pc
}

// addPairs adds (sign 1) or removes (sign −1) word w's pairs. Removal
// keeps w listed under its old pairs: a later merge of such a pair visits
// w and leaves it as it is.
func (pc *pairCounts) addPairs(w int, sign int) {
	seq := pc.words[w]
	for i := 0; i+1 < len(seq); i++ {
		p := [2]int32{seq[i], seq[i+1]}
		pc.count[p] += sign * pc.freq[w]
		if sign > 0 {
			if pc.where[p] == nil {
				pc.where[p] = map[int]bool{}
			}
			pc.where[p][w] = true
		}
	}
}

// best is the most frequent pair, ties going to the pair of smaller ids.
func (pc *pairCounts) best() ([2]int32, int) {
	var best [2]int32
	bestCount := 0
	for p, c := range pc.count {
		if c > bestCount || (c == bestCount && c > 0 && (p[0] < best[0] || (p[0] == best[0] && p[1] < best[1]))) {
			best, bestCount = p, c
		}
	}
	return best, bestCount
}

// merge replaces pair by token id in every word holding it, visiting the
// words in order, and updates the counts of the pairs around it.
func (pc *pairCounts) merge(pair [2]int32, id int32) {
	ws := make([]int, 0, len(pc.where[pair]))
	for w := range pc.where[pair] {
		ws = append(ws, w)
	}
	sort.Ints(ws)
	for _, w := range ws {
		pc.addPairs(w, -1)
		pc.words[w] = mergePair(pc.words[w], pair, id)
		pc.addPairs(w, 1)
	}
	delete(pc.count, pair)
	delete(pc.where, pair)
}

// The Hugging Face tokenizer.json layout, as far as byte-level BPE needs.
type hfTokenizer struct {
	Version       string          `json:"version"`
	Truncation    any             `json:"truncation"`
	Padding       any             `json:"padding"`
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Normalizer    any             `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         hfBPEModel      `json:"model"`
}

type hfAddedToken struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type hfBPEModel struct {
	Type                    string           `json:"type"`
	Dropout                 any              `json:"dropout"`
	UnkToken                any              `json:"unk_token"`
	ContinuingSubwordPrefix string           `json:"continuing_subword_prefix"`
	EndOfWordSuffix         string           `json:"end_of_word_suffix"`
	FuseUnk                 bool             `json:"fuse_unk"`
	ByteFallback            bool             `json:"byte_fallback"`
	Vocab                   map[string]int32 `json:"vocab"`
	Merges                  json.RawMessage  `json:"merges"`
}

// byteToRune is GPT-2's printable stand-in for each byte in vocab and
// merges strings (bytes_to_unicode of the original encoder.py).
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := map[rune]byte{}
	n := 0
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		r := rune(b)
		if !printable {
			r = rune(256 + n)
			n++
		}
		b2r[b] = r
		r2b[r] = byte(b)
	}
	return b2r, r2b
}()

func toUnicode(token string) string {
	var sb strings.Builder
	for i := 0; i < len(token); i++ {
		sb.WriteRune(byteToRune[token[i]])
	}
	return sb.String()
}

func fromUnicode(s string) (string, error) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := runeToByte[r]
		if !ok {
			return "", fmt.Errorf("character %q is not in the byte-level alphabet", r)
		}
		out = append(out, b)
	}
	return string(out), nil
}

// Save writes b as a Hugging Face tokenizer.json (atomically).
func (b *BPE) Save(path string) error {
	hf := hfTokenizer{
		Version:       "1.0",
		PreTokenizer:  json.RawMessage(`{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}`),
		PostProcessor: json.RawMessage(`{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":false,"use_regex":true}`),
		Decoder:       json.RawMessage(`{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}`),
		Model:         hfBPEModel{Type: "BPE", Vocab: map[string]int32{}},
	}
	for id, tok := range b.tokens {
		if sid, ok := b.special[tok]; ok && sid == int32(id) {
			hf.AddedTokens = append(hf.AddedTokens, hfAddedToken{ID: sid, Content: tok, Normalized: true, Special: true})
			continue
		}
		hf.Model.Vocab[toUnicode(tok)] = int32(id)
	}
	merges := make([][2]string, len(b.ranks))
	for pair, rank := range b.ranks {
		merges[rank] = [2]string{toUnicode(b.tokens[pair[0]]), toUnicode(b.tokens[pair[1]])}
	}
	raw, err := json.Marshal(merges)
	if err != nil {
		return err
	}
	hf.Model.Merges = raw
	js, err := json.MarshalIndent(hf, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, js)
}

func addedID(added []hfAddedToken, id int32) bool {
	for _, a := range added {
		if a.ID == id {
			return true
		}
	}
	return false
}

// Load reads a byte-level BPE tokenizer.json: ours, or a Hugging Face GPT-2
// style one (merges as "a b" strings or as pairs).
func Load(path string) (*BPE, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var hf hfTokenizer
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a byte-order mark some editors write
	if err := json.Unmarshal(raw, &hf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b, err := fromHF(path, &hf)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, err)
	}
	return b, nil
}

// fromHF builds the tokenizer hf describes, named name. Its errors do not
// name the file: Load adds the path.
func fromHF(name string, hf *hfTokenizer) (*BPE, error) {
	if hf.Model.Type != "BPE" {
		return nil, fmt.Errorf("model type %q: only byte-level BPE is supported", hf.Model.Type)
	}
	if !strings.Contains(string(hf.PreTokenizer), `"ByteLevel"`) {
		return nil, fmt.Errorf("pre_tokenizer is not ByteLevel")
	}
	merges, err := parseMerges(hf.Model.Merges)
	if err != nil {
		return nil, err
	}
	ids, err := vocabIDs(hf)
	if err != nil {
		return nil, err
	}
	b := newBPE(name)
	b.tokens = ids.tokens
	for id, tok := range ids.tokens {
		if ids.filled[id] {
			b.ids[tok] = int32(id)
		}
	}
	if err := b.addSpecials(ids, hf.AddedTokens); err != nil {
		return nil, err
	}
	for i := range 256 {
		id, ok := b.ids[string([]byte{byte(i)})]
		if !ok {
			return nil, fmt.Errorf("byte %#02x has no token: not a byte-level vocabulary", i)
		}
		b.byteID[i] = id
	}
	if err := b.addRanks(merges); err != nil {
		return nil, err
	}
	if b.eos < 0 {
		return nil, fmt.Errorf("no %s token", EndOfText)
	}
	return b, nil
}

// parseMerges reads the merges in either layout tokenizers write: a list
// of pairs (newer files) or of "a b" strings (GPT-2's).
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	var merges [][2]string
	var asPairs [][]string
	var asStrings []string
	if err := json.Unmarshal(raw, &asPairs); err == nil {
		for _, p := range asPairs {
			if len(p) != 2 {
				return nil, fmt.Errorf("merge %v is not a pair", p)
			}
			merges = append(merges, [2]string{p[0], p[1]})
		}
	} else if err := json.Unmarshal(raw, &asStrings); err == nil {
		for _, s := range asStrings {
			l, r, ok := strings.Cut(s, " ")
			if !ok {
				return nil, fmt.Errorf("merge %q is not two tokens", s)
			}
			merges = append(merges, [2]string{l, r})
		}
	} else {
		return nil, fmt.Errorf("merges must be a list of pairs or of \"a b\" strings")
	}
	return merges, nil
}

// idTable holds tokens by id while a file's vocabulary is read, so that an
// id out of range or given twice is caught rather than overwritten.
type idTable struct {
	tokens []string
	filled []bool
}

func (t *idTable) set(id int32, tok string) error {
	if id < 0 || int(id) >= len(t.tokens) {
		return fmt.Errorf("token %q has id %d outside [0, %d)", tok, id, len(t.tokens))
	}
	if t.filled[id] {
		return fmt.Errorf("id %d is used twice", id)
	}
	t.tokens[id], t.filled[id] = tok, true
	return nil
}

// vocabIDs rebuilds the ids exactly as the file numbers them. Ids left
// free by the vocabulary must be added tokens: GPT-2's file lists
// end-of-text both in the vocabulary and as an added token, others only as
// an added token.
func vocabIDs(hf *hfTokenizer) (*idTable, error) {
	size := 0
	for _, id := range hf.Model.Vocab {
		size = max(size, int(id)+1)
	}
	for _, a := range hf.AddedTokens {
		size = max(size, int(a.ID)+1)
	}
	t := &idTable{tokens: make([]string, size), filled: make([]bool, size)}
	for s, id := range hf.Model.Vocab {
		tok, err := fromUnicode(s)
		if err != nil {
			return nil, fmt.Errorf("vocab token %q: %v", s, err)
		}
		if err := t.set(id, tok); err != nil {
			return nil, err
		}
	}
	for id, ok := range t.filled {
		if !ok && !addedID(hf.AddedTokens, int32(id)) {
			return nil, fmt.Errorf("no token has id %d", id)
		}
	}
	return t, nil
}

// addSpecials enters the added tokens as special tokens, taking ids the
// vocabulary left free. b.tokens must share ids.tokens, so both see them.
func (b *BPE) addSpecials(ids *idTable, added []hfAddedToken) error {
	size := len(ids.tokens)
	for _, a := range added {
		if a.ID < 0 || int(a.ID) >= size || !(ids.filled[a.ID] && ids.tokens[a.ID] == a.Content) {
			if err := ids.set(a.ID, a.Content); err != nil {
				return fmt.Errorf("added token: %v", err)
			}
		}
		b.tokens[a.ID] = a.Content
		b.special[a.Content] = a.ID
		delete(b.ids, a.Content) // specials never come out of merges
		if a.Content == EndOfText {
			b.eos = a.ID
		}
	}
	return nil
}

// addRanks enters the merges, ranked by their order in the file; a merge
// listed again keeps its first rank.
func (b *BPE) addRanks(merges [][2]string) error {
	for i, m := range merges {
		l, err1 := fromUnicode(m[0])
		r, err2 := fromUnicode(m[1])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("merge %d: %v %v", i, err1, err2)
		}
		lid, ok1 := b.ids[l]
		rid, ok2 := b.ids[r]
		mid, ok3 := b.ids[l+r]
		if !ok1 || !ok2 || !ok3 {
			return fmt.Errorf("merge %d (%q %q) uses tokens missing from the vocabulary", i, m[0], m[1])
		}
		key := [2]int32{lid, rid}
		if _, dup := b.ranks[key]; !dup {
			b.ranks[key] = i
			b.merged[key] = mid
		}
	}
	return nil
}

// mergePair returns seq with every occurrence of pair, left to right,
// replaced by id (a new slice; seq is not changed).
func mergePair(seq []int32, pair [2]int32, id int32) []int32 {
	next := seq[:0:0]
	for i := 0; i < len(seq); i++ {
		if i+1 < len(seq) && seq[i] == pair[0] && seq[i+1] == pair[1] {
			next = append(next, id)
			i++
		} else {
			next = append(next, seq[i])
		}
	}
	return next
}

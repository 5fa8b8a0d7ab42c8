package tokenizer

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestGPT2KnownIDs(t *testing.T) {
	g, err := NewGPT2()
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]int32{
		"Hello world": {15496, 995},
		" the":        {262},
		"!":           {0},
		"GPT-2":       {38, 11571, 12, 17},
	} {
		if got := g.Encode(text); !reflect.DeepEqual(got, want) {
			t.Errorf("Encode(%q) = %v, want %v", text, got, want)
		}
	}
	if g.EOS() != 50256 || g.VocabSize() != 50257 {
		t.Errorf("EOS %d, vocab %d", g.EOS(), g.VocabSize())
	}
	text := "Déjà vu — naïve café, 3.14 😀"
	if got := g.Decode(g.Encode(text)); got != text {
		t.Errorf("round trip %q → %q", text, got)
	}
}

func TestPieces(t *testing.T) {
	got := Pieces("Hello  world\n\nIt's 2024!! ok")
	want := []string{"Hello", " ", " world", "\n", "\n", "It", "'s", " 2024", "!!", " ok"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Pieces = %q, want %q", got, want)
	}
}

var corpus = []string{
	"The film was a delight from start to finish, and the cast was superb.",
	"The plot was thin; the acting, worse. I wanted my two hours back!",
	"A quiet, moving portrait of a family in crisis — the best film of the year.",
	"Human: how do I bake bread?\n\nAssistant: Mix flour, water, salt and yeast, then knead.",
	"Numbers like 12345 and 3.14159 appear too, as do emoji 😀 and accents: café, naïve.",
}

func texts(xs []string, repeat int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for range repeat {
			for _, x := range xs {
				if !yield(x) {
					return
				}
			}
		}
	}
}

func TestTrainedBPE(t *testing.T) {
	b, err := Train(texts(corpus, 3), 400, "test")
	if err != nil {
		t.Fatal(err)
	}
	if b.VocabSize() > 400 || b.VocabSize() < 300 {
		t.Errorf("vocabulary of %d tokens, asked for 400", b.VocabSize())
	}
	if b.EOS() != int32(b.VocabSize()-1) {
		t.Errorf("end-of-text is %d of %d", b.EOS(), b.VocabSize())
	}
	// Training compresses its corpus, and round trips are exact.
	for _, text := range append(corpus, "unseen words: zygote, quokka — ∑ ∫ 🚀", "") {
		ids := b.Encode(text)
		if got := b.Decode(ids); got != text {
			t.Errorf("round trip %q → %q", text, got)
		}
	}
	if n, bytes := len(b.Encode(corpus[0])), len(corpus[0]); float64(n) > 0.5*float64(bytes) {
		t.Errorf("%d tokens for %d bytes of training text", n, bytes)
	}
	if ids := b.Encode("a" + EndOfText + "b"); len(ids) != 3 || ids[1] != b.EOS() {
		t.Errorf("end-of-text not encoded as its token: %v", ids)
	}
	// Deterministic, and the saved file loads to the same tokenizer.
	b2, _ := Train(texts(corpus, 3), 400, "test")
	if !reflect.DeepEqual(b.tokens, b2.tokens) || !reflect.DeepEqual(b.ranks, b2.ranks) {
		t.Error("training twice gave different tokenizers")
	}
	path := filepath.Join(t.TempDir(), FileName)
	if err := b.Save(path); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range corpus {
		if !reflect.DeepEqual(l.Encode(text), b.Encode(text)) {
			t.Errorf("loaded tokenizer encodes %q differently", text)
		}
	}
	if l.EOS() != b.EOS() || l.VocabSize() != b.VocabSize() {
		t.Errorf("loaded: eos %d vocab %d", l.EOS(), l.VocabSize())
	}
	// The file has the Hugging Face layout.
	var hf map[string]any
	raw, _ := os.ReadFile(path)
	json.Unmarshal(raw, &hf)
	model := hf["model"].(map[string]any)
	if model["type"] != "BPE" || hf["pre_tokenizer"].(map[string]any)["type"] != "ByteLevel" {
		t.Errorf("tokenizer.json layout: %v", hf["pre_tokenizer"])
	}
	if _, ok := model["vocab"].(map[string]any)["Ġthe"]; !ok {
		t.Error(`vocabulary lacks "Ġthe" (byte-level spelling of " the")`)
	}
}

// TestLoadGPT2TokenizerJSON builds GPT-2's tokenizer.json from the
// tiktoken tables (vocabulary numbered as GPT-2 numbers it, merges derived
// from the ranks) and checks our loader encodes exactly as tiktoken does.
func TestLoadGPT2TokenizerJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("derives 50,000 merges")
	}
	g, _ := NewGPT2()
	tokens := make([]string, 50256)
	rank := map[string]int{}
	for id := range tokens {
		s, err := g.codec.Decode([]uint{uint(id)})
		if err != nil {
			t.Fatal(err)
		}
		tokens[id], rank[s] = s, id
	}
	vocab := map[string]int32{}
	for id, tok := range tokens {
		vocab[toUnicode(tok)] = int32(id)
	}
	var merges []string
	for id, tok := range tokens {
		if len(tok) < 2 {
			continue
		}
		parts := bpeParts(tok, rank, id)
		if len(parts) != 2 {
			t.Fatalf("token %q does not split into two earlier tokens: %q", tok, parts)
		}
		merges = append(merges, toUnicode(parts[0])+" "+toUnicode(parts[1]))
	}
	vocab[EndOfText] = 50256
	file := map[string]any{
		"version":       "1.0",
		"added_tokens":  []any{map[string]any{"id": 50256, "content": EndOfText, "special": true}},
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false},
		"decoder":       map[string]any{"type": "ByteLevel"},
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	raw, _ := json.Marshal(file)
	path := filepath.Join(t.TempDir(), FileName)
	os.WriteFile(path, raw, 0o644)
	b, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.VocabSize() != 50257 || b.EOS() != 50256 {
		t.Fatalf("loaded GPT-2: vocab %d eos %d", b.VocabSize(), b.EOS())
	}
	text := strings.Join(corpus, "\n") + "\n\n  Indentation\tand tabs, URLs like https://example.com/a?b=1, CamelCaseWords and ÜNICODE."
	if got, want := b.Encode(text), g.Encode(text); !reflect.DeepEqual(got, want) {
		t.Errorf("tokenizer.json encoding differs from tiktoken:\n%v\n%v", got, want)
	}
}

// bpeParts runs byte-level BPE on tok with the ranks below maxRank.
func bpeParts(tok string, rank map[string]int, maxRank int) []string {
	parts := make([]string, len(tok))
	for i := 0; i < len(tok); i++ {
		parts[i] = tok[i : i+1]
	}
	for {
		best, bestRank := -1, math.MaxInt
		for i := 0; i+1 < len(parts); i++ {
			if r, ok := rank[parts[i]+parts[i+1]]; ok && r < maxRank && r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			return parts
		}
		parts = append(parts[:best], append([]string{parts[best] + parts[best+1]}, parts[best+2:]...)...)
	}
}

func TestPad(t *testing.T) {
	seqs := [][]int32{{1, 2, 3, 4, 5}, {6, 7}, {8}}
	b, err := Pad(seqs, 3, 0, Right, Left)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.IDs, []int32{3, 4, 5, 6, 7, 0, 8, 0, 0}) || !reflect.DeepEqual(b.Mask, []int32{1, 1, 1, 1, 1, 0, 1, 0, 0}) {
		t.Errorf("right pad, left truncate: ids %v mask %v", b.IDs, b.Mask)
	}
	if b.Truncated != 1 || !reflect.DeepEqual(b.Lengths, []int{3, 2, 1}) {
		t.Errorf("truncated %d lengths %v", b.Truncated, b.Lengths)
	}
	b, _ = Pad(seqs, 3, 9, Left, Right)
	if !reflect.DeepEqual(b.IDs, []int32{1, 2, 3, 9, 6, 7, 9, 9, 8}) || !reflect.DeepEqual(b.Mask, []int32{1, 1, 1, 0, 1, 1, 0, 0, 1}) {
		t.Errorf("left pad, right truncate: ids %v mask %v", b.IDs, b.Mask)
	}
	b, _ = Pad(seqs, 0, 0, Right, Right)
	if b.T != 5 || b.Truncated != 0 {
		t.Errorf("automatic width %d, truncated %d", b.T, b.Truncated)
	}
	if _, err := Pad([][]int32{{1}, {}}, 4, 0, Right, Right); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("empty row: %v", err)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not json":     `{"model":`,
		"wordpiece":    `{"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"WordPiece","vocab":{}}}`,
		"not bytelvl":  `{"pre_tokenizer":{"type":"Whitespace"},"model":{"type":"BPE","vocab":{},"merges":[]}}`,
		"missing byte": `{"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		os.WriteFile(path, []byte(content), 0o644)
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

// TestLoadSkipsByteOrderMark: a tokenizer.json that an editor saved with a
// UTF-8 byte-order mark loads as without it.
func TestLoadSkipsByteOrderMark(t *testing.T) {
	b, err := Train(func(yield func(string) bool) { yield("abcdefgh abc def gh abc abc") }, 270, "t")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	if err := b.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	os.WriteFile(path, append([]byte("\xef\xbb\xbf"), raw...), 0o644)
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := b.Encode("abc def")
	if ids := got.Encode("abc def"); !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
}

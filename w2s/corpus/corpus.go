// Package corpus is the registry of pretraining text: review text and
// dialogues from the tasks' training pools, passages, and the general
// corpora of the data folder. Loading can remove every document that shares
// text with any task's test split (decontamination), so models pretrained
// on it have never read a test example.
package corpus

import (
	"context"
	"fmt"
	"hash/fnv"
	"index/suffixarray"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/w2s-lab/w2s/w2s/chess"
	registry_ "github.com/w2s-lab/w2s/w2s/internal/registry"

	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/records"
	"github.com/w2s-lab/w2s/w2s/tasks"
)

// Doc is one pretraining document.
type Doc struct {
	Source string // corpus name
	Text   string
}

// Corpus is a named source of documents.
type Corpus struct {
	Name, Description string
	// Unfiltered corpora are not matched against the tasks' test text:
	// they are not natural language, so a shared run of words is no leak
	// but a coincidence (chess positions: the filter takes four empty
	// squares, ". . . .", for a short test text), and they keep out what
	// their own task tests by other means (the chess games of test
	// puzzles).
	Unfiltered bool
	// load returns the documents and the data files it read.
	load func(ctx context.Context, opt tasks.LoadOptions) ([]Doc, []string, error)
}

var registry = registry_.New[*Corpus]("corpus")

// register adds a corpus at init (a duplicate is a bug).
func register(c *Corpus) {
	if err := registry.Add(c.Name, c); err != nil {
		panic("corpus: " + err.Error())
	}
}

// Names lists the registered corpora, sorted.
func Names() []string { return registry.Names() }

// Get returns the named corpus or an error listing the known ones.
func Get(name string) (*Corpus, error) { return registry.Get(name) }

func init() {
	register(&Corpus{Name: "reviews", Description: "review text of the sentiment tasks' training pools (sst2, imdb, rotten_tomatoes, amazon)",
		load: fromTasks([]string{"sst2", "imdb", "rotten_tomatoes", "amazon"}, "reviews")})
	register(&Corpus{Name: "news", Description: "news text of the ag_news training pool",
		load: fromTasks([]string{"ag_news"}, "news")})
	register(&Corpus{Name: "dialogues", Description: "both conversations of each hh_harmless training pair",
		load: fromTasks([]string{"hh_harmless"}, "dialogues")})
	register(&Corpus{Name: "passages", Description: "BoolQ passages and CosmosQA contexts of their training pools",
		load: passages})
	register(&Corpus{Name: "shakespeare", Description: "Tiny Shakespeare, one document per blank-line paragraph",
		load: textFile("corpora/tiny_shakespeare.txt", "shakespeare")})
	register(&Corpus{Name: "moby_dick", Description: "Moby-Dick, one document per blank-line paragraph",
		load: textFile("corpora/moby_dick.txt", "moby_dick")})
	register(&Corpus{Name: "sotu", Description: "US State of the Union addresses 1790–2021, one per document",
		load: sotu})
	register(&Corpus{Name: "chess_games", Description: "the chess library's 10,000 Lichess games, one document per game, one line per position and the move played (chess.Positions); the games the puzzles come from are left out",
		load: chessGames, Unfiltered: true})
}

// chessGames reads the Lichess games the chess library's module ships
// (chess.LichessGames) as text in the puzzles' own format, leaving out
// every game a puzzle of chess_puzzles/all.jsonl.gz comes from.
func chessGames(ctx context.Context, opt tasks.LoadOptions) ([]Doc, []string, error) {
	puzzles, err := findData(opt, "chess_puzzles/all.jsonl.gz")
	if err != nil {
		return nil, nil, fmt.Errorf("corpus chess_games: %w", err)
	}
	exclude, err := chess.PuzzleGames(puzzles)
	if err != nil {
		return nil, nil, fmt.Errorf("corpus chess_games: %w", err)
	}
	path, err := chess.LichessGames()
	if err != nil {
		return nil, nil, fmt.Errorf("corpus chess_games: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("corpus chess_games: %w", err)
	}
	defer f.Close()
	var docs []Doc
	_, err = chess.EachGame(f, path, chess.Positions, exclude, func(text string) error {
		docs = append(docs, Doc{"chess_games", strings.TrimSuffix(text, "\n")})
		return ctx.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("corpus chess_games: %w", err)
	}
	return docs, []string{puzzles, path}, nil
}

// fromTasks takes the input texts (or candidates) of the tasks' pools.
func fromTasks(names []string, source string) func(context.Context, tasks.LoadOptions) ([]Doc, []string, error) {
	return func(ctx context.Context, opt tasks.LoadOptions) ([]Doc, []string, error) {
		var docs []Doc
		var files []string
		for _, n := range names {
			d, err := tasks.Load(ctx, n, opt)
			if err != nil {
				return nil, nil, fmt.Errorf("corpus %s: %w", source, err)
			}
			files = append(files, d.Files...)
			for _, e := range d.Pool {
				if len(e.Candidates) > 0 {
					for _, c := range e.Candidates {
						docs = append(docs, Doc{source, strings.TrimSpace(c)})
					}
				} else {
					docs = append(docs, Doc{source, e.Text})
				}
			}
		}
		return docs, files, nil
	}
}

// passages takes the passage and context fields, not the formatted inputs
// (which would repeat each passage with every question).
func passages(ctx context.Context, opt tasks.LoadOptions) ([]Doc, []string, error) {
	var docs []Doc
	var files []string
	seen := map[string]bool{}
	for _, n := range []string{"boolq", "cosmos_qa"} {
		d, err := tasks.Load(ctx, n, opt)
		if err != nil {
			return nil, nil, fmt.Errorf("corpus passages: %w", err)
		}
		files = append(files, d.Files...)
		for _, e := range d.Pool {
			text := e.Text
			if after, ok := strings.CutPrefix(text, "Passage: "); ok {
				text, _, _ = strings.Cut(after, "\nQuestion: ")
			} else if after, ok := strings.CutPrefix(text, "Context: "); ok {
				text, _, _ = strings.Cut(after, "\nQuestion: ")
			}
			if !seen[text] {
				seen[text] = true
				docs = append(docs, Doc{"passages", text})
			}
		}
	}
	return docs, files, nil
}

func textFile(rel, source string) func(context.Context, tasks.LoadOptions) ([]Doc, []string, error) {
	return func(_ context.Context, opt tasks.LoadOptions) ([]Doc, []string, error) {
		path, err := findData(opt, rel)
		if err != nil {
			return nil, nil, fmt.Errorf("corpus %s: %w", source, err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, err
		}
		var docs []Doc
		for _, para := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n") {
			if p := strings.TrimSpace(para); p != "" {
				docs = append(docs, Doc{source, p})
			}
		}
		return docs, []string{path}, nil
	}
}

func sotu(_ context.Context, opt tasks.LoadOptions) ([]Doc, []string, error) {
	path, err := findData(opt, "corpora/sotu.jsonl.gz")
	if err != nil {
		return nil, nil, fmt.Errorf("corpus sotu: %w", err)
	}
	recs, err := records.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("corpus sotu: %w", err)
	}
	var docs []Doc
	for i, r := range recs {
		text, err := r.String("text")
		if err != nil {
			return nil, nil, fmt.Errorf("corpus sotu: %s record %d: %w", path, i+1, err)
		}
		docs = append(docs, Doc{"sotu", text})
	}
	return docs, []string{path}, nil
}

func findData(opt tasks.LoadOptions, rel string) (string, error) {
	roots := opt.Roots
	if roots == nil {
		roots = paths.Data()
	}
	for _, r := range roots {
		p := r + string(os.PathSeparator) + rel
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in the data folders %v", rel, roots)
}

// Stats count what Load kept and dropped, per corpus, and name the files read.
type Stats struct {
	Docs, Bytes, Contaminated map[string]int
	Contained                 map[string]int // dropped: found verbatim inside another document of the corpus
	Files                     []string       // data files read, sorted, including those of the test splits
}

// Load reads the named corpora. With decontaminate set, documents sharing
// text with any registered task's test split are dropped (see Filter).
func Load(ctx context.Context, names []string, opt tasks.LoadOptions, decontaminate bool) ([]Doc, Stats, error) {
	st := Stats{Docs: map[string]int{}, Bytes: map[string]int{}, Contaminated: map[string]int{}, Contained: map[string]int{}}
	var filter *Filter
	if decontaminate {
		var err error
		var files []string
		if filter, files, err = ProtectTestSplits(ctx, opt); err != nil {
			return nil, st, err
		}
		st.Files = append(st.Files, files...)
	}
	var out []Doc
	for _, n := range names {
		c, err := Get(n)
		if err != nil {
			return nil, st, err
		}
		docs, files, err := c.load(ctx, opt)
		if err != nil {
			return nil, st, err
		}
		st.Files = append(st.Files, files...)
		kept := DropContained(docs)
		st.Contained[n] = len(docs) - len(kept)
		for _, d := range kept {
			if filter != nil && !c.Unfiltered && filter.Contaminated(d.Text) {
				st.Contaminated[n]++
				continue
			}
			out = append(out, d)
			st.Docs[n]++
			st.Bytes[n] += len(d.Text)
		}
	}
	sort.Strings(st.Files)
	st.Files = slices.Compact(st.Files)
	return out, st, nil
}

// DropContained removes, within one corpus, the documents whose text
// appears verbatim inside another document (and all but the first of exact
// duplicates). SST-2's training pool is the clearest case: 88% of its
// phrases are pieces of its longer phrases, so without this most held-out
// documents would have been read in training, and memorising models (an
// n-gram table) would look better than they are.
func DropContained(docs []Doc) []Doc {
	seen := map[string]bool{}
	var uniq []Doc
	for _, d := range docs {
		if !seen[d.Text] {
			seen[d.Text] = true
			uniq = append(uniq, d)
		}
	}
	// One suffix array over every text, separated by a byte no text holds:
	// a text found more than once occurs inside another.
	var buf []byte
	for _, d := range uniq {
		buf = append(append(buf, d.Text...), 0)
	}
	index := suffixarray.New(buf)
	var out []Doc
	for _, d := range uniq {
		if d.Text == "" || strings.IndexByte(d.Text, 0) >= 0 || len(index.Lookup([]byte(d.Text), 2)) < 2 {
			out = append(out, d)
		}
	}
	return out
}

// NGram is the length, in words, of the spans compared by Filter.
const NGram = 13

// MinShort is the fewest words a protected text needs to count.
const MinShort = 4

// Filter finds documents that share text with a set of protected texts: a
// document is contaminated if it shares any run of NGram words (lowercased,
// punctuation split off) with a protected text, or if a protected text of
// MinShort to NGram−1 words appears in it as a whole. Texts of fewer than
// MinShort words ("a mess .") are common phrases, not evidence of a leak.
type Filter struct {
	grams map[uint64]bool
	short map[int]map[uint64]bool // word count → hashes of short texts
}

// NewFilter protects texts.
func NewFilter(texts []string) *Filter {
	f := &Filter{grams: map[uint64]bool{}, short: map[int]map[uint64]bool{}}
	for _, t := range texts {
		w := words(t)
		if len(w) < MinShort {
			continue
		}
		if len(w) < NGram {
			if f.short[len(w)] == nil {
				f.short[len(w)] = map[uint64]bool{}
			}
			f.short[len(w)][hashWords(w)] = true
			continue
		}
		for i := 0; i+NGram <= len(w); i++ {
			f.grams[hashWords(w[i:i+NGram])] = true
		}
	}
	return f
}

// Contaminated tells whether text shares protected text.
func (f *Filter) Contaminated(text string) bool {
	w := words(text)
	for i := 0; i+NGram <= len(w); i++ {
		if f.grams[hashWords(w[i:i+NGram])] {
			return true
		}
	}
	for n, set := range f.short {
		for i := 0; i+n <= len(w); i++ {
			if set[hashWords(w[i:i+n])] {
				return true
			}
		}
	}
	return false
}

// ProtectTestSplits protects the test split of every registered task; it
// returns the files it read.
func ProtectTestSplits(ctx context.Context, opt tasks.LoadOptions) (*Filter, []string, error) {
	var texts, files []string
	for _, n := range tasks.Names() {
		d, err := tasks.Load(ctx, n, opt)
		if err != nil {
			return nil, nil, fmt.Errorf("decontamination: %w", err)
		}
		files = append(files, d.Files...)
		for _, e := range d.Test {
			if e.Text != "" {
				texts = append(texts, e.Text)
			}
			texts = append(texts, e.Candidates...)
		}
	}
	return NewFilter(texts), files, nil
}

// words lowercases text and splits it into words and punctuation marks.
func words(text string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur.WriteRune(r)
		case unicode.IsSpace(r):
			flush()
		default:
			flush()
			out = append(out, string(r))
		}
	}
	flush()
	return out
}

func hashWords(w []string) uint64 {
	h := fnv.New64a()
	for _, s := range w {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

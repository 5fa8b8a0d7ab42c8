package corpus

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/chess"
	"github.com/w2s-lab/w2s/w2s/internal/datatest"

	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

func TestFilter(t *testing.T) {
	long := "the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat"
	f := NewFilter([]string{long, "A truly awful film.", "ok then"})
	cases := map[string]bool{
		"Intro. The QUICK brown fox jumps over the lazy dog, while the cat sleeps on the mat.": false, // a different span
		"Intro: the quick brown fox jumps over the lazy dog while the cat sleeps on it":        true,  // 13 shared words
		"I thought it was a truly awful film. Avoid.":                                          true,  // short protected text inside
		"A truly awful, awful film.":                                                           false,
		"ok then, see you":                                                                     false, // too short to count
	}
	for text, want := range cases {
		if got := f.Contaminated(text); got != want {
			t.Errorf("Contaminated(%q) = %v, want %v", text, got, want)
		}
	}
	if _, err := Get("wikipedia"); err == nil || !strings.Contains(err.Error(), "reviews") {
		t.Errorf("unknown corpus: %v", err)
	}
}

// TestNoTestTextInPretrainingCorpus loads every corpus decontaminated from
// the real data and checks, by brute force on a sample of every task's test
// texts, that none appears inside a kept document.
func TestNoTestTextInPretrainingCorpus(t *testing.T) {
	testgate.Integration(t, "loads every dataset")
	datatest.Require(t)
	ctx := context.Background()
	opt := tasks.LoadOptions{NoDownload: true}
	docs, st, err := Load(ctx, Names(), opt, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kept %v, dropped as contaminated %v", st.Docs, st.Contaminated)
	var all strings.Builder
	for _, d := range docs {
		if c, _ := Get(d.Source); c.Unfiltered {
			continue // not natural language, protected by its own means (TestChessGames)
		}
		all.WriteString(strings.Join(words(d.Text), " "))
		all.WriteString(" \x00 ")
	}
	text := all.String()
	r := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for _, name := range tasks.Names() {
		d, err := tasks.Load(ctx, name, opt)
		if err != nil {
			t.Fatal(err)
		}
		for range 12 {
			e := d.Test[r.IntN(len(d.Test))]
			for _, s := range append([]string{e.Text}, e.Candidates...) {
				w := words(s)
				if len(w) < MinShort {
					continue
				}
				checked++
				if strings.Contains(text, " "+strings.Join(w, " ")+" ") || strings.HasPrefix(text, strings.Join(w, " ")+" ") {
					t.Errorf("test text of %s appears in the pretraining corpus: %.80q", name, s)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d test texts checked", checked)
	}
}

func TestDropContained(t *testing.T) {
	docs := []Doc{{"r", "a stirring , funny and finally transporting re-imagining"}, {"r", "funny and finally"},
		{"r", "transporting"}, {"r", "an unrelated sentence"}, {"r", "an unrelated sentence"}, {"r", "stirring , funny and"}}
	got := DropContained(docs)
	var texts []string
	for _, d := range got {
		texts = append(texts, d.Text)
	}
	want := []string{"a stirring , funny and finally transporting re-imagining", "an unrelated sentence"}
	if !slices.Equal(texts, want) {
		t.Errorf("kept %q, want %q", texts, want)
	}
}

// TestChessGames reads the chess library's Lichess games as the puzzles'
// text: every game but the 3 a puzzle comes from and the 26 without moves
// (9,971), less 38 whose text lies inside another's; each line a position,
// then a move legal in it.
func TestChessGames(t *testing.T) {
	testgate.Integration(t, "parses 862,000 moves (30 s)")
	datatest.Require(t)
	docs, st, err := Load(context.Background(), []string{"chess_games"}, tasks.LoadOptions{NoDownload: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 9933 || st.Contained["chess_games"] != 38 {
		t.Errorf("%d games, %d inside another; want 9,933 and 38", len(docs), st.Contained["chess_games"])
	}
	for i := 0; i < len(docs); i += 250 {
		for k, line := range strings.Split(docs[i].Text, "\n") {
			pos, move, _ := strings.Cut(line, " move ")
			fen, _, err := chess.TextFEN(pos + " move")
			if err != nil || !chess.Legal(fen, move) {
				t.Fatalf("game %d line %d: %q is not a position and a legal move", i, k+1, line)
			}
		}
	}
}

package chess

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	chesslib "github.com/corentings/chess/v2"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

// sample is how many puzzles the real-data tests check.
const sample = 2000

func puzzlesFile(t *testing.T) string {
	return filepath.Join(datatest.Require(t), File)
}

// TestPuzzlesSample checks a sample of the real puzzles: the opponent's
// move hands the move to the other side, the target is a legal move of
// the side to move, and the whole solution replays.
func TestPuzzlesSample(t *testing.T) {
	d, err := LoadFirst(puzzlesFile(t), sample)
	if err != nil {
		t.Fatal(err)
	}
	if d.Records != sample || len(d.Puzzles)+len(d.Duplicates) != sample {
		t.Fatalf("%d records, %d puzzles, %d duplicates: want %d records", d.Records, len(d.Puzzles), len(d.Duplicates), sample)
	}
	legal := 0
	for _, p := range d.Puzzles {
		before := strings.Fields(p.Before)[1]
		if p.ToMove == before || p.ToMove != strings.Fields(p.FEN)[1] {
			t.Errorf("%s: %s to move before the opponent's move, %s after it, FEN %q", p.ID, before, p.ToMove, p.FEN)
		}
		pos, err := Parse(p.FEN)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		from := pos.Board().Piece(chesslib.Square((p.Target[0] - 'a') + (p.Target[1]-'1')*8))
		if from == chesslib.NoPiece || from.Color().String() != p.ToMove {
			t.Errorf("%s: target %s moves %v, not a piece of the side to move (%s)", p.ID, p.Target, from, p.ToMove)
		}
		moves, err := p.LegalMoves()
		if err != nil {
			t.Fatal(err)
		}
		if Legal(p.FEN, p.Target) && slices.Contains(moves, p.Target) {
			legal++
		}
		if err := p.Replay(); err != nil {
			t.Error(err)
		}
		if correct, ok := p.Score(" " + strings.ToUpper(p.Target) + "\n"); !correct || !ok {
			t.Errorf("%s: the target scores correct=%v legal=%v", p.ID, correct, ok)
		}
		if !slices.Contains(Bands, Band(p.Rating)) || len(p.Game) != 8 || p.Text() != Text(p.FEN, p.Last) {
			t.Errorf("%s: band %q, game %q", p.ID, Band(p.Rating), p.Game)
		}
	}
	if legal != len(d.Puzzles) {
		t.Errorf("the target is legal in %d of %d puzzles", legal, len(d.Puzzles))
	}
	// The first record, by hand: 1qr2rk1/… b, Moves "b8c7 b1b7 …".
	p := d.Puzzles[0]
	want := Puzzle{ID: "001XA", Game: "KZRiN695", Rating: 1656, Last: "b8c7", Target: "b1b7", ToMove: "w",
		FEN: "2r2rk1/pbq1bppp/8/8/2p1N3/P1Bn2P1/2Q2PBP/1R3RK1 w - - 4 24"}
	if p.ID != want.ID || p.Game != want.Game || p.Rating != want.Rating || p.Last != want.Last || p.Target != want.Target || p.ToMove != want.ToMove || p.FEN != want.FEN {
		t.Errorf("first puzzle %+v, want %+v", p, want)
	}
	if !slices.Equal(p.Line, strings.Fields("b1b7 c7b7 e4f6 e7f6 g2b7")) || !slices.Contains(p.Themes, "discoveredAttack") {
		t.Errorf("first puzzle's line %v, themes %v", p.Line, p.Themes)
	}
}

// TestPuzzlesAll loads the whole file: every puzzle loads, the repeated
// positions are left out, and the test split takes about its share.
func TestPuzzlesAll(t *testing.T) {
	path := puzzlesFile(t)
	testgate.Integration(t, "reads all 95,575 puzzles (20 s)")
	d, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d.Records != 95575 || len(d.Puzzles) != 95536 || len(d.Duplicates) != 39 {
		t.Errorf("%d records, %d puzzles, %d duplicates: want 95575, 95536, 39", d.Records, len(d.Puzzles), len(d.Duplicates))
	}
	for _, dup := range d.Duplicates {
		if !dup.SameSolution {
			t.Errorf("duplicate %s of %s has another target", dup.ID, dup.Of)
		}
	}
	pool, test := Split(d.Puzzles, 0.2)
	checkSplit(t, pool, test, 0.2)
	bands := map[string]int{}
	for _, p := range d.Puzzles {
		bands[Band(p.Rating)]++
	}
	t.Logf("bands %v; pool %d, test %d", bands, len(pool), len(test))
	if bands[Bands[3]] == 0 || bands[Bands[0]] == 0 {
		t.Errorf("bands %v: an end band is empty", bands)
	}
}

// checkSplit: no game on both sides, every puzzle on one, the test side
// near its share.
func checkSplit(t *testing.T, pool, test []Puzzle, share float64) {
	t.Helper()
	side := map[string]string{}
	for name, set := range map[string][]Puzzle{"pool": pool, "test": test} {
		for _, p := range set {
			if s, ok := side[p.Game]; ok && s != name {
				t.Fatalf("game %s is in the pool and in the test set", p.Game)
			}
			side[p.Game] = name
		}
	}
	games := map[string]int{}
	for _, p := range test {
		games[p.Game]++
	}
	frac := float64(len(games)) / float64(len(side))
	if frac < share-0.02 || frac > share+0.02 {
		t.Errorf("%.3f of the games in the test set, want about %.2f", frac, share)
	}
}

func TestSplitKeepsGamesTogether(t *testing.T) {
	var ps []Puzzle
	for g := range 500 {
		for k := range 1 + g%4 {
			ps = append(ps, Puzzle{ID: fmt.Sprint(g, "-", k), Game: fmt.Sprintf("game%04d", g)})
		}
	}
	pool, test := Split(ps, 0.25)
	if len(pool)+len(test) != len(ps) {
		t.Fatalf("%d + %d puzzles from %d", len(pool), len(test), len(ps))
	}
	checkSplit(t, pool, test, 0.25)
	// Stable: the same split from the puzzles in another order.
	rev := slices.Clone(ps)
	slices.Reverse(rev)
	_, test2 := Split(rev, 0.25)
	slices.Reverse(test2)
	if !slices.EqualFunc(test, test2, func(a, b Puzzle) bool { return a.ID == b.ID }) {
		t.Error("the test set depends on the puzzles' order")
	}
	if _, all := Split(ps, 1); len(all) != len(ps) {
		t.Errorf("share 1 puts %d of %d puzzles in the test set", len(all), len(ps))
	}
}

// good is a record of the file as stored (puzzle 001wr).
const good = `{"PuzzleId":"001wr","FEN":"r4rk1/p3ppbp/Pp1q1np1/3PpbB1/2B5/2N5/1PPQ1PPP/3RR1K1 w - - 4 18","Moves":"f2f3 d6c5 g1h1 c5c4","Rating":946,"Popularity":null,"NbPlays":null,"Themes":"advantage fork master masterVsMaster middlegame short","GameUrl":"https://lichess.org/KnJ2mojX#35"}`

func TestBadRecordsNameTheLine(t *testing.T) {
	rec := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	for _, c := range []struct{ name, line, want string }{
		{"illegal opponent move", rec(`"f2f3 `, `"f2f5 `), `"f2f5" is not a legal move`},
		{"illegal target", rec(` d6c5 `, ` d6h2 `), `first solution move "d6h2" is not a legal move`},
		{"one move", rec(`f2f3 d6c5 g1h1 c5c4`, `f2f3`), "at least one solution move"},
		{"SAN move", rec(`g1h1`, `Kh1`), `"Kh1", is not in UCI`},
		{"bad FEN", rec(`3RR1K1 w`, `3RR1K1 x`), "FEN"},
		{"no white king", rec(`3RR1K1 w`, `3RR3 w`), "one king of each colour"},
		{"short FEN", rec(` w - - 4 18`, ``), "6 fields"},
		{"rating a string", rec(`"Rating":946`, `"Rating":"946"`), `field "Rating"`},
		{"no game", rec(`"GameUrl":"https://lichess.org/KnJ2mojX#35"`, `"GameUrl":"https://example.org/x"`), "not a Lichess game address"},
		{"no FEN", rec(`"FEN":`, `"Fen":`), `missing field "FEN"`},
		{"not JSON", `{"PuzzleId":`, "malformed JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.jsonl")
			second := rec(`001wr`, `001ws`)
			if err := os.WriteFile(path, []byte(good+"\n"+second+"\n"+c.line+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), path+" line 3") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v: want %q at %s line 3", err, c.want, path)
			}
		})
	}
	// The good records alone load, and the repeated one is a duplicate.
	path := filepath.Join(t.TempDir(), "good.jsonl")
	os.WriteFile(path, []byte(good+"\n"+strings.Replace(good, "001wr", "001ws", 1)+"\n"), 0o644)
	d, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Puzzles) != 1 || len(d.Duplicates) != 1 || d.Duplicates[0] != (Duplicate{ID: "001ws", Of: "001wr", SameSolution: true}) {
		t.Errorf("puzzles %v, duplicates %v", d.Puzzles, d.Duplicates)
	}
	if p := d.Puzzles[0]; p.Target != "d6c5" || p.ToMove != "b" || p.Game != "KnJ2mojX" || Band(p.Rating) != "<1000" {
		t.Errorf("puzzle %+v", p)
	}
}

func TestNormalize(t *testing.T) {
	const start = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"
	const promo = "8/4P3/8/8/8/k7/8/4K2R w K - 0 1" // white pawn on e7, castling king-side allowed
	for _, c := range []struct {
		fen, generated, want string
		ok                   bool
	}{
		{start, "e2e4", "e2e4", true},
		{start, "  E2E4 e7e5\n", "e2e4", true}, // the first word, any case
		{start, "e4", "e2e4", true},            // SAN
		{start, "Nf3", "g1f3", true},
		{start, "e2e5", "", false},
		{start, "Nf6", "", false}, // a black move, white to move
		{start, "", "", false},
		{start, "hello", "", false},
		{promo, "e7e8q", "e7e8q", true},
		{promo, "e7e8=Q", "e7e8q", true},
		{promo, "e7e8N", "e7e8n", true},
		{promo, "e8=Q+", "e7e8q", true},
		{promo, "e7e8", "", false}, // a promotion must name its piece
		{promo, "O-O", "e1g1", true},
		{promo, "e1g1", "e1g1", true},
		{"rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq -", "d2d4", "d2d4", true}, // no move counters, as Text writes
	} {
		got, ok, err := Normalize(c.fen, c.generated)
		if err != nil || got != c.want || ok != c.ok {
			t.Errorf("Normalize(%q, %q) = %q, %v, %v; want %q, %v", c.fen, c.generated, got, ok, err, c.want, c.ok)
		}
		if Legal(c.fen, c.generated) != c.ok {
			t.Errorf("Legal(%q, %q) = %v", c.fen, c.generated, !c.ok)
		}
	}
	for _, bad := range []string{"", "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR", "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR x KQkq - 0 1", "8/8/8/8/8/8/8/8 w - - 0 1"} {
		if _, _, err := Normalize(bad, "e2e4"); err == nil {
			t.Errorf("FEN %q: no error", bad)
		}
		if Legal(bad, "e2e4") {
			t.Errorf("FEN %q has a legal move", bad)
		}
		if _, err := LegalMoves(bad); err == nil {
			t.Errorf("LegalMoves(%q): no error", bad)
		}
	}
	if moves, _ := LegalMoves(start); len(moves) != 20 || !slices.Contains(moves, "g1f3") {
		t.Errorf("%d legal moves from the start: %v", len(moves), moves)
	}
}

func TestScore(t *testing.T) {
	p := Puzzle{FEN: "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", Target: "e2e4"}
	for gen, want := range map[string][2]bool{"e2e4": {true, true}, "e4": {true, true}, "d2d4": {false, true}, "e2e5": {false, false}, "": {false, false}} {
		if c, l := p.Score(gen); c != want[0] || l != want[1] {
			t.Errorf("Score(%q) = correct %v, legal %v; want %v", gen, c, l, want)
		}
	}
}

func TestBand(t *testing.T) {
	for rating, want := range map[int]string{400: "<1000", 999: "<1000", 1000: "1000–1499", 1499: "1000–1499", 1500: "1500–1999", 1999: "1500–1999", 2000: "≥2000", 2485: "≥2000"} {
		if got := Band(rating); got != want {
			t.Errorf("Band(%d) = %q, want %q", rating, got, want)
		}
	}
}

func TestLichessID(t *testing.T) {
	for url, want := range map[string]string{
		"https://lichess.org/KZRiN695/black#46": "KZRiN695",
		"https://lichess.org/KnJ2mojX#35":       "KnJ2mojX",
		"https://lichess.org/ijBX4aWv":          "ijBX4aWv",
		"https://lichess.org/ijBX4aWvAbCd":      "ijBX4aWv", // a player's 12-character link
		"https://lichess.org/study/abcdefgh":    "",
		"https://lichess.org/abc":               "",
		"?":                                     "",
	} {
		id, ok := LichessID(url)
		if id != want || ok != (want != "") {
			t.Errorf("LichessID(%q) = %q, %v; want %q", url, id, ok, want)
		}
	}
}

func ExampleText() {
	fen := "r4rk1/p3ppbp/Pp1q1np1/3PpbB1/2B5/2N2P2/1PPQ2PP/3RR1K1 b - - 0 18"
	fmt.Println(Text(fen, "f2f3") + Answer("d6c5"))
	// Output: r . . . . r k . p . . . p p b p P p . q . n p . . . . P p b B . . . B . . . . . . . N . . P . . . P P Q . . P P . . . R R . K . b - - last f2f3 move d6c5
}

func ExampleNormalize() {
	fen := "r4rk1/p3ppbp/Pp1q1np1/3PpbB1/2B5/2N2P2/1PPQ2PP/3RR1K1 b - - 0 18"
	for _, generated := range []string{"d6c5", "Qc5+", "Qh2", "d6c5 g1h1"} {
		move, ok, _ := Normalize(fen, generated)
		fmt.Printf("%q → %q %v\n", generated, move, ok)
	}
	// Output:
	// "d6c5" → "d6c5" true
	// "Qc5+" → "d6c5" true
	// "Qh2" → "" false
	// "d6c5 g1h1" → "d6c5" true
}

// TestTextRoundTrip: TextFEN reads back the FEN and last move of Text, on
// every puzzle of the sample and the start; a placement that is not a
// board is kept as written, and text that is no position is an error.
func TestTextRoundTrip(t *testing.T) {
	cases := [][2]string{{"rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", ""},
		{"r4rk1/p3ppbp/Pp1q1np1/3PpbB1/2B5/2N2P2/1PPQ2PP/3RR1K1 b - - 0 19", "f2f3"}, {"4k3/8/8/8/4P3/8/8/4K3 b - e3", "e2e4"}}
	for _, c := range cases {
		text := Text(c[0], c[1])
		if n := len(strings.Fields(text)); n != 70 {
			t.Errorf("%q: %d words, want 70", text, n)
		}
		fen, last, err := TextFEN(text)
		want := strings.Join(strings.Fields(c[0])[:4], " ")
		wantLast := map[bool]string{true: "-", false: c[1]}[c[1] == ""]
		if err != nil || fen != want || last != wantLast {
			t.Errorf("TextFEN(Text(%q, %q)) = %q, %q, %v", c[0], c[1], fen, last, err)
		}
	}
	if got := Text("8/8/8 w - -", "e2e4"); got != "8/8/8 w - - last e2e4 move" {
		t.Errorf("a placement of 3 ranks: %q", got)
	}
	for _, bad := range []string{"e2e4 move", Text("8/8/8 w - -", "e2e4"), strings.Replace(Text(cases[0][0], ""), "r", "x", 1)} {
		if _, _, err := TextFEN(bad); err == nil {
			t.Errorf("TextFEN(%q) read a position", bad)
		}
	}
}

// TestNormalizeUCIShapedIsUCIOnly: an answer shaped like UCI is read as
// UCI only. The library's SAN reader takes "d5e4" for e5e4 when that pawn
// move is the only one to e4, which scored an illegal answer as the
// solution of puzzle ozDQ3 (black pawns on d5 and e5, e4 empty).
func TestNormalizeUCIShapedIsUCIOnly(t *testing.T) {
	fen := "4r3/pppk4/8/3pp3/8/8/PPP5/4K3 b - - 0 1"
	if _, ok, err := Normalize(fen, "e5e4"); !ok || err != nil {
		t.Fatalf("e5e4 is legal: %v %v", ok, err)
	}
	if m, ok, _ := Normalize(fen, " d5e4"); ok {
		t.Errorf("d5e4 (no piece to capture on e4) read as %s", m)
	}
	if m, ok, _ := Normalize(fen, "Re1+"); ok || m != "" {
		t.Errorf("Re1+ is not legal here (the rook is black's on e8; e1 holds the white king): %s %v", m, ok)
	}
	if m, ok, _ := Normalize(fen, "e4"); !ok || m != "e5e4" {
		t.Errorf("SAN e4: %q %v, want e5e4", m, ok)
	}
}

package chess

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	chesslib "github.com/corentings/chess/v2"

	"github.com/w2s-lab/w2s/w2s/testgate"
)

// games holds a puzzle's game (excluded), a game with comments, a
// variation and annotations, a game from outside Lichess, one from a
// set-up position and one without moves.
const games = `[Event "a puzzle's game"]
[Site "https://lichess.org/abcdEFGH"]
[Result "1-0"]

1. e4 e5 2. Qh5 Nc6 3. Bc4 Nf6 4. Qxf7# 1-0

[Event "annotated"]
[Site "https://lichess.org/ZZZZzzzz"]
[Result "1/2-1/2"]

1. e4 {the king's pawn} (1. d4 d5) 1... e5 2. Nf3?! Nc6 $1 3. Bc4 Bc5 4. O-O Nf6 1/2-1/2

[Event "over the board"]
[Site "Wijk aan Zee"]
[Result "*"]

1. d4 *

[Event "set up"]
[Site "https://lichess.org/setUPpos"]
[SetUp "1"]
[FEN "4k3/8/8/8/8/8/4P3/4K3 w - - 0 1"]
[Result "*"]

1. e4 Kd7 *

[Event "no moves"]
[Site "https://lichess.org/emptyEMP"]
[Result "*"]

*
`

func TestGameText(t *testing.T) {
	exclude := map[string]bool{"abcdEFGH": true, "notINpgn": true}
	var out bytes.Buffer
	st, err := GameText(strings.NewReader(games), "games.pgn", &out, Moves, exclude)
	if err != nil {
		t.Fatal(err)
	}
	want := "e2e4 e7e5 g1f3 b8c6 f1c4 f8c5 e1g1 g8f6\nd2d4\n"
	if out.String() != want {
		t.Errorf("moves:\n%s\nwant:\n%s", out.String(), want)
	}
	if (st != GameStats{Games: 5, Written: 2, Excluded: 1, NotLichess: 1, FromPosition: 1, Empty: 1, Moves: 9}) {
		t.Errorf("moves: %+v", st)
	}

	out.Reset()
	st, err = GameText(strings.NewReader(games), "games.pgn", &out, Positions, exclude)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 11 || st.Written != 3 || st.Moves != 11 || st.Excluded != 1 {
		t.Fatalf("positions: %d lines, %+v:\n%s", len(lines), st, out.String())
	}
	for i, want := range map[int]string{
		0:  "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - last - move e2e4",
		1:  "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq e3 last e2e4 move e7e5",
		6:  "r1bqk1nr/pppp1ppp/2n5/2b1p3/2B1P3/5N2/PPPP1PPP/RNBQK2R w KQkq - last f8c5 move e1g1",
		7:  "r1bqk1nr/pppp1ppp/2n5/2b1p3/2B1P3/5N2/PPPP1PPP/RNBQ1RK1 b kq - last e1g1 move g8f6",
		8:  "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - last - move d2d4",
		9:  "4k3/8/8/8/8/8/4P3/4K3 w - - last - move e2e4",
		10: "4k3/8/8/8/4P3/8/8/4K3 b - e3 last e2e4 move e8d7",
	} {
		// Each line is Text of the position (FEN as the test reads it)
		// followed by the move played.
		fen, rest, _ := strings.Cut(want, " last ")
		last, move, _ := strings.Cut(rest, " move ")
		if w := Text(fen, last) + Answer(move); lines[i] != w {
			t.Errorf("positions line %d:\n%s\nwant\n%s", i+1, lines[i], w)
		}
	}
	// Without exclusions the puzzle's game is written.
	out.Reset()
	if st, _ := GameText(strings.NewReader(games), "games.pgn", &out, Moves, nil); st.Excluded != 0 || !strings.HasPrefix(out.String(), "e2e4 e7e5 d1h5 b8c6 f1c4 g8f6 h5f7\n") {
		t.Errorf("no exclusions: %+v\n%s", st, out.String())
	}
}

// TestEachGame: one text per written game, whose concatenation is
// GameText's output; an error of fn stops the reading.
func TestEachGame(t *testing.T) {
	exclude := map[string]bool{"abcdEFGH": true}
	for _, f := range []Format{Moves, Positions} {
		var texts []string
		st, err := EachGame(strings.NewReader(games), "games.pgn", f, exclude, func(text string) error {
			texts = append(texts, text)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := GameText(strings.NewReader(games), "games.pgn", &out, f, exclude); err != nil {
			t.Fatal(err)
		}
		if len(texts) != st.Written || strings.Join(texts, "") != out.String() {
			t.Errorf("%v: %d texts for %d games; joined\n%s\nwant\n%s", f, len(texts), st.Written, strings.Join(texts, ""), out.String())
		}
		for i, text := range texts {
			if !strings.HasSuffix(text, "\n") {
				t.Errorf("%v: game %d text does not end in a newline: %q", f, i+1, text)
			}
		}
	}
	stop := fmt.Errorf("enough")
	n := 0
	st, err := EachGame(strings.NewReader(games), "games.pgn", Positions, nil, func(string) error {
		n++
		return stop
	})
	if err != stop || n != 1 || st.Written != 0 {
		t.Errorf("stopped: error %v after %d calls, %+v", err, n, st)
	}
}

// TestPuzzleGames: the games of a puzzles file, and a bad GameUrl named
// with its file and line.
func TestPuzzleGames(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	writeFile(t, good, `{"PuzzleId":"a","GameUrl":"https://lichess.org/KZRiN695/black#46"}
{"PuzzleId":"b","GameUrl":"https://lichess.org/abcdEFGH#12"}
`)
	ids, err := PuzzleGames(good)
	if err != nil || len(ids) != 2 || !ids["KZRiN695"] || !ids["abcdEFGH"] {
		t.Errorf("PuzzleGames: %v, %v", ids, err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	writeFile(t, bad, `{"PuzzleId":"a","GameUrl":"https://lichess.org/KZRiN695/black#46"}
{"PuzzleId":"b","GameUrl":"https://example.org/x"}
`)
	if _, err := PuzzleGames(bad); err == nil || !strings.Contains(err.Error(), "bad.jsonl line 2: GameUrl") {
		t.Errorf("bad GameUrl: %v", err)
	}
	missing := filepath.Join(dir, "missing.jsonl")
	writeFile(t, missing, `{"PuzzleId":"a"}
`)
	if _, err := PuzzleGames(missing); err == nil || !strings.Contains(err.Error(), "missing.jsonl line 1") {
		t.Errorf("no GameUrl: %v", err)
	}
}

func TestGameTextBadGame(t *testing.T) {
	bad := games[:strings.Index(games, "[Event \"over")] + "[Event \"illegal\"]\n[Site \"https://lichess.org/badBADba\"]\n\n1. e4 e5 2. Ke3 *\n"
	_, err := GameText(strings.NewReader(bad), "bad.pgn", &bytes.Buffer{}, Moves, nil)
	if err == nil || !strings.Contains(err.Error(), `bad.pgn: game 3 (Site "https://lichess.org/badBADba")`) {
		t.Errorf("an illegal move: %v", err)
	}
	if _, err := GameText(strings.NewReader(games), "games.pgn", &bytes.Buffer{}, Format(7), nil); err == nil {
		t.Error("an unknown format")
	}
}

// puzzleGamesInFixture are the three games of the library's Lichess games
// that puzzles come from (BfFYU, m4C0L and c6qDO), found by matching every
// puzzle's GameUrl against the file's Site tags.
var puzzleGamesInFixture = []string{"ES9oddbJ", "RKEoBpyn", "EWcK3RWl"}

// TestLichessGames turns the chess library's 10,000 Lichess games into
// text, without the game the file starts with and without every game a
// puzzle comes from (all 95,575 puzzles' games with the data, else the
// three known to be there), and replays a sample of the lines.
func TestLichessGames(t *testing.T) {
	path, err := LichessGames()
	if err != nil {
		t.Skip(err)
	}
	testgate.Integration(t, "parses 862,000 moves (30 s)")
	exclude := map[string]bool{"ijBX4aWv": true} // the file's first game
	if dir := os.Getenv("W2S_DATA"); dir != "" {
		d, err := PuzzleGames(filepath.Join(dir, File))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range puzzleGamesInFixture {
			if !d[id] {
				t.Errorf("no puzzle comes from game %s", id)
			}
		}
		maps.Copy(exclude, d)
	} else {
		for _, id := range puzzleGamesInFixture {
			exclude[id] = true
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	st, err := GameText(f, path, &out, Moves, exclude)
	if err != nil {
		t.Fatal(err)
	}
	// The game named and the three puzzles' games are left out.
	if (st != GameStats{Games: 10000, Written: 9864, Excluded: 4, FromPosition: 106, Empty: 26, Moves: 854454}) {
		t.Errorf("%+v", st)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != st.Written || strings.HasPrefix(lines[0], "d2d4 g8f6 c1f4 e7e6") {
		t.Fatalf("%d lines for %d games, the first %.40q (the excluded game's starts d2d4 g8f6 c1f4 e7e6)", len(lines), st.Written, lines[0])
	}
	for i := 0; i < len(lines); i += 500 {
		pos := chesslib.StartingPosition()
		for k, m := range strings.Fields(lines[i]) {
			if pos, err = play(pos, m); err != nil {
				t.Fatalf("line %d move %d: %v", i+1, k+1, err)
			}
		}
	}
}

func TestLibraryVersionIsGoMod(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "\t"+Library+" "+LibraryVersion+"\n") {
		t.Errorf("go.mod does not require %s %s: update LibraryVersion", Library, LibraryVersion)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

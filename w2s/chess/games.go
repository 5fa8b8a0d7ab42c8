package chess

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	chesslib "github.com/corentings/chess/v2"

	"github.com/w2s-lab/w2s/w2s/records"
)

// Format is how GameText writes a game.
type Format int

const (
	// Moves writes one game per line: its moves in UCI, separated by
	// spaces ("e2e4 e7e5 g1f3 …"). Games that do not start from the
	// standard position are left out (their moves mean nothing without
	// the start).
	Moves Format = iota
	// Positions writes one line per move of a game: Text of the position
	// before the move (with the move before it as last), then Answer of
	// the move played. It is the puzzles' format, so a model pretrained on
	// it has read positions the way it will read a puzzle.
	Positions
)

func (f Format) String() string {
	switch f {
	case Moves:
		return "moves"
	case Positions:
		return "positions"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// GameStats counts what GameText read and wrote.
type GameStats struct {
	Games int // games read
	// Written games are those whose text was written.
	Written int
	// Excluded games were left out because a puzzle comes from them.
	Excluded int
	// NotLichess games have no Site tag holding a Lichess game address:
	// they cannot be matched against the puzzles, and are written.
	NotLichess int
	// FromPosition games start from a set-up position (a FEN tag); the
	// Moves format leaves them out.
	FromPosition int
	Empty        int // games without moves, left out
	Moves        int // moves written
}

func (s GameStats) String() string {
	return fmt.Sprintf("%d games read, %d written (%d moves); left out: %d a puzzle comes from, %d from a set-up position, %d without moves; %d without a Lichess address could not be matched",
		s.Games, s.Written, s.Moves, s.Excluded, s.FromPosition, s.Empty, s.NotLichess)
}

// GameIDs is the set of the Lichess games the puzzles come from, for
// GameText to exclude.
func GameIDs(puzzles []Puzzle) map[string]bool {
	ids := make(map[string]bool, len(puzzles))
	for _, p := range puzzles {
		ids[p.Game] = true
	}
	return ids
}

// GameText reads the PGN games of r (name is used in errors) and writes
// their main lines' text to w in format f, one line per game or per move
// (see Format): EachGame's texts, one after the other.
func GameText(r io.Reader, name string, w io.Writer, f Format, exclude map[string]bool) (GameStats, error) {
	bw := bufio.NewWriter(w)
	st, err := EachGame(r, name, f, exclude, func(text string) error {
		_, err := bw.WriteString(text)
		return err
	})
	if err != nil {
		return st, err
	}
	return st, bw.Flush()
}

// EachGame reads the PGN games of r (name is used in errors) and calls fn
// with the text of each game's main line in format f (see Format; every
// line ends in a newline), leaving out every game whose Site tag is the
// Lichess address of a game in exclude (Lichess ids, as GameIDs or
// PuzzleGames give; the tag "https://lichess.org/KZRiN695" matches the
// puzzle whose GameUrl is "https://lichess.org/KZRiN695/black#46"). Only
// the game is matched: a puzzle's position reached in another game is not
// looked for. Comments, annotations and variations are dropped. A game
// that does not parse is an error naming it by its number in the file and
// its Site tag; an error from fn stops the reading and is returned.
func EachGame(r io.Reader, name string, f Format, exclude map[string]bool, fn func(text string) error) (GameStats, error) {
	var st GameStats
	if f != Moves && f != Positions {
		return st, fmt.Errorf("chess: unknown game text format %v", f)
	}
	sc := chesslib.NewScanner(r)
	var b strings.Builder
	for {
		// ScanGame, unlike HasNext, reports read errors (such as a game
		// longer than the scanner's buffer) instead of ending quietly.
		raw, err := sc.ScanGame()
		if errors.Is(err, io.EOF) {
			break
		}
		st.Games++
		if err != nil {
			return st, fmt.Errorf("%s: game %d: %w", name, st.Games, err)
		}
		g, err := parseGame(raw)
		if err != nil {
			site := "none"
			if m := siteTag.FindStringSubmatch(raw.Raw); m != nil {
				site = fmt.Sprintf("%q", m[1])
			}
			return st, fmt.Errorf("%s: game %d (Site %s): %w", name, st.Games, site, err)
		}
		site := g.GetTagPair("Site")
		id, lichess := LichessID(site)
		switch {
		case !lichess:
			st.NotLichess++
		case exclude[id]:
			st.Excluded++
			continue
		}
		moves := g.Moves()
		if len(moves) == 0 {
			st.Empty++
			continue
		}
		setUp := g.GetTagPair("FEN") != ""
		if setUp {
			st.FromPosition++
			if f == Moves {
				continue
			}
		}
		b.Reset()
		if err := writeGame(&b, g, moves, f); err != nil {
			return st, fmt.Errorf("%s: game %d (Site %q): %w", name, st.Games, site, err)
		}
		if err := fn(b.String()); err != nil {
			return st, err
		}
		st.Written++
		st.Moves += len(moves)
	}
	return st, nil
}

// PuzzleGames is the set of the Lichess games the puzzles of path (the
// puzzles' file) come from, read from their GameUrl alone: quicker than
// Load, for leaving those games out of pretraining text. A record without
// a Lichess GameUrl is an error naming the file and line.
func PuzzleGames(path string) (map[string]bool, error) {
	ids := map[string]bool{}
	n := 0
	err := records.Each(path, func(r records.Record) error {
		n++
		url, err := r.String("GameUrl")
		if err != nil {
			return fmt.Errorf("%s line %d: %w", path, n, err)
		}
		id, ok := LichessID(url)
		if !ok {
			return fmt.Errorf("%s line %d: GameUrl %q is not a Lichess game address", path, n, url)
		}
		ids[id] = true
		return nil
	})
	return ids, err
}

// siteTag finds a game's Site tag in its PGN text.
var siteTag = regexp.MustCompile(`(?m)^\s*\[Site\s+"([^"]*)"\s*\]`)

// parseGame parses one game's PGN text.
func parseGame(raw *chesslib.GameScanned) (*chesslib.Game, error) {
	tokens, err := chesslib.TokenizeGame(raw)
	if err != nil {
		return nil, err
	}
	return chesslib.NewParser(tokens).Parse()
}

// writeGame writes one game's text.
func writeGame(w io.Writer, g *chesslib.Game, moves []*chesslib.Move, f Format) error {
	uci := make([]string, len(moves))
	for i, m := range moves {
		uci[i] = uciNotation.Encode(nil, m)
	}
	if f == Moves {
		_, err := fmt.Fprintln(w, strings.Join(uci, " "))
		return err
	}
	positions := g.Positions() // the start, then the position after each move
	if len(positions) != len(moves)+1 {
		return fmt.Errorf("%d positions for %d moves", len(positions), len(moves))
	}
	last := ""
	for i, m := range uci {
		if _, err := fmt.Fprintln(w, Text(positions[i].String(), last)+Answer(m)); err != nil {
			return err
		}
		last = m
	}
	return nil
}

// Library is the chess library's module and the version go.mod requires
// (a test keeps the two equal: test binaries carry no module versions to
// read it from).
const Library, LibraryVersion = "github.com/corentings/chess/v2", "v2.3.2"

// LichessGames is the path of the 10,000 Lichess games (all of them
// EricRosen's, mostly bullet and ultrabullet, 2022–2024) that the chess
// library's module ships as fixtures/pgns/big_big.pgn, in the module cache
// ($GOMODCACHE, else $GOPATH/pkg/mod, else ~/go/pkg/mod) at
// LibraryVersion. `go mod download` puts it there.
func LichessGames() (string, error) {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("chess: no GOMODCACHE, GOPATH or home folder to find the module cache in")
			}
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
	}
	path := filepath.Join(cache, filepath.FromSlash(Library)+"@"+LibraryVersion, "fixtures", "pgns", "big_big.pgn")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("chess: the library's Lichess games: %w (go mod download %s@%s puts them there)", err, Library, LibraryVersion)
	}
	return path, nil
}

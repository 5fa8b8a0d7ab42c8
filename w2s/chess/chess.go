// Package chess holds the data of the chess puzzles task, the paper's third
// domain: Lichess puzzles read from chess_puzzles/all.jsonl.gz in the data
// folder, each turned into the position to solve (the stored FEN with the
// opponent's move played), the side to move and the target (the first
// solution move, in UCI); the text a language model reads for a position;
// the legality and normalisation of the moves a model generates, for
// scoring; rating bands for reporting; a split by game; and game text from
// PGN for pretraining a chess ladder, with the puzzles' games kept out.
//
// Rules, FEN and notation come from github.com/corentings/chess/v2: this
// package generates no moves of its own.
package chess

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	chesslib "github.com/corentings/chess/v2"

	"github.com/w2s-lab/w2s/w2s/records"
)

// File is the puzzles' file, relative to the data folder ($W2S_DATA).
const File = "chess_puzzles/all.jsonl.gz"

// Puzzle is one Lichess puzzle, ready to solve.
type Puzzle struct {
	ID     string // Lichess PuzzleId
	Game   string // Lichess game id, from GameUrl: the game the puzzle comes from
	Rating int    // Lichess puzzle rating (Glicko-2)
	Themes []string
	// Before is the stored FEN: the position before the opponent's move.
	Before string
	// Last is the opponent's move (UCI), played on Before.
	Last string
	// FEN is the position to solve: Before after Last.
	FEN string
	// ToMove is the side to move in FEN, the solver: "w" or "b".
	ToMove string
	// Target is the first solution move (UCI), the task's answer.
	Target string
	// Line is the whole solution, Target first, then the opponent's
	// replies and the solver's moves alternating (UCI).
	Line []string
}

// Text is what a language model reads for the puzzle (see Text).
func (p Puzzle) Text() string { return Text(p.FEN, p.Last) }

// LegalMoves are the legal moves in the position to solve, in UCI, in the
// chess library's order (an error only for a puzzle not made by Load
// whose FEN does not parse).
func (p Puzzle) LegalMoves() ([]string, error) { return LegalMoves(p.FEN) }

// Score reads the move a model generated for the puzzle (see Normalize):
// legal says whether it is a legal move in the position, correct whether
// it is the target.
func (p Puzzle) Score(generated string) (correct, legal bool) {
	move, ok, err := Normalize(p.FEN, generated)
	if err != nil || !ok {
		return false, false
	}
	return move == p.Target, true
}

// Data is what Load read: the puzzles, and those it left out.
type Data struct {
	Path    string
	Records int      // records in the file
	Puzzles []Puzzle // in file order (by PuzzleId)
	// Duplicates are the puzzles left out because a language model would
	// read the same text as for an earlier one (the same position to
	// solve, reached by the same move, in another game): kept, they could
	// fall on both sides of a split.
	Duplicates []Duplicate
}

// Duplicate is a puzzle left out, and the earlier puzzle it repeats.
type Duplicate struct {
	ID, Of       string
	SameSolution bool // whether both have the same target
}

// gameURL is a Lichess game address; the id is its first 8 characters
// after the host, then an optional side and ply.
var gameURL = regexp.MustCompile(`^https?://lichess\.org/([A-Za-z0-9]{8})(?:[A-Za-z0-9]{4})?(?:/(?:white|black))?(?:#\d+)?$`)

// LichessID is the game id in a Lichess game address
// ("https://lichess.org/KZRiN695/black#46" → "KZRiN695"), as in puzzles'
// GameUrl and PGN Site tags; ok is false for any other text.
func LichessID(url string) (id string, ok bool) {
	m := gameURL.FindStringSubmatch(strings.TrimSpace(url))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// Load reads the puzzles of path (the puzzles' file, File under the data
// folder). Every record must have a PuzzleId, a FEN, at least two moves
// in UCI of which the first (the opponent's) is legal in the FEN and the
// second (the target) legal after it, an integer Rating, Themes (a
// string) and a Lichess GameUrl; a record that has not is an error naming
// the file and line. Puzzles whose text repeats an earlier one's are left
// out and listed in Duplicates.
func Load(path string) (*Data, error) { return LoadFirst(path, 0) }

// errEnough stops reading once LoadFirst has its records.
var errEnough = errors.New("enough records")

// LoadFirst is Load reading the first n records of path only (all when n
// is 0 or less): a sample for tests and quick looks (the file is sorted by
// PuzzleId, which Lichess draws at random).
func LoadFirst(path string, n int) (*Data, error) {
	d := &Data{Path: path}
	seen := map[string]int{} // text → index in Puzzles
	err := records.Each(path, func(r records.Record) error {
		if n > 0 && d.Records == n {
			return errEnough
		}
		d.Records++ // JSON Lines: record n is line n
		p, err := parse(r)
		if err != nil {
			return fmt.Errorf("%s line %d: %w", path, d.Records, err)
		}
		text := p.Text()
		if i, ok := seen[text]; ok {
			first := d.Puzzles[i]
			d.Duplicates = append(d.Duplicates, Duplicate{ID: p.ID, Of: first.ID, SameSolution: first.Target == p.Target})
			return nil
		}
		seen[text] = len(d.Puzzles)
		d.Puzzles = append(d.Puzzles, p)
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return d, nil
}

// parse turns one record into a puzzle.
func parse(r records.Record) (Puzzle, error) {
	var p Puzzle
	var err error
	if p.ID, err = r.String("PuzzleId"); err != nil {
		return p, err
	}
	if p.ID == "" {
		return p, fmt.Errorf("empty PuzzleId")
	}
	if p.Before, err = r.String("FEN"); err != nil {
		return p, err
	}
	moves, err := r.String("Moves")
	if err != nil {
		return p, err
	}
	if p.Rating, err = r.Int("Rating"); err != nil {
		return p, err
	}
	themes, err := r.String("Themes")
	if err != nil {
		return p, err
	}
	p.Themes = strings.Fields(themes)
	url, err := r.String("GameUrl")
	if err != nil {
		return p, err
	}
	var ok bool
	if p.Game, ok = LichessID(url); !ok {
		return p, fmt.Errorf("puzzle %s: GameUrl %q is not a Lichess game address", p.ID, url)
	}
	line := strings.Fields(moves)
	if len(line) < 2 {
		return p, fmt.Errorf("puzzle %s: Moves %q: want the opponent's move and at least one solution move", p.ID, moves)
	}
	pos, err := Parse(p.Before)
	if err != nil {
		return p, fmt.Errorf("puzzle %s: FEN %q: %w", p.ID, p.Before, err)
	}
	p.Last, p.Target, p.Line = line[0], line[1], line[1:]
	for i, m := range line {
		if !uciWord.MatchString(m) || strings.Contains(m, "=") {
			return p, fmt.Errorf("puzzle %s: move %d of %q, %q, is not in UCI", p.ID, i+1, moves, m)
		}
	}
	after, err := play(pos, p.Last)
	if err != nil {
		return p, fmt.Errorf("puzzle %s: the opponent's move: %w", p.ID, err)
	}
	if _, ok := find(after, p.Target); !ok {
		return p, fmt.Errorf("puzzle %s: the first solution move %q is not a legal move in %s", p.ID, p.Target, after)
	}
	p.FEN, p.ToMove = after.String(), after.Turn().String()
	return p, nil
}

// Replay plays the whole solution line from the position to solve and
// returns an error naming the first move that is not legal. (Load checks
// the opponent's move and the target only: the rest of the line costs
// twice as much again to check, and the task does not use it.)
func (p Puzzle) Replay() error {
	pos, err := Parse(p.FEN)
	if err != nil {
		return fmt.Errorf("puzzle %s: FEN %q: %w", p.ID, p.FEN, err)
	}
	for i, m := range p.Line {
		if pos, err = play(pos, m); err != nil {
			return fmt.Errorf("puzzle %s: solution move %d: %w", p.ID, i+1, err)
		}
	}
	return nil
}

// Parse reads a position in FEN with the chess library; the move counters
// may be left out (as Text leaves them out), and then count as "0 1". A
// board without exactly one king of each colour is refused.
func Parse(fen string) (*chesslib.Position, error) {
	fields := strings.Fields(fen)
	if len(fields) == 4 {
		fields = append(fields, "0", "1")
	}
	if len(fields) != 6 {
		return nil, fmt.Errorf("a FEN has 6 fields (or 4, without the move counters), this has %d", len(fields))
	}
	var pos chesslib.Position
	if err := pos.UnmarshalText([]byte(strings.Join(fields, " "))); err != nil {
		return nil, err
	}
	if err := kings(&pos); err != nil {
		return nil, err
	}
	return &pos, nil
}

// kings checks that each side has one king: the library takes any board.
func kings(pos *chesslib.Position) error {
	n := map[chesslib.Piece]int{}
	for _, pc := range pos.Board().SquareMap() {
		n[pc]++
	}
	if n[chesslib.WhiteKing] != 1 || n[chesslib.BlackKing] != 1 {
		return fmt.Errorf("want one king of each colour, have %d white and %d black", n[chesslib.WhiteKing], n[chesslib.BlackKing])
	}
	return nil
}

// play returns the position after the legal move uci, or an error.
func play(pos *chesslib.Position, uci string) (*chesslib.Position, error) {
	m, ok := find(pos, uci)
	if !ok {
		return nil, fmt.Errorf("%q is not a legal move in %s", uci, pos)
	}
	return pos.Update(m), nil
}

// find is the legal move of pos written uci (exactly: lower case, with
// the promotion piece as a fifth letter).
func find(pos *chesslib.Position, uci string) (*chesslib.Move, bool) {
	for _, m := range pos.ValidMoves() {
		if uciNotation.Encode(pos, &m) == uci {
			return &m, true
		}
	}
	return nil, false
}

// uciNotation writes moves in UCI.
var uciNotation chesslib.UCINotation

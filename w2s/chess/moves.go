package chess

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	chesslib "github.com/corentings/chess/v2"
)

// Text is what a language model reads for a position, fen, reached by the
// move last (UCI; "" or "-" for none): the FEN's first four fields
// (placement, side to move, castling rights, en passant square; the move
// counters say nothing about the best move and are left out), the word
// "last" and the move, and the word "move", after which the model writes
// its move: Answer. For the puzzle 001wr,
//
//	r4rk1/p3ppbp/Pp1q1np1/3PpbB1/2B5/2N2P2/1PPQ2PP/3RR1K1 b - - last f2f3 move
//
// answered " d6c5". The pretraining text of GameText's Positions format is
// the same, one position of a game per line.
func Text(fen, last string) string {
	fields := strings.Fields(fen)
	if len(fields) > 4 {
		fields = fields[:4]
	}
	if last == "" {
		last = "-"
	}
	return strings.Join(fields, " ") + " last " + last + " move"
}

// Answer is what follows Text for the move uci: a space, then the move.
func Answer(uci string) string { return " " + uci }

// LegalMoves are the legal moves in the position fen, in UCI, in the
// chess library's order (the move counters may be left out of fen).
func LegalMoves(fen string) ([]string, error) {
	pos, err := Parse(fen)
	if err != nil {
		return nil, fmt.Errorf("chess: FEN %q: %w", fen, err)
	}
	var out []string
	for _, m := range pos.ValidMoves() {
		out = append(out, uciNotation.Encode(pos, &m))
	}
	return out, nil
}

// uciWord is a move in UCI, in any case, with "=" allowed before the
// promotion piece.
var uciWord = regexp.MustCompile(`^[a-h][1-8][a-h][1-8](=?[qrbn])?$`)

// Normalize reads the move a model generated in the position fen: the
// first word of generated, in UCI (any case; a promotion written e7e8q,
// e7e8Q or e7e8=Q) or, failing that, in SAN (Nf3, exd5, O-O, e8=Q+), and
// returns it in UCI (lower case, the promotion piece as a fifth letter)
// with ok true when it is a legal move there. A word that is no legal
// move in either notation gives ok false; err is for a FEN that does not
// parse.
func Normalize(fen, generated string) (uci string, ok bool, err error) {
	pos, err := Parse(fen)
	if err != nil {
		return "", false, fmt.Errorf("chess: FEN %q: %w", fen, err)
	}
	words := strings.Fields(generated)
	if len(words) == 0 {
		return "", false, nil
	}
	word := words[0]
	if w := strings.ToLower(word); uciWord.MatchString(w) {
		w = strings.Replace(w, "=", "", 1)
		if _, ok := find(pos, w); ok {
			return w, true, nil
		}
	}
	m, err := chesslib.AlgebraicNotation{}.Decode(pos, word)
	if err != nil {
		return "", false, nil
	}
	return uciNotation.Encode(pos, m), true, nil
}

// Legal tells whether move (read as Normalize reads it) is a legal move
// in the position fen. A FEN that does not parse has no legal moves.
func Legal(fen, move string) bool {
	_, ok, err := Normalize(fen, move)
	return ok && err == nil
}

// Bands are the rating bands results are reported by, easiest first.
var Bands = []string{"<1000", "1000–1499", "1500–1999", "≥2000"}

// Band is the rating band of a puzzle rating: one of Bands.
func Band(rating int) string {
	switch {
	case rating < 1000:
		return Bands[0]
	case rating < 1500:
		return Bands[1]
	case rating < 2000:
		return Bands[2]
	}
	return Bands[3]
}

// InTest tells whether the puzzles of a game (its Lichess id) belong to
// the test set when share of the games go there: by a hash of the id, so
// every puzzle of a game falls on the same side, in every run.
func InTest(game string, share float64) bool {
	h := fnv.New64a()
	h.Write([]byte("chess_puzzles/test\x00" + game))
	return float64(h.Sum64()%100000) < share*100000
}

// Split cuts puzzles into a pool (what the weak supervisor, the student
// and the ceiling train on) and a test set holding about share of the
// games, by InTest; each keeps the puzzles' order.
func Split(puzzles []Puzzle, share float64) (pool, test []Puzzle) {
	for _, p := range puzzles {
		if InTest(p.Game, share) {
			test = append(test, p)
		} else {
			pool = append(pool, p)
		}
	}
	return pool, test
}

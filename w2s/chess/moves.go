package chess

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	chesslib "github.com/corentings/chess/v2"
)

// Text is what a language model reads for a position, fen, reached by the
// move last (UCI; "" or "-" for none): the board square by square, a8 to h8
// then down to h1 (White's view), each square one character, a piece as FEN
// writes it or "." when empty, the squares separated by spaces, so that a
// byte-level tokenizer makes each square one token at a fixed place (FEN's
// run lengths, "r4rk1", make a model count to find a piece); then FEN's
// side to move, castling rights and en passant square (the move counters
// say nothing about the best move and are left out), the word "last" and
// the move, and the word "move", after which the model writes its move:
// Answer. For the puzzle 001wr (FEN r4rk1/p3ppbp/Pp1q1np1/3PpbB1/2B5/
// 2N2P2/1PPQ2PP/3RR1K1 b - -, reached by f2f3) it is
//
//	r . . . . r k . p . . . p p b p P p . q . n p . . . . P p b B . . . B . . . . . . . N . . P . . . P P Q . . P P . . . R R . K . b - - last f2f3 move
//
// answered " d6c5". The pretraining text of GameText's Positions format is
// the same, one position of a game per line. A placement that is not 8
// ranks of 8 squares is written as it is.
func Text(fen, last string) string {
	fields := strings.Fields(fen)
	if len(fields) > 4 {
		fields = fields[:4]
	}
	if len(fields) > 0 {
		if squares, ok := boardSquares(fields[0]); ok {
			fields[0] = strings.Join(squares, " ")
		}
	}
	if last == "" {
		last = "-"
	}
	return strings.Join(fields, " ") + " last " + last + " move"
}

// boardSquares expands a FEN placement into its 64 squares, a8 first.
func boardSquares(placement string) ([]string, bool) {
	ranks := strings.Split(placement, "/")
	if len(ranks) != 8 {
		return nil, false
	}
	squares := make([]string, 0, 64)
	for _, rank := range ranks {
		n := 0
		for _, c := range rank {
			switch {
			case c >= '1' && c <= '8':
				for range int(c - '0') {
					squares = append(squares, ".")
				}
				n += int(c - '0')
			case strings.ContainsRune("pnbrqkPNBRQK", c):
				squares = append(squares, string(c))
				n++
			default:
				return nil, false
			}
		}
		if n != 8 {
			return nil, false
		}
	}
	return squares, true
}

// TextFEN reads a position back from Text: its FEN (four fields, no move
// counters) and the last move ("-" for none).
func TextFEN(text string) (fen, last string, err error) {
	f := strings.Fields(text)
	if len(f) != 64+3+3 || f[67] != "last" || f[69] != "move" {
		return "", "", fmt.Errorf("chess: %.60q… is not a position's text (64 squares, side, castling, en passant, last MOVE, move)", text)
	}
	var b strings.Builder
	for r := range 8 {
		if r > 0 {
			b.WriteByte('/')
		}
		empty := 0
		for _, sq := range f[8*r : 8*r+8] {
			if sq == "." {
				empty++
				continue
			}
			if len(sq) != 1 || !strings.Contains("pnbrqkPNBRQK", sq) {
				return "", "", fmt.Errorf("chess: square %q of %.60q… is neither a piece nor empty", sq, text)
			}
			if empty > 0 {
				fmt.Fprint(&b, empty)
				empty = 0
			}
			b.WriteString(sq)
		}
		if empty > 0 {
			fmt.Fprint(&b, empty)
		}
	}
	return b.String() + " " + strings.Join(f[64:67], " "), f[68], nil
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
// e7e8Q or e7e8=Q) or, when it is not shaped like UCI, in SAN (Nf3, exd5,
// O-O, e8=Q+), and returns it in UCI (lower case, the promotion piece as a
// fifth letter) with ok true when it is a legal move there. A word shaped
// like UCI is read as UCI only: the chess library's SAN reader takes
// "d5e4" for the pawn move e5e4 when only that one is legal, which would
// score an illegal answer as the solution. A word that is no legal move
// gives ok false; err is for a FEN that does not parse.
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
		_, ok := find(pos, w)
		if !ok {
			w = ""
		}
		return w, ok, nil
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

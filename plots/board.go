package plots

import (
	"fmt"
	"html"
	"image/color"
	"math"
	"regexp"
	"strings"

	chesslib "github.com/corentings/chess/v2"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/chess"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// Board is a chess position drawn as an inline SVG board: 8×8 squares
// (a1 dark), the pieces as Unicode chess glyphs, rank and file labels,
// and an arrow for each move, with a legend entry per arrow under the
// board. White is at the bottom unless Flip is set.
type Board struct {
	FEN    string  // the position (the move counters may be left out)
	Arrows []Arrow // drawn in order, the first underneath
	// Flip draws the board from Black's side (a1 top right), as a puzzle
	// with Black to move is usually shown.
	Flip    bool
	Caption string // shown under the board
	Square  float64
}

// Arrow is a move drawn on a board.
type Arrow struct {
	// Move in UCI (e2e4, e7e8q), or any text chess.Normalize reads as a
	// legal move (SAN: Nf3); other text gets a legend entry saying it is
	// no move, and no arrow. A move in UCI that is not legal is drawn, and
	// its entry says so.
	Move  string
	Label string // who played it: "solution", "supervisor xs", "student xl"
	Color color.Color
}

// The colours of a puzzle board's arrows (Okabe–Ito, as Palette).
var (
	SolutionColor   = Palette[2] // bluish green
	SupervisorColor = Palette[1] // vermilion
	StudentColor    = Palette[0] // blue
)

// PuzzleBoard draws a puzzle's position (fen, with the side to move at
// the bottom) with the solution and the moves of a supervisor and a
// student, each labelled with its model (supervisor, student: e.g. "xs",
// "xl"); an empty move is left out.
func PuzzleBoard(fen, solution, supervisor, supervisorMove, student, studentMove, caption string) *Board {
	b := &Board{FEN: fen, Caption: caption, Flip: len(strings.Fields(fen)) > 1 && strings.Fields(fen)[1] == "b"}
	for _, a := range []Arrow{
		{solution, "solution", SolutionColor},
		{supervisorMove, strings.TrimSpace("supervisor " + supervisor), SupervisorColor},
		{studentMove, strings.TrimSpace("student " + student), StudentColor},
	} {
		if a.Move != "" {
			b.Arrows = append(b.Arrows, a)
		}
	}
	return b
}

// The board's colours (Lichess's brown board).
const (
	lightSquare = "#f0d9b5"
	darkSquare  = "#b58863"
	boardFont   = `font-family="DejaVu Sans, 'Segoe UI Symbol', 'Noto Sans Symbols 2', 'Apple Symbols', sans-serif"`
)

// glyphs are the filled chess glyphs (U+265A–U+265F) by piece letter; white
// pieces are drawn filled white with a black outline, black ones black.
// U+FE0E asks for the text form, not an emoji.
var glyphs = map[chesslib.PieceType]string{
	chesslib.King: "\u265a", chesslib.Queen: "\u265b", chesslib.Rook: "\u265c",
	chesslib.Bishop: "\u265d", chesslib.Knight: "\u265e", chesslib.Pawn: "\u265f",
}

// uciMove is a move in UCI.
var uciMove = regexp.MustCompile(`^([a-h][1-8])([a-h][1-8])[qrbn]?$`)

// geometry of a drawing: square side, the board's top-left corner.
type geometry struct {
	s, x0, y0 float64
	flip      bool
}

// centre is the centre of the square named like "e4".
func (g geometry) centre(sq string) (x, y float64) {
	file, rank := float64(sq[0]-'a'), float64(sq[1]-'1')
	if g.flip {
		file, rank = 7-file, 7-rank
	}
	return g.x0 + (file+0.5)*g.s, g.y0 + (7-rank+0.5)*g.s
}

// SVG renders the board.
func (b *Board) SVG() (string, error) {
	pos, err := chess.Parse(b.FEN)
	if err != nil {
		return "", fmt.Errorf("plots: board FEN %q: %w", b.FEN, err)
	}
	s := b.Square
	if s == 0 {
		s = 48
	}
	g := geometry{s: s, x0: 0.45 * s, y0: 0.15 * s, flip: b.Flip}
	legendTop := g.y0 + 8*s + 0.55*s
	row := 0.5 * s
	width := g.x0 + 8*s + 0.15*s
	var legend []string
	moves := make([]string, len(b.Arrows)) // in UCI, "" for none
	for i, a := range b.Arrows {
		text := a.Label + ": " + a.Move
		uci, legal, _ := chess.Normalize(b.FEN, a.Move)
		switch {
		case legal && uci != a.Move:
			text += " (" + uci + ")"
		case legal:
		case uciMove.MatchString(a.Move):
			uci = a.Move
			text += " (not legal)"
		default:
			text = fmt.Sprintf("%s: %q (not a move)", a.Label, a.Move)
		}
		moves[i] = uci
		legend = append(legend, text)
		width = max(width, g.x0+s+0.3*s*float64(len([]rune(text))))
	}
	height := legendTop + row*float64(len(legend)) + 0.1*s

	var w strings.Builder
	fmt.Fprintf(&w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.1f %.1f" role="img">`, width, height, width, height)
	fmt.Fprintf(&w, `<title>%s</title>`, html.EscapeString(b.FEN))
	board := pos.Board()
	for rank := 7; rank >= 0; rank-- {
		for file := range 8 {
			name := string([]byte{byte('a' + file), byte('1' + rank)})
			cx, cy := g.centre(name)
			fill := lightSquare
			if (file+rank)%2 == 0 {
				fill = darkSquare
			}
			fmt.Fprintf(&w, `<rect class="square" data-square="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, name, cx-s/2, cy-s/2, s, s, fill)
		}
	}
	for i := range 8 {
		fx, _ := g.centre(string([]byte{byte('a' + i), '1'}))
		_, ry := g.centre(string([]byte{'a', byte('1' + i)}))
		fmt.Fprintf(&w, `<text class="file-label" x="%.1f" y="%.1f" font-size="%.1f" text-anchor="middle" fill="#444" %s>%c</text>`, fx, g.y0+8*s+0.38*s, 0.3*s, boardFont, 'a'+i)
		fmt.Fprintf(&w, `<text class="rank-label" x="%.1f" y="%.1f" font-size="%.1f" text-anchor="middle" dominant-baseline="central" fill="#444" %s>%c</text>`, g.x0/2, ry, 0.3*s, boardFont, '1'+i)
	}
	for sq := chesslib.A1; sq <= chesslib.H8; sq++ {
		pc := board.Piece(sq)
		if pc == chesslib.NoPiece {
			continue
		}
		name := sq.String()
		cx, cy := g.centre(name)
		fill, stroke := "#000", "#000"
		if pc.Color() == chesslib.White {
			fill = "#fff"
		}
		fmt.Fprintf(&w, `<text class="piece" data-square="%s" data-piece="%s" x="%.1f" y="%.1f" font-size="%.1f" text-anchor="middle" dominant-baseline="central" fill="%s" stroke="%s" stroke-width="%.2f" %s>%s&#xFE0E;</text>`,
			name, pieceLetter(pc), cx, cy+0.03*s, 0.8*s, fill, stroke, 0.025*s, boardFont, glyphs[pc.Type()])
	}
	drawn := map[string]int{} // arrows already on a move, to set the next one beside them
	for i, a := range b.Arrows {
		m := uciMove.FindStringSubmatch(moves[i])
		if m == nil {
			continue
		}
		k := drawn[m[1]+m[2]]
		drawn[m[1]+m[2]]++
		writeArrow(&w, g, m[1], m[2], a, k)
		// The legend entry: a short arrow, then the text.
		y := legendTop + row*(float64(i)+0.5)
		fmt.Fprintf(&w, `<g class="legend-arrow"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"/><polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s"/></g>`,
			g.x0, y, g.x0+0.5*s, y, hexColor(a.Color), 0.12*s, g.x0+0.8*s, y, g.x0+0.5*s, y-0.15*s, g.x0+0.5*s, y+0.15*s, hexColor(a.Color))
	}
	for i, text := range legend {
		y := legendTop + row*(float64(i)+0.5)
		fmt.Fprintf(&w, `<text class="legend" x="%.1f" y="%.1f" font-size="%.1f" dominant-baseline="central" fill="#222" %s>%s</text>`, g.x0+s, y, 0.3*s, boardFont, html.EscapeString(text))
	}
	w.WriteString(`</svg>`)
	return w.String(), nil
}

// writeArrow draws the arrow of a move from square a to square b; the
// k-th arrow on the same move is set beside the others so all show.
func writeArrow(w *strings.Builder, g geometry, from, to string, a Arrow, k int) {
	x1, y1 := g.centre(from)
	x2, y2 := g.centre(to)
	dx, dy := x2-x1, y2-y1
	n := math.Hypot(dx, dy)
	dx, dy = dx/n, dy/n
	if k > 0 { // beside: alternately right and left of the first, further each pair
		off := g.s * 0.2 * float64((k+1)/2)
		if k%2 == 0 {
			off = -off
		}
		x1, y1, x2, y2 = x1-dy*off, y1+dx*off, x2-dy*off, y2+dx*off
	}
	head, half := 0.42*g.s, 0.22*g.s
	bx, by := x2-dx*head, y2-dy*head // the head's base
	c := hexColor(a.Color)
	fmt.Fprintf(w, `<g class="arrow" data-move="%s" data-label="%s" opacity="0.8"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f" stroke-linecap="round"/><polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s"/></g>`,
		html.EscapeString(from+to), html.EscapeString(a.Label), x1, y1, bx, by, c, 0.15*g.s, x2, y2, bx-dy*half, by+dx*half, bx+dy*half, by-dx*half, c)
}

// pieceLetter is the piece's FEN letter (upper case for White).
func pieceLetter(p chesslib.Piece) string {
	l := strings.ToLower(p.Type().String())
	if p.Color() == chesslib.White {
		l = strings.ToUpper(l)
	}
	return l
}

// hexColor writes a colour as #rrggbb (black when none is given).
func hexColor(c color.Color) string {
	if c == nil {
		return "#000000"
	}
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}

// HTML is the board's SVG, with its caption, wrapped for inline display
// as the charts are (it survives Jupyter's HTML export).
func (b *Board) HTML() (string, error) {
	svg, err := b.SVG()
	if err != nil {
		return "", err
	}
	caption := ""
	if b.Caption != "" {
		caption = `<div style="font-family:sans-serif;font-size:12px;color:#444;max-width:480px">` + html.EscapeString(b.Caption) + `</div>`
	}
	return `<div class="w2s-figure">` + svg + caption + `</div>`, nil
}

// ChessExampleBoard draws a test puzzle with the solution and the moves
// its supervisor and student generated (analysis.ChessExamples), captioned
// with who found the solution.
func ChessExampleBoard(e analysis.ChessExample) *Board {
	return PuzzleBoard(e.Puzzle.FEN, e.Puzzle.Target, zoo.Short(e.Supervisor), strings.TrimSpace(e.SupervisorMove),
		zoo.Short(e.Student), strings.TrimSpace(e.StudentMove), e.Caption())
}

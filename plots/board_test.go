package plots

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/w2s-lab/w2s/w2s/analysis"
	"github.com/w2s-lab/w2s/w2s/chess"
)

// svgElement is an element of a parsed SVG: its name, attributes and text.
type svgElement struct {
	name  string
	attr  map[string]string
	text  string
	group string // the class of the enclosing <g>, if any
}

// parseSVG parses svg as XML (failing the test if it is not) into its
// elements.
func parseSVG(t *testing.T, svg string) []svgElement {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var out []svgElement
	var stack []int
	group := []string{""}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := svgElement{name: tok.Name.Local, attr: map[string]string{}, group: group[len(group)-1]}
			for _, a := range tok.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			out = append(out, e)
			stack = append(stack, len(out)-1)
			if e.name == "g" {
				group = append(group, e.attr["class"])
			}
		case xml.EndElement:
			if out[stack[len(stack)-1]].name == "g" {
				group = group[:len(group)-1]
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				out[stack[len(stack)-1]].text += string(tok)
			}
		}
	}
	return out
}

func num(t *testing.T, e svgElement, attr string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attr[attr], 64)
	if err != nil {
		t.Fatalf("<%s> %s=%q: %v", e.name, attr, e.attr[attr], err)
	}
	return v
}

// board is a drawn board, read back: square centres and colours, pieces,
// arrows (by move) and legend lines.
type board struct {
	centre  map[string][2]float64
	fill    map[string]string
	pieces  map[string]svgElement // by square
	arrows  map[string][]svgElement
	heads   map[string][]string // each arrow's polygon points
	legend  []string
	squares int
}

func readBoard(t *testing.T, b *Board) board {
	t.Helper()
	svg, err := b.SVG()
	if err != nil {
		t.Fatal(err)
	}
	r := board{centre: map[string][2]float64{}, fill: map[string]string{}, pieces: map[string]svgElement{}, arrows: map[string][]svgElement{}, heads: map[string][]string{}}
	var arrow string
	for _, e := range parseSVG(t, svg) {
		switch {
		case e.name == "rect" && e.attr["class"] == "square":
			r.squares++
			sq := e.attr["data-square"]
			r.centre[sq] = [2]float64{num(t, e, "x") + num(t, e, "width")/2, num(t, e, "y") + num(t, e, "height")/2}
			r.fill[sq] = e.attr["fill"]
		case e.name == "text" && e.attr["class"] == "piece":
			r.pieces[e.attr["data-square"]] = e
		case e.name == "g" && e.attr["class"] == "arrow":
			arrow = e.attr["data-move"]
		case e.name == "line" && e.group == "arrow":
			r.arrows[arrow] = append(r.arrows[arrow], e)
		case e.name == "polygon" && e.group == "arrow":
			r.heads[arrow] = append(r.heads[arrow], e.attr["points"])
		case e.name == "text" && e.attr["class"] == "legend":
			r.legend = append(r.legend, e.text)
		}
	}
	return r
}

// fenPieces counts the pieces of a FEN's placement by letter.
func fenPieces(fen string) map[string]int {
	n := map[string]int{}
	for _, c := range strings.Fields(fen)[0] {
		if unicode.IsLetter(c) {
			n[string(c)]++
		}
	}
	return n
}

func TestBoard(t *testing.T) {
	const fen = "r1bqkbnr/pppp1ppp/2n5/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R w KQkq - 2 3"
	b := &Board{FEN: fen, Arrows: []Arrow{
		{"e2e4", "solution", SolutionColor}, // not legal here: e4 is taken
		{"Bb5", "supervisor", SupervisorColor},
		{"f1b5", "student", StudentColor}, // the supervisor's move again: drawn beside it
		{"zz9", "other", Black},
	}}
	r := readBoard(t, b)
	if r.squares != 64 || len(r.centre) != 64 {
		t.Fatalf("%d squares, %d distinct", r.squares, len(r.centre))
	}
	// White at the bottom, a1 bottom left and dark.
	a1, h1, a8 := r.centre["a1"], r.centre["h1"], r.centre["a8"]
	if !(a1[0] < h1[0] && a1[1] == h1[1] && a8[1] < a1[1] && a8[0] == a1[0]) {
		t.Errorf("a1 %v, h1 %v, a8 %v: not White's view", a1, h1, a8)
	}
	if r.fill["a1"] != darkSquare || r.fill["h1"] != lightSquare || r.fill["e4"] != lightSquare || r.fill["d4"] != darkSquare {
		t.Errorf("square colours a1 %s h1 %s e4 %s d4 %s", r.fill["a1"], r.fill["h1"], r.fill["e4"], r.fill["d4"])
	}
	// A glyph per piece, on its square, in its colour.
	drawn := map[string]int{}
	glyph := map[string]string{"k": "♚", "q": "♛", "r": "♜", "b": "♝", "n": "♞", "p": "♟"}
	for sq, e := range r.pieces {
		p := e.attr["data-piece"]
		drawn[p]++
		if !strings.HasPrefix(e.text, glyph[strings.ToLower(p)]) {
			t.Errorf("%s: piece %s drawn as %q", sq, p, e.text)
		}
		if white := unicode.IsUpper(rune(p[0])); (e.attr["fill"] == "#fff") != white {
			t.Errorf("%s: piece %s filled %s", sq, p, e.attr["fill"])
		}
		if c := r.centre[sq]; num(t, e, "x") != c[0] {
			t.Errorf("%s: piece at x %s, the square's centre at %.1f", sq, e.attr["x"], c[0])
		}
	}
	if want := fenPieces(fen); fmt.Sprint(drawn) != fmt.Sprint(want) {
		t.Errorf("pieces drawn %v, the FEN has %v", drawn, want)
	}
	if r.pieces["f3"].attr["data-piece"] != "N" || r.pieces["c6"].attr["data-piece"] != "n" || r.pieces["e1"].attr["data-piece"] != "K" {
		t.Errorf("f3 %v, c6 %v, e1 %v", r.pieces["f3"].attr, r.pieces["c6"].attr, r.pieces["e1"].attr)
	}
	// One arrow per move that is one: e2e4 from e2's centre to e4's.
	if len(r.arrows["e2e4"]) != 1 || len(r.arrows["f1b5"]) != 2 || len(r.arrows) != 2 {
		t.Fatalf("arrows %v", r.arrows)
	}
	line := r.arrows["e2e4"][0]
	e2, e4 := r.centre["e2"], r.centre["e4"]
	if num(t, line, "x1") != e2[0] || num(t, line, "y1") != e2[1] || num(t, line, "x2") != e4[0] {
		t.Errorf("e2e4's line from (%s, %s) to (%s, %s); e2 at %v, e4 at %v", line.attr["x1"], line.attr["y1"], line.attr["x2"], line.attr["y2"], e2, e4)
	}
	if tip := fmt.Sprintf("%.1f,%.1f", e4[0], e4[1]); !strings.HasPrefix(r.heads["e2e4"][0], tip+" ") {
		t.Errorf("e2e4's head %q does not point at e4 %s", r.heads["e2e4"][0], tip)
	}
	if l1, l2 := r.arrows["f1b5"][0], r.arrows["f1b5"][1]; l1.attr["x1"] == l2.attr["x1"] && l1.attr["y1"] == l2.attr["y1"] {
		t.Error("two arrows on one move drawn on top of each other")
	}
	want := []string{"solution: e2e4 (not legal)", "supervisor: Bb5 (f1b5)", "student: f1b5", `other: "zz9" (not a move)`}
	if !slices.Equal(r.legend, want) {
		t.Errorf("legend %q, want %q", r.legend, want)
	}
}

func TestBoardFlipped(t *testing.T) {
	b := PuzzleBoard("r4rk1/p3ppbp/Pp1q1np1/3PpbB1/2B5/2N2P2/1PPQ2PP/3RR1K1 b - - 0 18", "d6c5", "xs", "d6h2", "xl", "", "puzzle 001wr")
	if !b.Flip || len(b.Arrows) != 2 {
		t.Fatalf("Black to move: flip %v, arrows %v", b.Flip, b.Arrows)
	}
	r := readBoard(t, b)
	a1, h8 := r.centre["a1"], r.centre["h8"]
	if !(a1[0] > h8[0] && a1[1] < h8[1]) || r.fill["a1"] != darkSquare {
		t.Errorf("flipped: a1 at %v (%s), h8 at %v: want a1 top right, dark", a1, r.fill["a1"], h8)
	}
	d6, c5 := r.centre["d6"], r.centre["c5"]
	line := r.arrows["d6c5"][0]
	if num(t, line, "x1") != d6[0] || num(t, line, "y1") != d6[1] || !strings.HasPrefix(r.heads["d6c5"][0], fmt.Sprintf("%.1f,%.1f ", c5[0], c5[1])) {
		t.Errorf("d6c5 from (%s, %s), head %q; d6 at %v, c5 at %v", line.attr["x1"], line.attr["y1"], r.heads["d6c5"][0], d6, c5)
	}
	if !slices.Equal(r.legend, []string{"solution: d6c5", "supervisor xs: d6h2 (not legal)"}) {
		t.Errorf("legend %q", r.legend)
	}
}

func TestBoardHTMLAndBadFEN(t *testing.T) {
	b := &Board{FEN: "8/8/8/8/8/8/8/K6k w - -", Caption: "kings <only> & nothing else"}
	h, err := b.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, `<div class="w2s-figure"><svg `) || !strings.Contains(h, "kings &lt;only&gt; &amp; nothing else") || strings.Contains(h, "<?xml") {
		t.Errorf("HTML %.200q…", h)
	}
	for _, fen := range []string{"", "not a fen", "8/8/8/8/8/8/8/8 w - - 0 1", "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0"} {
		if _, err := (&Board{FEN: fen}).HTML(); err == nil || !strings.Contains(err.Error(), "plots: board FEN") {
			t.Errorf("FEN %q: %v", fen, err)
		}
	}
}

// TestChessExampleBoard: a test puzzle with its supervisor's and student's
// answers becomes a board with the solution's arrow, the student's, a
// legend entry for an answer that is no move, and a caption saying who
// solved it.
func TestChessExampleBoard(t *testing.T) {
	e := analysis.ChessExample{
		Puzzle: chess.Puzzle{ID: "001wr", Rating: 1200, ToMove: "b", Last: "f2f3", Target: "d6c5",
			FEN: "r4rk1/p3ppbp/Pp1q1np1/3PpbB1/2B5/2N2P2/1PPQ2PP/3RR1K1 b - - 0 1"},
		Supervisor: "zoo/chess-cpu/xxxs", Student: "zoo/chess-cpu/m",
		SupervisorMove: " e2\n", StudentMove: " d6c5", StudentRight: true,
	}
	b := ChessExampleBoard(e)
	if !b.Flip || len(b.Arrows) != 3 || b.Arrows[1].Label != "supervisor xxxs" || b.Arrows[2].Label != "student m" {
		t.Fatalf("board %+v", b)
	}
	html, err := b.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"solution: d6c5", "(not a move)", "student m: d6c5",
		"Puzzle 001wr (rating 1200, Black to move after f2f3): solution d6c5; supervisor xxxs writes &#34;e2&#34;, no legal move; student m plays d6c5, the solution."} {
		if !strings.Contains(html, want) {
			t.Errorf("the board does not show %q", want)
		}
	}
}

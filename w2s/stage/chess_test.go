package stage

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/chess"
	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/testgate"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

// The puzzle 001wr of chess's README: black to move, d6c5 solves it.
var puzzle001wr = chess.Puzzle{ID: "001wr", FEN: "r4rk1/p3ppbp/Pp1q1np1/3PpbB1/2B5/2N2P2/1PPQ2PP/3RR1K1 b - - 0 1",
	Last: "f2f3", Target: "d6c5", Rating: 1200}

func TestChessLabels(t *testing.T) {
	ps := []chess.Puzzle{puzzle001wr, puzzle001wr, puzzle001wr, puzzle001wr}
	gold, err := chessLabels(ps, nil)
	if err != nil || !reflect.DeepEqual(gold, []string{"d6c5", "d6c5", "d6c5", "d6c5"}) {
		t.Fatalf("gold labels %v, %v", gold, err)
	}
	// A legal move in SAN becomes UCI; an illegal one is taught as
	// written (its first word); nothing teaches nothing.
	weak, err := chessLabels(ps, []string{" Qc5", " d6c5 extra", " zz9 ", ""})
	if err != nil || !reflect.DeepEqual(weak, []string{"d6c5", "d6c5", "zz9", ""}) {
		t.Fatalf("weak labels %q, %v", weak, err)
	}
	if _, err := chessLabels(ps, []string{"d6c5"}); err == nil {
		t.Error("one weak move for four puzzles")
	}
}

// TestChessSequences: the loss reads exactly the answer's tokens and the
// end-of-text after it, each predicted from the token before it.
func TestChessSequences(t *testing.T) {
	tok, err := tokenizer.Train(func(yield func(string) bool) { yield(puzzle001wr.Text() + " d6c5") }, 300, "t")
	if err != nil {
		t.Fatal(err)
	}
	prompt, answer := tok.Encode(puzzle001wr.Text()), tok.Encode(chess.Answer("d6c5"))
	length := len(prompt) + len(answer) + 3
	ids, targets, mask, tmask, truncated := chessSequences(tok, []chess.Puzzle{puzzle001wr}, []string{"d6c5"}, length)
	if truncated != 0 {
		t.Errorf("%d truncated", truncated)
	}
	var learnt []int32
	for i := range length {
		if tmask[0][i] == 1 {
			if mask[0][i] != 1 {
				t.Errorf("position %d: a target on padding", i)
			}
			learnt = append(learnt, targets[0][i])
		}
		if mask[0][i] == 1 && i+1 < length && mask[0][i+1] == 1 && targets[0][i] != ids[0][i+1] {
			t.Errorf("position %d: target %d is not the next token %d", i, targets[0][i], ids[0][i+1])
		}
	}
	if want := append(append([]int32(nil), answer...), tok.EOS()); !reflect.DeepEqual(learnt, want) {
		t.Errorf("learnt %v (%q), want the answer and end-of-text %v", learnt, tok.Decode(learnt), want)
	}
	// Too short a row keeps the prompt's end and the whole answer.
	_, targets, _, tmask, truncated = chessSequences(tok, []chess.Puzzle{puzzle001wr}, []string{"d6c5"}, len(answer)+3)
	n := 0
	for i := range tmask[0] {
		n += int(tmask[0][i])
	}
	if truncated != 1 || n != len(answer)+1 || targets[0][len(targets[0])-1] != tok.EOS() {
		t.Errorf("short row: %d truncated, %d answer targets, targets %v", truncated, n, targets[0])
	}
}

// TestChessRun runs the chess task end to end at ci scale on the shipped
// chess-ci ladder: supervisor, its moves, student and ceiling, scored by
// the first move; a second run reads every stage from the store.
func TestChessRun(t *testing.T) {
	testgate.Integration(t, "loads 95,536 puzzles (20 s)")
	datatest.Require(t)
	b, err := BudgetFor("ci")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r := &Runner{Task: ChessTask, Budget: b, Seed: 1, Store: st, Backend: backend.MustDefault(), Data: tasks.LoadOptions{NoDownload: true}, Log: &log}
	ladder := ChessLadder("ci")
	if len(ladder) < 3 {
		t.Fatalf("chess-ci ladder %v", ladder)
	}
	ctx := context.Background()
	res, err := r.Run(ctx, ladder[0], ladder[len(ladder)-1], "xent")
	if err != nil {
		t.Fatal(err)
	}
	if res.Task != ChessTask || res.Counts.Test != b.Chess.NTest || res.Counts.A != b.Chess.NDocs/2 || len(res.Hits.Student) != b.Chess.NTest || res.Chess == nil {
		t.Fatalf("result %+v", res)
	}
	if res.WeakParams <= 0 || res.StrongParams <= res.WeakParams {
		t.Errorf("sizes %d, %d", res.WeakParams, res.StrongParams)
	}
	for i, v := range res.Chess.Legal {
		if !(v >= 0 && v <= 1) {
			t.Errorf("legal rate %d = %v", i, v)
		}
	}
	rows := 0
	for _, n := range res.Chess.BandRows {
		rows += n
	}
	if rows != b.Chess.NTest {
		t.Errorf("bands hold %d rows of %d", rows, b.Chess.NTest)
	}
	if !strings.Contains(log.String(), "legal moves") {
		t.Errorf("log %s", log.String())
	}
	if _, err := r.Run(ctx, ladder[0], ladder[1], "logconf"); err == nil {
		t.Error("the confidence loss on chess")
	}
	log.Reset()
	r2 := &Runner{Task: ChessTask, Budget: b, Seed: 1, Store: st, Backend: r.Backend, Data: r.Data, Log: &log, StoredOnly: true}
	again, err := r2.Run(ctx, ladder[0], ladder[len(ladder)-1], "xent")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Hits, res.Hits) || again.Student.Accuracy != res.Student.Accuracy {
		t.Error("the stored run differs")
	}
}

// TestChessMemorises: a model trained long enough on a few puzzles
// answers them with the moves it was taught: the loss reads the answer,
// and generation writes it back.
func TestChessMemorises(t *testing.T) {
	testgate.Integration(t, "loads 95,536 puzzles (20 s)")
	datatest.Require(t)
	b, err := BudgetFor("ci")
	if err != nil {
		t.Fatal(err)
	}
	b.Chess = ChessBudget{NDocs: 8, NTest: 4, Epochs: 150, LR: 1e-2, Batch: 4}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Task: ChessTask, Budget: b, Seed: 2, Store: st, Backend: backend.MustDefault(), Data: tasks.LoadOptions{NoDownload: true}}
	ctx := context.Background()
	ladder := ChessLadder("ci")
	tr, err := r.ChessTrain(ctx, ladder[len(ladder)-1], SetB, nil)
	if err != nil {
		t.Fatal(err)
	}
	mv, err := r.ChessAnswer(ctx, tr, SetB)
	if err != nil {
		t.Fatal(err)
	}
	h, err := r.ChessHits(ctx, mv, SetB)
	if err != nil {
		t.Fatal(err)
	}
	for i, ok := range h {
		if !ok {
			t.Errorf("puzzle %d: answered %q after %d steps (final loss %.3f)", i, mv.Sets[SetB][i], tr.Info.Steps, tr.Info.FinalLoss)
		}
	}
}

// TestMoveIDs: agreement compares moves, not spellings, and counts a
// copied illegal answer as agreement; no illegal answer is a target.
func TestMoveIDs(t *testing.T) {
	ids := moveIDs{}
	p := puzzle001wr
	target := ids.id(p.ID + " " + p.Target)
	if ids.of(p, " d6c5") != target || ids.of(p, "Qc5") != target {
		t.Error("the solution in UCI or SAN is the target")
	}
	if a, b := ids.of(p, "111111"), ids.of(p, " 111111 more"); a != b || a == target {
		t.Errorf("the same illegal answer: %d and %d (target %d)", a, b, target)
	}
	if ids.of(p, "zz") == ids.of(p, "yy") || ids.of(p, "a1a2") == target {
		t.Error("different answers agree")
	}
}

package analysis

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

// TestChessSweepAndChain runs the chess task's sweep over the ci chess
// ladder and its bootstrapping chain, through the same summaries and
// intervals as every task.
func TestChessSweepAndChain(t *testing.T) {
	testgate.Integration(t, "loads 95,536 puzzles (20 s)")
	datatest.Require(t)
	sess := testSession(t, t.TempDir())
	b, err := stage.BudgetFor("ci")
	if err != nil {
		t.Fatal(err)
	}
	sess.Budget.Chess = b.Chess
	ladder := stage.ChessLadder("ci")
	spec := SweepSpec{Task: stage.ChessTask, Scale: "test", Models: ladder, Losses: []losses.Spec{"xent"}, Seeds: []uint64{0, 1}}
	sw, err := RunSweep(context.Background(), sess, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Rows) != 6 || len(sw.Summary) != 3 {
		t.Fatalf("%d rows, %d summaries; want 6 and 3", len(sw.Rows), len(sw.Summary))
	}
	var text bytes.Buffer
	if err := ChessTable(sw).WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(text.String(), "\n"); got < 5 || !strings.Contains(text.String(), "legal: weak") {
		t.Errorf("chess table:\n%s", text.String())
	}
	if err := sw.Table().WriteText(&text); err != nil || strings.Contains(text.String(), "majority class: NaN") {
		t.Errorf("sweep table (%v):\n%s", err, text.String())
	}
	// The chain runs on runners that have made their splits already
	// (the sweep's), and leaves them as they were.
	chainRunners := runners(t, sess, stage.ChessTask, 0, 1)
	if _, err := chainRunners[0].ChessPuzzles(context.Background(), stage.SetTest); err != nil {
		t.Fatal(err)
	}
	ch, err := RunChain(context.Background(), chainRunners, ladder, "xent")
	if err != nil {
		t.Fatal(err)
	}
	if chainRunners[0].Extra != 0 {
		t.Errorf("the chain left its caller's runner with %d extra halves", chainRunners[0].Extra)
	}
	if len(ch.Links) != 2 || ch.Examples != b.Chess.NTest || len(ch.Seeds) != 2 {
		t.Errorf("chain: %d links, %d test rows, seeds %v", len(ch.Links), ch.Examples, ch.Seeds)
	}
	if _, err := RunChain(context.Background(), runners(t, sess, stage.ChessTask, 0), ladder, "logconf"); err == nil {
		t.Error("a chess chain with the confidence loss")
	}
	// The ladder's table: each rung zero-shot and finetuned on gold (the
	// sweep's ceilings, read from the store).
	cl, err := RunChessLadder(context.Background(), runners(t, sess, stage.ChessTask, 0, 1), ladder)
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.Rungs) != 3 || cl.Examples != b.Chess.NTest || cl.Rungs[0].Params <= 0 || cl.Rungs[2].Params <= cl.Rungs[0].Params {
		t.Fatalf("ladder %+v", cl)
	}
	for _, r := range cl.Rungs {
		for _, v := range []metrics.Float{r.ZeroShot.Estimate, r.Gold.Estimate, r.ZeroShotLegal, r.GoldLegal} {
			if !(v >= 0 && v <= 1) {
				t.Errorf("rung %+v", r)
			}
		}
		if s, ok := sw.Find(ladder[0], r.Model, "xent"); ok && s.CeilingAcc.Estimate != r.Gold.Estimate {
			t.Errorf("%s: finetuned on gold %v, the sweep's ceiling %v", r.Model, r.Gold.Estimate, s.CeilingAcc.Estimate)
		}
	}
	text.Reset()
	if err := cl.Table().WriteText(&text); err != nil || !strings.Contains(text.String(), "accuracy, zero-shot") {
		t.Errorf("ladder table (%v):\n%s", err, text.String())
	}
	// A budget's LadderDocs gives the ladder's table a larger half B of
	// its own; the caller's runners keep the sweep's.
	lr := runners(t, sess, stage.ChessTask, 0)
	lb := lr[0].Budget
	lb.Chess.LadderDocs = 2 * b.Chess.NDocs
	lr[0] = lr[0].WithBudget(lb)
	big, err := RunChessLadder(context.Background(), lr, ladder[:2])
	if err != nil {
		t.Fatal(err)
	}
	if cl.Puzzles != b.Chess.NDocs/2 || big.Puzzles != b.Chess.NDocs || lr[0].Budget.Chess.NDocs != b.Chess.NDocs {
		t.Errorf("finetuned on %d and %d gold puzzles (want %d and %d); the caller's runner now has NDocs %d",
			cl.Puzzles, big.Puzzles, b.Chess.NDocs/2, b.Chess.NDocs, lr[0].Budget.Chess.NDocs)
	}
	text.Reset()
	if err := big.Table().WriteText(&text); err != nil || !strings.Contains(text.String(), fmt.Sprintf("finetuned on %d gold puzzles", b.Chess.NDocs)) {
		t.Errorf("ladder table (%v):\n%s", err, text.String())
	}
}

package analysis

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/w2s-lab/w2s/w2s/chess"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// ChessTable is what a chess sweep adds to its summary: for every pair,
// how often each model's generated move is legal in the position, and
// the test accuracy of the supervisor, the student and the ceiling by
// puzzle rating band (means over seeds).
func ChessTable(sw *Sweep) *table.Table {
	t := &table.Table{Caption: sw.Scope() + "; means over seeds",
		Header: []string{"weak", "strong", "legal: weak", "student", "ceiling"}}
	for _, b := range chess.Bands {
		t.Header = append(t.Header, "acc "+b+": weak / student / ceiling")
	}
	for _, s := range sw.Summary {
		var legal [3][]float64
		band := map[string][3][]float64{}
		rows := map[string]int{}
		for _, r := range sw.Rows {
			if r.WeakModel != s.WeakModel || r.StrongModel != s.StrongModel || !r.Loss.Same(s.Loss) || r.Chess == nil {
				continue
			}
			for k := range 3 {
				legal[k] = append(legal[k], float64(r.Chess.Legal[k]))
			}
			for b, acc := range r.Chess.BandAccuracy {
				v := band[b]
				for k := range 3 {
					v[k] = append(v[k], float64(acc[k]))
				}
				band[b], rows[b] = v, r.Chess.BandRows[b]
			}
		}
		row := []string{zoo.Short(s.WeakModel), zoo.Short(s.StrongModel)}
		for k := range 3 {
			row = append(row, fmt.Sprintf("%.3f", metrics.Mean(legal[k])))
		}
		for _, b := range chess.Bands {
			v, ok := band[b]
			if !ok {
				row = append(row, "—")
				continue
			}
			row = append(row, fmt.Sprintf("%.3f / %.3f / %.3f (%d)", metrics.Mean(v[0]), metrics.Mean(v[1]), metrics.Mean(v[2]), rows[b]))
		}
		t.Add(row...)
	}
	t.Notes = append(t.Notes, "legal: the share of test puzzles whose generated move is legal in the position; acc: the first move exactly, by the puzzle's rating (test puzzles per band in brackets)")
	return t
}

// ChessRung is one rung of a chess ladder on the test puzzles: pretrained
// only (zero-shot: the model reads the position and writes the move it
// learnt to expect from game text) and finetuned on gold puzzles (the
// ceiling of every pair it is the strong model of).
type ChessRung struct {
	Model         string
	Params        int              // non-embedding parameters
	ZeroShotLegal metrics.Float    // share of legal moves, zero-shot
	ZeroShot      metrics.Interval // accuracy zero-shot (test rows; the same for every seed)
	GoldLegal     metrics.Float    // share of legal moves, finetuned on gold (mean over seeds)
	Gold          metrics.Interval // accuracy finetuned on gold half B (test rows × seeds)
}

// ChessLadder is how a chess ladder does on the puzzles, rung by rung,
// and how far apart its ends are once finetuned.
type ChessLadder struct {
	Scale    string
	Seeds    []uint64
	Examples int
	Puzzles  int // gold puzzles each finetune reads (half B)
	Rungs    []ChessRung
	// Span is the top rung's finetuned accuracy minus the bottom's, paired
	// over test rows and seeds.
	Span metrics.Interval
}

// RunChessLadder scores every model zero-shot and finetuned on gold half
// B, one runner per seed (stages are stored: the finetunes are the
// sweeps' ceilings, unless the budget's Chess.LadderDocs gives the
// ladder's table a larger half B of its own).
func RunChessLadder(ctx context.Context, runners []*stage.Runner, models []string) (*ChessLadder, error) {
	if len(runners) == 0 || len(models) < 2 {
		return nil, fmt.Errorf("chess ladder: need runners and at least two models (got %d runners, models %v)", len(runners), models)
	}
	cl := &ChessLadder{Scale: runners[0].Budget.Scale}
	runners = slices.Clone(runners)
	for i, r := range runners {
		cl.Seeds = append(cl.Seeds, r.Seed)
		if n := r.Budget.Chess.LadderDocs; n > 0 {
			b := r.Budget
			b.Chess.NDocs = n
			runners[i] = r.WithBudget(b)
		}
	}
	cl.Puzzles = runners[0].Budget.Chess.NDocs / 2
	gold := make([][]metrics.Hits, len(models))
	for i, m := range models {
		zs, err := runners[0].ChessZeroShot(ctx, m, stage.SetTest)
		if err != nil {
			return nil, err
		}
		zh, err := runners[0].ChessHits(ctx, zs, stage.SetTest)
		if err != nil {
			return nil, err
		}
		rung := ChessRung{Model: m, Params: zs.Trained.Info.NonEmbeddingParams}
		if rung.ZeroShot, err = metrics.CrossedMean(metrics.HitsMatrix([]metrics.Hits{zh}), Level); err != nil {
			return nil, err
		}
		if rung.ZeroShotLegal, err = runners[0].ChessLegal(ctx, zs, stage.SetTest); err != nil {
			return nil, err
		}
		var legal []float64
		for _, r := range runners {
			mv, h, err := r.ChessTrainAndTest(ctx, m, stage.SetB, nil)
			if err != nil {
				return nil, err
			}
			l, err := r.ChessLegal(ctx, mv, stage.SetTest)
			if err != nil {
				return nil, err
			}
			gold[i], legal = append(gold[i], h), append(legal, float64(l))
		}
		rung.GoldLegal = metrics.Float(metrics.Mean(legal))
		if rung.Gold, err = metrics.CrossedMean(metrics.HitsMatrix(gold[i]), Level); err != nil {
			return nil, err
		}
		cl.Examples = len(zh)
		cl.Rungs = append(cl.Rungs, rung)
	}
	var err error
	cl.Span, err = metrics.PairedDiff(gold[len(models)-1], gold[0], Level)
	return cl, err
}

// Table is the ladder rung by rung, with the span of its ends.
func (cl *ChessLadder) Table() *table.Table {
	t := &table.Table{Caption: fmt.Sprintf("chess_puzzles, scale %s: %d test puzzles; zero-shot is one pass (intervals over test rows), finetuned on %d gold puzzles over seeds %v; %s",
		cl.Scale, cl.Examples, cl.Puzzles, cl.Seeds, IntervalNote),
		Header: []string{"model", "non-embedding params", "legal, zero-shot", "accuracy, zero-shot", "legal, finetuned", "accuracy, finetuned on gold"}}
	for _, r := range cl.Rungs {
		t.Add(zoo.Short(r.Model), fmt.Sprint(r.Params), fmt.Sprintf("%.3f", r.ZeroShotLegal), ivs(r.ZeroShot), fmt.Sprintf("%.3f", r.GoldLegal), ivs(r.Gold))
	}
	t.Notes = append(t.Notes, fmt.Sprintf("finetuned accuracy, top − bottom: %s; accuracy: the first move exactly; legal: the generated move is legal in the position", ivs(cl.Span)))
	return t
}

// ChessExample is one test puzzle with the moves a supervisor and its
// student generated for it (one seed).
type ChessExample struct {
	Puzzle                        chess.Puzzle
	Supervisor, Student           string // the models
	SupervisorMove, StudentMove   string // as generated
	SupervisorRight, StudentRight bool
}

// Caption says what the example shows: the puzzle, and who found the
// solution.
func (e ChessExample) Caption() string {
	verdict := func(model, move string, right bool) string {
		move = strings.TrimSpace(move)
		switch {
		case right:
			return fmt.Sprintf("%s plays %s, the solution", zoo.Short(model), move)
		case !chess.Legal(e.Puzzle.FEN, move):
			return fmt.Sprintf("%s writes %q, no legal move", zoo.Short(model), move)
		}
		return fmt.Sprintf("%s plays %s", zoo.Short(model), move)
	}
	side := map[string]string{"w": "White", "b": "Black"}[e.Puzzle.ToMove]
	return fmt.Sprintf("Puzzle %s (rating %d, %s to move after %s): solution %s; supervisor %s; student %s.",
		e.Puzzle.ID, e.Puzzle.Rating, side, e.Puzzle.Last, e.Puzzle.Target,
		verdict(e.Supervisor, e.SupervisorMove, e.SupervisorRight), verdict(e.Student, e.StudentMove, e.StudentRight))
}

// ChessExamples picks n test puzzles of the runner's seed to look at, in
// turn one the student solves and its supervisor does not, one both
// solve, one only the supervisor solves and one both miss (the first of
// each in test order; a kind with none left is skipped). The stages run
// as a sweep's would, so after a sweep they come from the store.
func ChessExamples(ctx context.Context, r *stage.Runner, weak, strong string, n int) ([]ChessExample, error) {
	labels, err := r.ChessSupervise(ctx, weak)
	if err != nil {
		return nil, err
	}
	sm, _, err := r.ChessTrainAndTest(ctx, strong, stage.SetB, labels)
	if err != nil {
		return nil, err
	}
	test, err := r.ChessPuzzles(ctx, stage.SetTest)
	if err != nil {
		return nil, err
	}
	all := make([]ChessExample, len(test))
	for i, p := range test {
		e := ChessExample{Puzzle: p, Supervisor: weak, Student: strong, SupervisorMove: labels.Sets[stage.SetTest][i], StudentMove: sm.Sets[stage.SetTest][i]}
		e.SupervisorRight, _ = p.Score(e.SupervisorMove)
		e.StudentRight, _ = p.Score(e.StudentMove)
		all[i] = e
	}
	kinds := []func(ChessExample) bool{
		func(e ChessExample) bool { return e.StudentRight && !e.SupervisorRight },
		func(e ChessExample) bool { return e.StudentRight && e.SupervisorRight },
		func(e ChessExample) bool { return !e.StudentRight && e.SupervisorRight },
		func(e ChessExample) bool { return !e.StudentRight && !e.SupervisorRight },
	}
	used := make([]bool, len(all))
	var out []ChessExample
	for found := true; len(out) < n && found; {
		found = false
		for _, kind := range kinds {
			for i, e := range all {
				if !used[i] && kind(e) {
					used[i], found = true, true
					out = append(out, e)
					break
				}
			}
			if len(out) == n {
				break
			}
		}
	}
	return out, nil
}

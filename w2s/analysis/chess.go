package analysis

import (
	"fmt"

	"github.com/w2s-lab/w2s/w2s/chess"
	"github.com/w2s-lab/w2s/w2s/metrics"
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

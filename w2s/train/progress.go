package train

import (
	"time"

	"github.com/w2s-lab/w2s/w2s/backend"
)

// Progress is told about a run as it goes: Start once (with the steps
// already done, after a resume), Update after each step, Done at the end.
type Progress interface {
	Start(done, total int)
	Update(done int, p Point)
	Done()
}

// CompileNote is ", compiled 3 graphs in 4.2s" (empty when nothing was
// compiled), for progress lines.
func CompileNote(c backend.Compilation) string {
	if c.Graphs == 0 {
		return ""
	}
	return ", " + c.String()
}

// StepRate is steps per second over an interval, compilation left out.
func StepRate(steps int, elapsed time.Duration, c backend.Compilation) float64 {
	run := (elapsed - c.Time).Seconds()
	if steps <= 0 || run <= 0 {
		return 0
	}
	return float64(steps) / run
}

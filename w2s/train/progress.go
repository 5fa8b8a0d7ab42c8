package train

import (
	"fmt"
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
	switch c.Graphs {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(", compiled 1 graph in %s", c.Time.Round(100*time.Millisecond))
	}
	return fmt.Sprintf(", compiled %d graphs in %s", c.Graphs, c.Time.Round(100*time.Millisecond))
}

// StepRate is steps per second over an interval, compilation left out.
func StepRate(steps int, elapsed time.Duration, c backend.Compilation) float64 {
	run := (elapsed - c.Time).Seconds()
	if steps <= 0 || run <= 0 {
		return 0
	}
	return float64(steps) / run
}

package analysis

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/nanjson"
)

// TaskMedian is one (weak, strong, loss) cell summarised over tasks, as the
// paper reports NLP results: the median over tasks of each task's mean over
// seeds. Tasks whose PGR is undefined in every seed are left out of the PGR
// median and counted.
type TaskMedian struct {
	Weak, Strong, Loss       string
	Tasks                    []string // in the order of the sweeps
	PGR                      float64  // median over the tasks with a defined PGR; NaN if none
	PGRTasks                 int      // how many tasks that median is over
	PGRs                     []float64
	Weak_, Student, Ceiling  float64 // medians of the per-task mean accuracies
	Agreement, AgreeWrong    float64 // medians
	UndefinedPGRTasks        int
	MinPGR, MaxPGR           float64 // range over the tasks with a defined PGR
	StudentAboveWeak, NTasks int     // tasks where the student beat its supervisor
}

// MedianOverTasks combines sweeps of different tasks: one row per (weak,
// strong, loss) found in every sweep, in the order of the first sweep. Models
// are matched by name, so the sweeps must share their ladder.
func MedianOverTasks(sweeps []*Sweep) ([]TaskMedian, error) {
	if len(sweeps) == 0 {
		return nil, fmt.Errorf("median over tasks: no sweeps")
	}
	type key struct{ w, s, l string }
	cells := make([]map[key]Summary, len(sweeps))
	seen := map[string]bool{}
	for i, sw := range sweeps {
		if seen[sw.Spec.Task] {
			return nil, fmt.Errorf("median over tasks: task %s twice", sw.Spec.Task)
		}
		seen[sw.Spec.Task] = true
		cells[i] = map[key]Summary{}
		for _, s := range sw.Summary {
			cells[i][key{s.Weak, s.Strong, s.Loss}] = s
		}
	}
	var out []TaskMedian
	for _, s0 := range sweeps[0].Summary {
		k := key{s0.Weak, s0.Strong, s0.Loss}
		m := TaskMedian{Weak: k.w, Strong: k.s, Loss: k.l, NTasks: len(sweeps), MinPGR: math.NaN(), MaxPGR: math.NaN()}
		var pgr, weak, stu, ceil, ag, agW []float64
		for i, sw := range sweeps {
			s, ok := cells[i][k]
			if !ok {
				return nil, fmt.Errorf("median over tasks: task %s has no %s → %s with %s", sw.Spec.Task, k.w, k.s, k.l)
			}
			m.Tasks = append(m.Tasks, sw.Spec.Task)
			m.PGRs = append(m.PGRs, s.PGR.Estimate)
			if math.IsNaN(s.PGR.Estimate) {
				m.UndefinedPGRTasks++
			} else {
				pgr = append(pgr, s.PGR.Estimate)
			}
			if s.Student > s.Weak_ {
				m.StudentAboveWeak++
			}
			weak, stu, ceil = append(weak, s.Weak_), append(stu, s.Student), append(ceil, s.Ceiling)
			ag, agW = append(ag, s.Agreement), append(agW, s.AgreeWrong)
		}
		m.PGR, m.PGRTasks = math.NaN(), len(pgr)
		if len(pgr) > 0 {
			m.PGR = metrics.Median(pgr)
			m.MinPGR, m.MaxPGR = slices.Min(pgr), slices.Max(pgr)
		}
		m.Weak_, m.Student, m.Ceiling = metrics.Median(weak), metrics.Median(stu), metrics.Median(ceil)
		m.Agreement, m.AgreeWrong = metrics.Median(ag), metrics.Median(agW)
		out = append(out, m)
	}
	return out, nil
}

// TaskMedianTable writes the medians as an aligned text table.
func TaskMedianTable(w io.Writer, ms []TaskMedian) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "weak\tstrong\tloss\ttasks\tmedian weak\tmedian student\tmedian ceiling\tmedian PGR\tPGR range\tstudent > weak\tmedian agree\tmedian agree|weak wrong\t")
	for _, m := range ms {
		pgr, rng := "undefined", ""
		if m.PGRTasks > 0 {
			pgr = fmt.Sprintf("%.3f", m.PGR)
			rng = fmt.Sprintf("[%.3f, %.3f]", m.MinPGR, m.MaxPGR)
		}
		if m.UndefinedPGRTasks > 0 {
			pgr += fmt.Sprintf(" (%d of %d tasks undefined)", m.UndefinedPGRTasks, m.NTasks)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%s\t%s\t%d of %d\t%.3f\t%.3f\t\n", short(m.Weak), short(m.Strong), shortLoss(m.Loss), m.NTasks,
			m.Weak_, m.Student, m.Ceiling, pgr, rng, m.StudentAboveWeak, m.NTasks, m.Agreement, m.AgreeWrong)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ms) > 0 {
		_, err := fmt.Fprintf(w, "tasks: %s\n", strings.Join(ms[0].Tasks, ", "))
		return err
	}
	return nil
}

// WriteTaskMedians writes the medians, with every task's PGR, as JSON
// (undefined values are null).
func WriteTaskMedians(path string, ms []TaskMedian) error {
	js, err := nanjson.MarshalIndent(ms, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, js)
}

package analysis

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// TaskMedian is one (weak, strong, loss) cell summarised over tasks, as the
// paper reports NLP results: the median over tasks of each task's PGR
// (computed from its seed-averaged accuracies), with an interval carrying
// each task's own uncertainty (metrics.MedianPGR). Tasks whose gap is too
// small to measure (or absent) are left out of the PGR median and counted;
// tasks the ladder does not learn at this scale (Sweep.Learnt) are left
// out of every median and listed apart.
type TaskMedian struct {
	WeakModel   string           `json:"weak_model"`
	StrongModel string           `json:"strong_model"`
	Loss        losses.Spec      `json:"loss"`
	Tasks       []string         `json:"tasks"`     // in the order of the sweeps
	TestRows    []int            `json:"test_rows"` // each task's test rows
	Scale       string           `json:"scale"`
	Seeds       []uint64         `json:"seeds"`      // every task's
	PGRs        []metrics.Float  `json:"pgrs"`       // each task's PGR (null: not measurable)
	PGR         metrics.Float    `json:"median_pgr"` // median over the measurable tasks; null if none
	PGRInterval metrics.Interval `json:"median_pgr_interval"`
	PGRTasks    int              `json:"pgr_tasks"`   // how many tasks that median is over
	MinPGR      metrics.Float    `json:"min_pgr"`     // range over those tasks
	MaxPGR      metrics.Float    `json:"max_pgr"`     //
	WeakAcc     metrics.Float    `json:"median_weak"` // medians of the per-task seed means
	StudentAcc  metrics.Float    `json:"median_student"`
	CeilingAcc  metrics.Float    `json:"median_ceiling"`
	Agree       metrics.Float    `json:"median_agree"`
	AgreeWrong  metrics.Float    `json:"median_agree_weak_wrong"`
	Beat        int              `json:"tasks_student_beat_weak"` // tasks where the student beat its supervisor (interval above zero)
	NTasks      int              `json:"n_tasks"`                 // learnt tasks, those the medians are over
	// NotLearnt lists the tasks left out because no ceiling beats always
	// answering the majority class by GapSEs standard errors.
	NotLearnt []string `json:"not_learnt,omitempty"`
	// Swept is every task swept with its test rows ("sst2 1821"), learnt
	// or not, in the order of the sweeps.
	Swept        []string `json:"swept"`
	StrongParams int      `json:"strong_params"`
	WeakParams   int      `json:"weak_params"`
}

// MedianOverTasks combines sweeps of different tasks: one row per (weak,
// strong, loss) found in every sweep, in the order of the first sweep.
// Models are matched by name, so the sweeps must share their ladder.
func MedianOverTasks(sweeps []*Sweep) ([]TaskMedian, error) {
	if len(sweeps) == 0 {
		return nil, fmt.Errorf("median over tasks: no sweeps")
	}
	seen := map[string]bool{}
	first := sweeps[0].Spec
	for _, sw := range sweeps {
		if seen[sw.Spec.Task] {
			return nil, fmt.Errorf("median over tasks: task %s twice", sw.Spec.Task)
		}
		seen[sw.Spec.Task] = true
		if sw.Spec.Scale != first.Scale || !slices.Equal(sw.Spec.Seeds, first.Seeds) {
			return nil, fmt.Errorf("median over tasks: task %s has scale %s, seeds %v; task %s scale %s, seeds %v",
				first.Task, first.Scale, first.Seeds, sw.Spec.Task, sw.Spec.Scale, sw.Spec.Seeds)
		}
	}
	var learnt []*Sweep
	var notLearnt []string
	for _, sw := range sweeps {
		if sw.Learnt() {
			learnt = append(learnt, sw)
		} else {
			notLearnt = append(notLearnt, sw.Spec.Task)
		}
	}
	var out []TaskMedian
	for _, s0 := range sweeps[0].Summary {
		m := TaskMedian{WeakModel: s0.WeakModel, StrongModel: s0.StrongModel, Loss: s0.Loss, NTasks: len(learnt), Scale: first.Scale, Seeds: first.Seeds,
			MinPGR: metrics.NaN(), MaxPGR: metrics.NaN(), WeakParams: s0.WeakParams, StrongParams: s0.StrongParams, NotLearnt: notLearnt}
		for _, sw := range sweeps {
			s, ok := sw.Find(s0.WeakModel, s0.StrongModel, s0.Loss)
			if !ok {
				return nil, fmt.Errorf("median over tasks: task %s has no %s → %s with %s", sw.Spec.Task, s0.WeakModel, s0.StrongModel, s0.Loss.Short())
			}
			m.Swept = append(m.Swept, fmt.Sprintf("%s %d", sw.Spec.Task, s.Examples))
		}
		var pgr, weak, stu, ceil, ag, agW []float64
		var measurable []metrics.PairedPGR
		for _, sw := range learnt {
			s, _ := sw.Find(s0.WeakModel, s0.StrongModel, s0.Loss)
			m.Tasks, m.TestRows = append(m.Tasks, sw.Spec.Task), append(m.TestRows, s.Examples)
			m.PGRs = append(m.PGRs, s.PGR.Estimate)
			if s.Measurable {
				pgr = append(pgr, float64(s.PGR.Estimate))
				measurable = append(measurable, s.PairedPGR)
			}
			if s.StudentVerdict() == metrics.Beat {
				m.Beat++
			}
			weak = append(weak, float64(s.WeakAcc.Estimate))
			stu = append(stu, float64(s.StudentAcc.Estimate))
			ceil = append(ceil, float64(s.CeilingAcc.Estimate))
			ag, agW = append(ag, float64(s.Agree.Estimate)), append(agW, float64(s.AgreeWrong.Estimate))
		}
		m.PGR, m.PGRTasks = metrics.NaN(), len(pgr)
		m.PGRInterval = metrics.MedianPGR(measurable, Level, 1)
		if len(pgr) > 0 {
			m.PGR = metrics.Float(metrics.Median(pgr))
			m.MinPGR, m.MaxPGR = metrics.Float(slices.Min(pgr)), metrics.Float(slices.Max(pgr))
		}
		med := func(xs []float64) metrics.Float { return metrics.Float(metrics.Median(xs)) }
		m.WeakAcc, m.StudentAcc, m.CeilingAcc = med(weak), med(stu), med(ceil)
		m.Agree, m.AgreeWrong = med(ag), med(agW)
		out = append(out, m)
	}
	return out, nil
}

// MedianTable is one row per (weak, strong, loss) of medians over tasks.
func MedianTable(ms []TaskMedian) *table.Table {
	t := &table.Table{Header: []string{"weak", "strong", "loss", "tasks", "median weak", "median student", "median ceiling", "median PGR [95%]",
		"PGR range over tasks", "student beat weak", "median agree", "median agree | weak wrong"}}
	for _, m := range ms {
		pgr, rng := "no task measurable", "—"
		if m.PGRTasks > 0 {
			pgr = fmt.Sprintf("%s (%d of %d tasks)", ivs(m.PGRInterval), m.PGRTasks, m.NTasks)
			rng = fmt.Sprintf("%.3f to %.3f", m.MinPGR, m.MaxPGR)
		}
		t.Add(zoo.Short(m.WeakModel), zoo.Short(m.StrongModel), m.Loss.Short(), fmt.Sprint(m.NTasks),
			fmt.Sprintf("%.3f", m.WeakAcc), fmt.Sprintf("%.3f", m.StudentAcc), fmt.Sprintf("%.3f", m.CeilingAcc), pgr, rng,
			fmt.Sprintf("%d of %d", m.Beat, m.NTasks), fmt.Sprintf("%.3f", m.Agree), fmt.Sprintf("%.3f", m.AgreeWrong))
	}
	if len(ms) > 0 {
		note := ""
		if len(ms[0].NotLearnt) > 0 {
			note = fmt.Sprintf("; not learnt at this scale (no ceiling beats the majority class by %g standard errors), left out: %s", metrics.GapSEs, strings.Join(ms[0].NotLearnt, ", "))
		}
		t.Caption = fmt.Sprintf("%s; a task's PGR counts only where its gap is measurable (≥ %g standard errors); the median's interval carries each task's own uncertainty (tasks fixed)%s", ms[0].Scope(), metrics.GapSEs, note)
	}
	return t
}

// Scope is what a median rests on: "scale cpu, seeds [0 1 2 3 4]; test
// rows: sst2 1821, imdb 2000", for captions.
func (m TaskMedian) Scope() string {
	return fmt.Sprintf("scale %s, seeds %v; test rows: %s", m.Scale, m.Seeds, strings.Join(m.Swept, ", "))
}

// WriteTaskMedians writes the medians, with every task's PGR, as JSON
// (undefined values are null).
func WriteTaskMedians(path string, ms []TaskMedian) error {
	js, err := json.MarshalIndent(ms, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(js, '\n'))
}

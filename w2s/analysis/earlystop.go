package analysis

import (
	"context"
	"fmt"
	"strings"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// StopPoint is the student at one evaluation.
type StopPoint struct {
	Step    int           `json:"step"`
	TestAcc metrics.Float `json:"test_acc"`
}

// SeedStops is one seed's training curve and where each rule stops it.
type SeedStops struct {
	Seed                    uint64             `json:"seed"`
	Curve                   []stage.CurvePoint `json:"curve"`
	WeakAcc, CeilingAcc     metrics.Float
	Final, Honest, Cheating StopPoint
}

// EarlyStopping compares, for one weak→strong student over seeds, the final
// model with early stopping chosen two ways:
//
//   - honest: at the evaluation with the lowest value of the student's own
//     loss on the weak-labelled validation slice (losses.Validation:
//     cross-entropy against the weak labels for xent; for logconf its own
//     objective, which does not count against it the disagreement with weak
//     labels that it asks for) — information a real supervisor has;
//   - cheating: at the best gold test accuracy — an upper bound no real
//     experiment could use, shown only as such.
//
// Accuracies are means over the curve's test rows and the seeds, with
// intervals over both (the crossed design of metrics.Design); gains are
// paired differences on the same rows and seeds; PGR at each stopping
// point is a ratio of those means with Fieller's interval, reported only
// when the gap on those rows is measurable (see metrics.PairedPGR).
type EarlyStopping struct {
	Task        string      `json:"task"`
	WeakModel   string      `json:"weak_model"`
	StrongModel string      `json:"strong_model"`
	Loss        losses.Spec `json:"loss"`
	Criterion   string      `json:"criterion"` // the honest rule in words
	Examples    int         `json:"examples"`  // test rows of every accuracy here
	Evals       int         `json:"evals"`     // evaluations per training
	Seeds       []SeedStops `json:"seeds"`

	WeakAcc, CeilingAcc     metrics.Interval
	Final, Honest, Cheating metrics.Interval // test accuracy at each stopping point
	HonestGain              metrics.Interval // honest − final, paired over rows and seeds
	CheatingGain            metrics.Interval // cheating − final, paired over rows and seeds
	// PGR at each stopping point, on the curve's test rows; not measurable
	// when the gap there is too small (FinalPGR says why).
	FinalPGR, HonestPGR, CheatingPGR metrics.PairedPGR
	PeakedBeforeEnd                  int // seeds whose best test accuracy came before the last evaluation
	HonestAtEnd, CheatingEnd         int // seeds where the rule chose the last evaluation
	// Curve is the student's test accuracy at each evaluation, over the
	// curve's test rows and the seeds.
	Curve []CurveMean `json:"curve"`
}

// CurveMean is the student at one evaluation over seeds: its step, the
// fraction of training done, and its test accuracy.
type CurveMean struct {
	Step     int              `json:"step"`
	Fraction float64          `json:"fraction"`
	Acc      metrics.Interval `json:"acc"`
}

// Criterion names the honest early-stopping rule of a loss.
func Criterion(loss losses.Spec) string {
	name := loss.Short()
	switch {
	case len(name) >= 7 && name[:7] == "logconf":
		return "lowest logconf objective (its own loss at full α) on the weak-labelled validation slice"
	case name == "xent":
		return "lowest cross-entropy against the weak labels of the validation slice"
	}
	return fmt.Sprintf("lowest %s loss on the weak-labelled validation slice", name)
}

// RunEarlyStopping runs (or fetches) the pipeline for every runner (one per
// seed) and reads the students' training curves; the runners' Budget.Evals
// sets how many evaluations.
func RunEarlyStopping(ctx context.Context, runners []*stage.Runner, weak, strong string, loss losses.Spec) (*EarlyStopping, error) {
	var results []*stage.Result
	for _, r := range runners {
		res, err := r.Run(ctx, weak, strong, loss)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	return EarlyStoppingFrom(results)
}

// EarlyStoppingFrom analyses the curves of pipeline results of one
// (weak, strong, loss), one per seed.
func EarlyStoppingFrom(results []*stage.Result) (*EarlyStopping, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("early stopping: no results")
	}
	r0 := results[0]
	es := &EarlyStopping{Task: r0.Task, WeakModel: r0.WeakModel, StrongModel: r0.StrongModel, Loss: r0.Loss,
		Criterion: Criterion(r0.Loss), Examples: r0.CurveTest, Evals: len(r0.StudentCurve)}
	if es.Examples == 0 {
		es.Examples = r0.Counts.Test
	}
	var final, honest, cheat []metrics.SeedHits
	for _, res := range results {
		if len(res.StudentCurve) == 0 {
			return nil, fmt.Errorf("early stopping: the student of %s → %s (seed %d) has no evaluations (set Budget.Evals)", res.WeakModel, res.StrongModel, res.Seed)
		}
		s := SeedStops{Seed: res.Seed, Curve: res.StudentCurve, WeakAcc: res.WeakCurveAcc, CeilingAcc: res.CeilingCurveAcc}
		last := res.StudentCurve[len(res.StudentCurve)-1]
		h, c := last, last
		for _, p := range res.StudentCurve {
			if p.ValLossWeak.Defined() && (!h.ValLossWeak.Defined() || p.ValLossWeak < h.ValLossWeak) {
				h = p
			}
			if p.TestAcc > c.TestAcc {
				c = p
			}
		}
		s.Final, s.Honest, s.Cheating = StopPoint{last.Step, last.TestAcc}, StopPoint{h.Step, h.TestAcc}, StopPoint{c.Step, c.TestAcc}
		if c.Step != last.Step {
			es.PeakedBeforeEnd++
		}
		if h.Step == last.Step {
			es.HonestAtEnd++
		}
		if c.Step == last.Step {
			es.CheatingEnd++
		}
		es.Seeds = append(es.Seeds, s)
		n := len(last.TestHits)
		if n == 0 || len(h.TestHits) != n || len(c.TestHits) != n || len(res.Hits.Weak) < n || len(res.Hits.Ceiling) < n {
			return nil, fmt.Errorf("early stopping: the student of %s → %s (seed %d) has no per-row test results at its evaluations (a result of an older version: run it again)", res.WeakModel, res.StrongModel, res.Seed)
		}
		at := func(student metrics.Hits) metrics.SeedHits {
			return metrics.SeedHits{Weak: res.Hits.Weak[:n], Student: student, Ceiling: res.Hits.Ceiling[:n]}
		}
		final, honest, cheat = append(final, at(last.TestHits)), append(honest, at(h.TestHits)), append(cheat, at(c.TestHits))
	}
	var err error
	if es.Curve, err = meanCurve(results); err != nil {
		return nil, err
	}
	if es.FinalPGR, err = metrics.ComputePairedPGR(final, Level); err != nil {
		return nil, err
	}
	if es.HonestPGR, err = metrics.ComputePairedPGR(honest, Level); err != nil {
		return nil, err
	}
	if es.CheatingPGR, err = metrics.ComputePairedPGR(cheat, Level); err != nil {
		return nil, err
	}
	es.WeakAcc, es.CeilingAcc = es.FinalPGR.WeakAcc, es.FinalPGR.CeilingAcc
	es.Final, es.Honest, es.Cheating = es.FinalPGR.StudentAcc, es.HonestPGR.StudentAcc, es.CheatingPGR.StudentAcc
	students := func(sh []metrics.SeedHits) []metrics.Hits {
		var out []metrics.Hits
		for _, x := range sh {
			out = append(out, x.Student)
		}
		return out
	}
	if es.HonestGain, err = metrics.PairedDiff(students(honest), students(final), Level); err != nil {
		return nil, err
	}
	if es.CheatingGain, err = metrics.PairedDiff(students(cheat), students(final), Level); err != nil {
		return nil, err
	}
	return es, nil
}

// meanCurve is the students' accuracy at each evaluation, over rows and
// seeds (the seeds share their evaluation steps).
func meanCurve(results []*stage.Result) ([]CurveMean, error) {
	c0 := results[0].StudentCurve
	last := float64(c0[len(c0)-1].Step)
	var out []CurveMean
	for k, p := range c0 {
		var hits []metrics.Hits
		for _, res := range results {
			if k >= len(res.StudentCurve) || res.StudentCurve[k].Step != p.Step {
				return nil, fmt.Errorf("early stopping: seed %d evaluates at other steps than seed %d", res.Seed, results[0].Seed)
			}
			hits = append(hits, res.StudentCurve[k].TestHits)
		}
		acc, err := metrics.CrossedMean(metrics.HitsMatrix(hits), Level)
		if err != nil {
			return nil, fmt.Errorf("early stopping, evaluation at step %d: %w", p.Step, err)
		}
		out = append(out, CurveMean{Step: p.Step, Fraction: float64(p.Step) / last, Acc: acc})
	}
	return out, nil
}

// Caption says what the numbers rest on and how each stop is chosen.
func (es *EarlyStopping) Caption() string {
	seeds := make([]uint64, len(es.Seeds))
	for i, s := range es.Seeds {
		seeds[i] = s.Seed
	}
	return fmt.Sprintf("%s: %s → %s, %s; %d evaluations per training on %d test rows, seeds %v; %s; honest stop: %s; cheating stop: best test accuracy (uses test labels: an upper bound, not a method)",
		es.Task, zoo.Short(es.WeakModel), zoo.Short(es.StrongModel), es.Loss.Short(), es.Evals, es.Examples, seeds, IntervalNote, es.Criterion)
}

// Table is the stopping points over rows and seeds, each seed's curve as a
// note.
func (es *EarlyStopping) Table() *table.Table {
	t := &table.Table{Caption: es.Caption(), Header: []string{"stopping point", "test accuracy [95%]", "vs final", "PGR [95%]"}}
	t.Add("final", ivs(es.Final), "", es.FinalPGR.String())
	t.Add("honest", ivs(es.Honest), ivs(es.HonestGain), es.HonestPGR.String())
	t.Add("cheating (test labels)", ivs(es.Cheating), ivs(es.CheatingGain), es.CheatingPGR.String())
	t.Add("supervisor / ceiling", ivs(es.WeakAcc)+" / "+ivs(es.CeilingAcc), "", "")
	for _, s := range es.Seeds {
		var b strings.Builder
		fmt.Fprintf(&b, "seed %d (step: test accuracy, val loss vs weak labels):", s.Seed)
		for _, p := range s.Curve {
			fmt.Fprintf(&b, " %d: %.3f, %.4f;", p.Step, p.TestAcc, p.ValLossWeak)
		}
		fmt.Fprintf(&b, " final step %d, honest %d, cheating %d", s.Final.Step, s.Honest.Step, s.Cheating.Step)
		t.Notes = append(t.Notes, b.String())
	}
	return t
}

package analysis

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
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
// Accuracies are means over seeds with intervals over seeds; PGRs come from
// the seed-averaged accuracies, and only when the final students' gap is
// measurable (see metrics.PairedPGR).
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
	HonestGain              metrics.Interval // honest − final, paired by seed
	CheatingGain            metrics.Interval // cheating − final, paired by seed
	// PGR at each stopping point, from the seed-averaged accuracies; NaN
	// when the gap is not measurable (FinalPGR says why).
	FinalPGR                 metrics.PairedPGR
	HonestPGR, CheatingPGR   metrics.Float
	PeakedBeforeEnd          int // seeds whose best test accuracy came before the last evaluation
	HonestAtEnd, CheatingEnd int // seeds where the rule chose the last evaluation
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
	var weak, ceil, final, honest, cheat, hGain, cGain []float64
	var hits []metrics.SeedHits
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
		weak, ceil = append(weak, float64(res.WeakCurveAcc)), append(ceil, float64(res.CeilingCurveAcc))
		final, honest, cheat = append(final, float64(last.TestAcc)), append(honest, float64(h.TestAcc)), append(cheat, float64(c.TestAcc))
		hGain, cGain = append(hGain, float64(h.TestAcc-last.TestAcc)), append(cGain, float64(c.TestAcc-last.TestAcc))
		hits = append(hits, res.Hits)
	}
	iv := func(xs []float64) metrics.Interval { return metrics.Bootstrap(xs, Level, Resamples, statsSeed) }
	es.WeakAcc, es.CeilingAcc = iv(weak), iv(ceil)
	es.Final, es.Honest, es.Cheating = iv(final), iv(honest), iv(cheat)
	es.HonestGain, es.CheatingGain = iv(hGain), iv(cGain)
	var err error
	if es.FinalPGR, err = metrics.ComputePairedPGR(hits, Level, Resamples, statsSeed); err != nil {
		return nil, err
	}
	es.HonestPGR, es.CheatingPGR = metrics.NaN(), metrics.NaN()
	if es.FinalPGR.Measurable && es.Examples == r0.Counts.Test {
		w, c := es.WeakAcc.Estimate, es.CeilingAcc.Estimate
		es.HonestPGR, es.CheatingPGR = (es.Honest.Estimate-w)/(c-w), (es.Cheating.Estimate-w)/(c-w)
	}
	return es, nil
}

// Caption says what the numbers rest on and how each stop is chosen.
func (es *EarlyStopping) Caption() string {
	return fmt.Sprintf("%s: %s → %s, %s; %d evaluations per training on %d test rows, seeds %d; honest stop: %s; cheating stop: best test accuracy (uses test labels: an upper bound, not a method)",
		es.Task, zoo.Short(es.WeakModel), zoo.Short(es.StrongModel), es.Loss.Short(), es.Evals, es.Examples, len(es.Seeds), es.Criterion)
}

// Table prints the stopping points over seeds and each seed's curve.
func (es *EarlyStopping) Table(w io.Writer) error {
	fmt.Fprintln(w, es.Caption())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stopping point\ttest accuracy [95% over seeds]\tvs final\tPGR\t")
	pgr := func(x metrics.Float) string {
		if !x.Defined() {
			return es.FinalPGR.String()
		}
		return fmt.Sprintf("%.3f", x)
	}
	fmt.Fprintf(tw, "final\t%s\t\t%s\t\n", ivs(es.Final), pgr(es.FinalPGR.PGR.Estimate))
	fmt.Fprintf(tw, "honest\t%s\t%s\t%s\t\n", ivs(es.Honest), ivs(es.HonestGain), pgr(es.HonestPGR))
	fmt.Fprintf(tw, "cheating (test labels)\t%s\t%s\t%s\t\n", ivs(es.Cheating), ivs(es.CheatingGain), pgr(es.CheatingPGR))
	fmt.Fprintf(tw, "supervisor / ceiling\t%s / %s\t\t\t\n", ivs(es.WeakAcc), ivs(es.CeilingAcc))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range es.Seeds {
		fmt.Fprintf(w, "seed %d (step: test accuracy, val loss vs weak labels):", s.Seed)
		for _, p := range s.Curve {
			fmt.Fprintf(w, " %d: %.3f, %.4f;", p.Step, p.TestAcc, p.ValLossWeak)
		}
		fmt.Fprintf(w, " final step %d, honest %d, cheating %d\n", s.Final.Step, s.Honest.Step, s.Cheating.Step)
	}
	return nil
}

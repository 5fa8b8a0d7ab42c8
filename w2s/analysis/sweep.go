// Package analysis runs the experiments of the paper on top of the stages:
// sweeps over (weak, strong, loss, seed), early stopping from training
// curves, and bootstrapping through intermediate sizes. Every number comes
// from stored stages, so re-running an analysis costs only what is new.
package analysis

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/nanjson"
	"github.com/w2s-lab/w2s/w2s/stage"
)

// SweepSpec is the product of models, losses and seeds on one task.
type SweepSpec struct {
	Task   string
	Scale  string
	Models []string // from weakest to strongest
	// Pairs, when set, lists (weak, strong) index pairs into Models;
	// otherwise every pair with weak before strong.
	Pairs  [][2]int
	Losses []string
	Seeds  []uint64
	Probe  bool
}

// PairIndices is Pairs, or every pair with weak before strong.
func (s SweepSpec) PairIndices() [][2]int {
	if s.Pairs != nil {
		return s.Pairs
	}
	var pairs [][2]int
	for i := range s.Models {
		for j := i + 1; j < len(s.Models); j++ {
			pairs = append(pairs, [2]int{i, j})
		}
	}
	return pairs
}

// NewRunner makes the stage runner of one seed; a sweep calls it per seed.
type NewRunner func(task, scale string, seed uint64) (*stage.Runner, error)

// Sweep is a sweep's results: one row per (weak, strong, loss, seed) and a
// summary per (weak, strong, loss) over seeds.
type Sweep struct {
	Spec    SweepSpec
	Rows    []*stage.Result
	Summary []Summary
}

// Summary aggregates seeds: means, and PGR with a bootstrap interval.
type Summary struct {
	Weak, Strong, Loss                string
	Seeds                             int
	Weak_, Student, Ceiling           float64 // mean accuracies
	PGR, PGRAUROC                     metrics.Interval
	UndefinedPGR                      int // seeds whose ceiling did not beat the weak model
	Agreement, AgreeRight, AgreeWrong float64
	WeakLabelAcc                      float64
}

// RunSweep runs every experiment of the spec (stored stages are reused).
// onRow, if set, is called after each experiment (progress in notebooks).
func RunSweep(ctx context.Context, spec SweepSpec, newRunner NewRunner, onRow func(*stage.Result)) (*Sweep, error) {
	if len(spec.Models) < 2 {
		return nil, fmt.Errorf("sweep: need at least two models, got %v", spec.Models)
	}
	pairs := spec.PairIndices()
	sw := &Sweep{Spec: spec}
	for _, seed := range spec.Seeds {
		r, err := newRunner(spec.Task, spec.Scale, seed)
		if err != nil {
			return nil, err
		}
		r.Budget.Probe = spec.Probe
		for _, p := range pairs {
			for _, loss := range spec.Losses {
				res, err := r.Run(ctx, spec.Models[p[0]], spec.Models[p[1]], loss)
				if err != nil {
					return sw, fmt.Errorf("sweep %s → %s, %s, seed %d: %w", spec.Models[p[0]], spec.Models[p[1]], loss, seed, err)
				}
				sw.Rows = append(sw.Rows, res)
				if onRow != nil {
					onRow(res)
				}
			}
		}
	}
	sw.Summary = Summarize(sw.Rows)
	return sw, nil
}

// Summarize groups results by (weak, strong, loss) in first-seen order.
func Summarize(rows []*stage.Result) []Summary {
	type key struct{ w, s, l string }
	var order []key
	groups := map[key][]*stage.Result{}
	for _, r := range rows {
		k := key{r.Weak, r.Strong, r.Loss}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []Summary
	for _, k := range order {
		g := groups[k]
		s := Summary{Weak: k.w, Strong: k.s, Loss: k.l, Seeds: len(g)}
		var pgr, pgrA, weak, stu, ceil, ag, agR, agW, wl []float64
		for _, r := range g {
			if !r.PGR.Defined {
				s.UndefinedPGR++
			}
			pgr = append(pgr, r.PGR.Value)
			pgrA = append(pgrA, r.PGRAUROC.Value)
			weak = append(weak, r.WeakScores.Accuracy)
			stu = append(stu, r.StudentScores.Accuracy)
			ceil = append(ceil, r.CeilingScores.Accuracy)
			ag = append(ag, r.Agreement.All)
			agR = append(agR, r.Agreement.SupervisorRight)
			agW = append(agW, r.Agreement.SupervisorWrong)
			wl = append(wl, r.WeakLabelAccuracy)
		}
		s.PGR = metrics.Bootstrap(pgr, 0.95, 2000, 1)
		s.PGRAUROC = metrics.Bootstrap(pgrA, 0.95, 2000, 1)
		s.Weak_, s.Student, s.Ceiling = metrics.Mean(weak), metrics.Mean(stu), metrics.Mean(ceil)
		s.Agreement, s.AgreeRight, s.AgreeWrong = metrics.Mean(ag), metrics.Mean(agR), metrics.Mean(agW)
		s.WeakLabelAcc = metrics.Mean(wl)
		out = append(out, s)
	}
	return out
}

// Table writes the summary as an aligned text table.
func (sw *Sweep) Table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "weak\tstrong\tloss\tseeds\tweak acc\tstudent acc\tceiling acc\tPGR [95% CI]\tPGR(AUROC)\tagree\tagree|weak right\tagree|weak wrong\t")
	for _, s := range sw.Summary {
		pgr := s.PGR.String()
		if s.UndefinedPGR > 0 {
			pgr += fmt.Sprintf(" (%d undefined)", s.UndefinedPGR)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%s\t%s\t%.3f\t%.3f\t%.3f\t\n", short(s.Weak), short(s.Strong), shortLoss(s.Loss), s.Seeds,
			s.Weak_, s.Student, s.Ceiling, pgr, s.PGRAUROC, s.Agreement, s.AgreeRight, s.AgreeWrong)
	}
	return tw.Flush()
}

func short(model string) string { return strings.TrimPrefix(model, "zoo/") }

func shortLoss(l string) string {
	if i := strings.IndexByte(l, '('); i > 0 && strings.HasPrefix(l, "logconf(alpha=0.5,warmup=0.2") {
		return l[:i]
	}
	return l
}

// WriteCSV writes one row per experiment with every number.
func (sw *Sweep) WriteCSV(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		c := csv.NewWriter(w)
		c.Write([]string{"task", "scale", "probe", "weak", "strong", "loss", "seed", "weak_acc", "student_acc", "ceiling_acc",
			"weak_auroc", "student_auroc", "ceiling_auroc", "pgr", "pgr_defined", "pgr_auroc", "weak_label_acc",
			"agreement", "agreement_weak_right", "agreement_weak_wrong", "n_weak_right", "n_weak_wrong", "n_a", "n_b", "n_val", "n_test", "truncated"})
		f := func(x float64) string {
			if math.IsNaN(x) {
				return ""
			}
			return strconv.FormatFloat(x, 'f', 6, 64)
		}
		for _, r := range sw.Rows {
			c.Write([]string{r.Task, r.Scale, strconv.FormatBool(r.Probe), r.Weak, r.Strong, r.Loss, fmt.Sprint(r.Seed),
				f(r.WeakScores.Accuracy), f(r.StudentScores.Accuracy), f(r.CeilingScores.Accuracy),
				f(r.WeakScores.AUROC), f(r.StudentScores.AUROC), f(r.CeilingScores.AUROC),
				f(r.PGR.Value), strconv.FormatBool(r.PGR.Defined), f(r.PGRAUROC.Value), f(r.WeakLabelAccuracy),
				f(r.Agreement.All), f(r.Agreement.SupervisorRight), f(r.Agreement.SupervisorWrong),
				fmt.Sprint(r.Agreement.NRight), fmt.Sprint(r.Agreement.NWrong),
				fmt.Sprint(r.Counts.A), fmt.Sprint(r.Counts.B), fmt.Sprint(r.Counts.Val), fmt.Sprint(r.Counts.Test), fmt.Sprint(r.Truncated)})
		}
		c.Flush()
		return c.Error()
	})
}

// WriteJSON writes the spec, every row (curves included) and the summary;
// undefined values (NaN) are null.
func (sw *Sweep) WriteJSON(path string) error {
	js, err := nanjson.MarshalIndent(sw, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, js)
}

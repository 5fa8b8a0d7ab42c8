// Package analysis runs the experiments of the paper on top of the stages:
// sweeps over (weak, strong, loss, seed) summarised with intervals over the
// crossed test rows × seeds design, medians over tasks, early
// stopping from training curves, bootstrapping through intermediate sizes,
// prompting and generative finetuning, the ladder's own measurement, and
// the sentences that state what a run found. Every number comes from
// stored stages, so re-running an analysis costs only what is new.
package analysis

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// Level is the confidence of every interval: 95%, from the crossed test
// rows × seeds design (metrics.Design).
const Level = 0.95

// IntervalNote says in captions how every interval is computed.
const IntervalNote = "95% intervals over test rows and seeds (crossed random effects, t quantiles; Fieller for ratios)"

// SweepSpec is the product of models, losses and seeds on one task.
type SweepSpec struct {
	Task   string   `json:"task"`
	Scale  string   `json:"scale"`
	Models []string `json:"models"` // from weakest to strongest
	// Pairs, when set, lists (weak, strong) index pairs into Models;
	// otherwise every pair with weak before strong.
	Pairs  [][2]int      `json:"pairs,omitempty"`
	Losses []losses.Spec `json:"losses"`
	Seeds  []uint64      `json:"seeds"`
	Probe  bool          `json:"probe"`
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

// Sweep is a sweep's results: one row per (weak, strong, loss, seed) and a
// summary per (weak, strong, loss) over seeds.
type Sweep struct {
	Spec    SweepSpec       `json:"spec"`
	Rows    []*stage.Result `json:"rows"`
	Summary []Summary       `json:"summary"`
}

// Summary is one (weak, strong, loss) over the sweep's seeds. Its
// accuracies are seed averages and its PGR comes from them, as in the
// paper's plots, with intervals over test rows and seeds (metrics.PairedPGR,
// whose fields it carries).
type Summary struct {
	WeakModel   string      `json:"weak_model"`
	StrongModel string      `json:"strong_model"`
	Loss        losses.Spec `json:"loss"`
	metrics.PairedPGR
	// PGRSeedMean is the mean of the per-seed PGRs of the seeds where one
	// is defined (PGRSeedsDefined of them), for reference: one seed's gap
	// is often too small to divide by.
	PGRSeedMean     metrics.Float `json:"pgr_seed_mean"`
	PGRSeedsDefined int           `json:"pgr_seeds_defined"`
	// Agreement of the student with its supervisor on the test set, mean
	// over seeds with an interval over test rows and seeds (over seeds
	// only when AgreeSeedsOnly: results that lack per-row agreement):
	// overall, and on the examples the supervisor got right and wrong.
	Agree          metrics.Interval `json:"agree"`
	AgreeRight     metrics.Interval `json:"agree_weak_right"`
	AgreeWrong     metrics.Interval `json:"agree_weak_wrong"`
	AgreeSeedsOnly bool             `json:"agree_seeds_only,omitempty"`
	WeakLabelAcc   metrics.Float    `json:"weak_label_acc"` // the weak labels on half B, mean over seeds
	// TrainAcc are the models' accuracies on their own training rows,
	// means over seeds: how well each fit, beside its test accuracy.
	TrainAcc stage.TrainAccuracies `json:"train_acc"`
	// Non-embedding parameters of the two models, as the results counted
	// them when loading the models: the size axis of the paper's charts.
	WeakParams   int `json:"weak_params"`
	StrongParams int `json:"strong_params"`
}

// OneSupervisor is the models and pairs of a sweep with one weak
// supervisor for every strong model (a strong model that is the supervisor
// itself is left out).
func OneSupervisor(weak string, strongs []string) ([]string, [][2]int) {
	ms := []string{weak}
	var pairs [][2]int
	for _, s := range strongs {
		if s == weak {
			continue
		}
		ms = append(ms, s)
		pairs = append(pairs, [2]int{0, len(ms) - 1})
	}
	return ms, pairs
}

// RunSweep runs every experiment of the spec (stored stages are reused).
// onRow, if set, is called after each experiment (progress in notebooks).
func RunSweep(ctx context.Context, sess *stage.Session, spec SweepSpec, onRow func(*stage.Result)) (*Sweep, error) {
	if len(spec.Models) < 2 {
		return nil, fmt.Errorf("sweep: need at least two models, got %v", spec.Models)
	}
	if len(spec.Seeds) == 0 || len(spec.Losses) == 0 {
		return nil, fmt.Errorf("sweep: need at least one seed and one loss (seeds %v, losses %v)", spec.Seeds, spec.Losses)
	}
	if spec.Scale != sess.Scale() {
		return nil, fmt.Errorf("sweep: spec at scale %q, session at %q", spec.Scale, sess.Scale())
	}
	sw := &Sweep{Spec: spec}
	for _, seed := range spec.Seeds {
		r, err := sess.Runner(spec.Task, seed)
		if err != nil {
			return nil, err
		}
		r.Budget.Probe = spec.Probe
		for _, p := range spec.PairIndices() {
			for _, loss := range spec.Losses {
				res, err := r.Run(ctx, spec.Models[p[0]], spec.Models[p[1]], loss)
				if err != nil {
					return sw, fmt.Errorf("sweep %s → %s, %s, seed %d: %w", spec.Models[p[0]], spec.Models[p[1]], loss.Short(), seed, err)
				}
				sw.Rows = append(sw.Rows, res)
				if onRow != nil {
					onRow(res)
				}
			}
		}
	}
	var err error
	sw.Summary, err = Summarize(sw.Rows)
	return sw, err
}

// Summarize groups results by (weak, strong, loss) in first-seen order and
// summarises each over its seeds.
func Summarize(rows []*stage.Result) ([]Summary, error) {
	type key struct {
		w, s string
		l    losses.Spec
	}
	var order []key
	groups := map[key][]*stage.Result{}
	for _, r := range rows {
		k := key{r.WeakModel, r.StrongModel, r.Loss}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []Summary
	for _, k := range order {
		s, err := summarize(groups[k])
		if err != nil {
			return out, fmt.Errorf("summary of %s → %s, %s: %w", k.w, k.s, k.l.Short(), err)
		}
		out = append(out, s)
	}
	return out, nil
}

func summarize(g []*stage.Result) (Summary, error) {
	r0 := g[0]
	s := Summary{WeakModel: r0.WeakModel, StrongModel: r0.StrongModel, Loss: r0.Loss,
		WeakParams: r0.WeakParams, StrongParams: r0.StrongParams}
	var hits []metrics.SeedHits
	var pgr, ag, agR, agW, wl []float64
	var tw, ts, tc, tf []float64
	for _, r := range g {
		hits = append(hits, r.Hits)
		if r.PGR.Defined {
			pgr = append(pgr, float64(r.PGR.Value))
		}
		ag = append(ag, float64(r.Agreement.All))
		agR = append(agR, float64(r.Agreement.SupervisorRight))
		agW = append(agW, float64(r.Agreement.SupervisorWrong))
		wl = append(wl, float64(r.WeakLabelAcc))
		tw, ts = append(tw, float64(r.TrainAcc.Weak)), append(ts, float64(r.TrainAcc.Student))
		tc, tf = append(tc, float64(r.TrainAcc.Ceiling)), append(tf, float64(r.TrainAcc.StudentFitsWeak))
	}
	var err error
	if s.PairedPGR, err = metrics.ComputePairedPGR(hits, Level); err != nil {
		return s, err
	}
	s.PGRSeedMean, s.PGRSeedsDefined = metrics.Float(metrics.Mean(pgr)), len(pgr)
	// Results written before per-row agreement was recorded get intervals
	// over seeds only.
	if s.Agree, s.AgreeRight, s.AgreeWrong, err = metrics.PairedAgreement(hits, Level); err != nil {
		s.Agree, s.AgreeRight, s.AgreeWrong = metrics.SeedMean(ag, Level), metrics.SeedMean(agR, Level), metrics.SeedMean(agW, Level)
		s.AgreeSeedsOnly = true
	}
	s.WeakLabelAcc = metrics.Float(metrics.Mean(wl))
	s.TrainAcc = stage.TrainAccuracies{Weak: metrics.Float(metrics.Mean(tw)), Student: metrics.Float(metrics.Mean(ts)),
		Ceiling: metrics.Float(metrics.Mean(tc)), StudentFitsWeak: metrics.Float(metrics.Mean(tf))}
	return s, nil
}

// seedHits are the per-seed test results of one pair and loss, in seed
// order, so two pairs' lists line up seed by seed.
func (sw *Sweep) seedHits(weak, strong string, loss losses.Spec) []metrics.SeedHits {
	var rs []*stage.Result
	for _, r := range sw.Rows {
		if r.WeakModel == weak && r.StrongModel == strong && r.Loss.Same(loss) {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Seed < rs[j].Seed })
	hs := make([]metrics.SeedHits, len(rs))
	for i, r := range rs {
		hs[i] = r.Hits
	}
	return hs
}

// Majority is the accuracy of always answering the test set's most common
// class (NaN without results).
func (sw *Sweep) Majority() float64 {
	if len(sw.Rows) == 0 {
		return math.NaN()
	}
	return majority(sw.Rows[0].Counts.ClassesTest)
}

// majority is the share of the largest class.
func majority(classes []int) float64 {
	total, best := 0, 0
	for _, c := range classes {
		total += c
		best = max(best, c)
	}
	if total == 0 {
		return math.NaN()
	}
	return float64(best) / float64(total)
}

// Learnt reports whether the ladder learns the task at this scale: some
// gold-trained ceiling beats always answering the majority class by
// metrics.GapSEs standard errors of its accuracy. Results that do not say
// their test set's classes cannot be judged, and count as learnt.
func (sw *Sweep) Learnt() bool {
	maj := sw.Majority()
	if math.IsNaN(maj) {
		return true
	}
	for _, s := range sw.Summary {
		if se := float64(s.CeilingAcc.SE); se > 0 && float64(s.CeilingAcc.Estimate)-maj >= metrics.GapSEs*se {
			return true
		}
	}
	return false
}

// Find returns the summary of a (weak, strong, loss).
func (sw *Sweep) Find(weak, strong string, loss losses.Spec) (Summary, bool) {
	for _, s := range sw.Summary {
		if s.WeakModel == weak && s.StrongModel == strong && s.Loss.Same(loss) {
			return s, true
		}
	}
	return Summary{}, false
}

// Caption says what every number of a sweep rests on.
func (sw *Sweep) Caption() string {
	return sw.Scope() + "; means over test rows and seeds, " + IntervalNote
}

// Scope is what a sweep's numbers cover: "sst2, scale cpu: 1821 test rows,
// seeds [0 1 2 3 4]", for captions that describe their intervals otherwise.
func (sw *Sweep) Scope() string {
	rows := 0
	if len(sw.Summary) > 0 {
		rows = sw.Summary[0].Examples
	}
	return fmt.Sprintf("%s, scale %s: %d test rows, seeds %v", sw.Spec.Task, sw.Spec.Scale, rows, sw.Spec.Seeds)
}

// Table is the summary: one row per (weak, strong, loss), with the
// caption and the majority-class baseline.
func (sw *Sweep) Table() *table.Table {
	t := &table.Table{Caption: sw.Caption(), Header: []string{"weak", "strong", "loss", "weak acc (train)", "student acc (train)", "ceiling acc (train)",
		"PGR [95% interval]", "agree", "agree | weak right", "agree | weak wrong"}}
	for _, s := range sw.Summary {
		t.Add(zoo.Short(s.WeakModel), zoo.Short(s.StrongModel), s.Loss.Short(),
			fmt.Sprintf("%.3f (%s)", s.WeakAcc.Estimate, s.TrainAcc.Weak.Text("%.3f")),
			fmt.Sprintf("%.3f (%s)", s.StudentAcc.Estimate, s.TrainAcc.Student.Text("%.3f")),
			fmt.Sprintf("%.3f (%s)", s.CeilingAcc.Estimate, s.TrainAcc.Ceiling.Text("%.3f")),
			s.PairedPGR.String(), fmt.Sprintf("%.3f", s.Agree.Estimate), fmt.Sprintf("%.3f", s.AgreeRight.Estimate), fmt.Sprintf("%.3f", s.AgreeWrong.Estimate))
	}
	learnt := "learnt at this scale"
	if !sw.Learnt() {
		learnt = fmt.Sprintf("NOT learnt at this scale: no ceiling beats it by %g standard errors", metrics.GapSEs)
	}
	if maj := sw.Majority(); !math.IsNaN(maj) {
		t.Notes = append(t.Notes, fmt.Sprintf("always answering the majority class: %.3f (%s); train acc: each model on its own training rows against their gold labels", maj, learnt))
	} else {
		t.Notes = append(t.Notes, "train acc: each model on its own training rows against their gold labels")
	}
	return t
}

// WriteCSV writes one row per experiment (seed) with every number, then
// nothing else: summaries are in the JSON.
func (sw *Sweep) WriteCSV(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		c := csv.NewWriter(w)
		c.Write([]string{"task", "scale", "probe", "weak", "strong", "loss", "seed", "weak_acc", "student_acc", "ceiling_acc",
			"weak_auroc", "student_auroc", "ceiling_auroc", "pgr", "pgr_defined", "pgr_auroc", "weak_label_acc",
			"agreement", "agreement_weak_right", "agreement_weak_wrong", "n_weak_right", "n_weak_wrong", "n_a", "n_b", "n_val", "n_test", "truncated",
			"weak_train_acc", "student_train_acc", "ceiling_train_acc", "student_fits_weak"})
		f := func(x metrics.Float) string {
			if !x.Defined() {
				return ""
			}
			return strconv.FormatFloat(float64(x), 'f', 6, 64)
		}
		for _, r := range sw.Rows {
			c.Write([]string{r.Task, r.Scale, strconv.FormatBool(r.Probe), r.WeakModel, r.StrongModel, string(r.Loss), fmt.Sprint(r.Seed),
				f(r.Weak.Accuracy), f(r.Student.Accuracy), f(r.Ceiling.Accuracy),
				f(r.Weak.AUROC), f(r.Student.AUROC), f(r.Ceiling.AUROC),
				f(r.PGR.Value), strconv.FormatBool(r.PGR.Defined), f(r.PGRAUROC.Value), f(r.WeakLabelAcc),
				f(r.Agreement.All), f(r.Agreement.SupervisorRight), f(r.Agreement.SupervisorWrong),
				fmt.Sprint(r.Agreement.NRight), fmt.Sprint(r.Agreement.NWrong),
				fmt.Sprint(r.Counts.A), fmt.Sprint(r.Counts.B), fmt.Sprint(r.Counts.Val), fmt.Sprint(r.Counts.Test), fmt.Sprint(r.Truncated),
				f(r.TrainAcc.Weak), f(r.TrainAcc.Student), f(r.TrainAcc.Ceiling), f(r.TrainAcc.StudentFitsWeak)})
		}
		c.Flush()
		return c.Error()
	})
}

// WriteJSON writes the spec, every row (curves and per-example results
// included) and the summaries; undefined values are null.
func (sw *Sweep) WriteJSON(path string) error {
	js, err := json.MarshalIndent(sw, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, append(js, '\n'))
}

// ReadSweep reads a sweep written by WriteJSON.
func ReadSweep(path string) (*Sweep, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var sw Sweep
	if err := json.Unmarshal(raw, &sw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &sw, nil
}

// Reach says in plain words what a sweep at this scale can and cannot
// show, for a notebook's opening: how far apart the ladder's ends are on
// the task (the gap of its widest pair, with its interval), and which
// pairs have a ceiling − supervisor gap large enough for PGR to be
// measured; findings about the others cannot be judged here. It reads the
// summaries of the sweep's first loss.
func (sw *Sweep) Reach() string {
	if len(sw.Spec.Losses) == 0 {
		return sw.Scope() + ": no results."
	}
	loss := sw.Spec.Losses[0]
	var widest *Summary
	var yes, no []string
	for i := range sw.Summary {
		s := &sw.Summary[i]
		if !s.Loss.Same(loss) {
			continue
		}
		if widest == nil || s.Gap.Estimate > widest.Gap.Estimate {
			widest = s
		}
		pair := fmt.Sprintf("%s → %s", zoo.Short(s.WeakModel), zoo.Short(s.StrongModel))
		if s.Measurable {
			yes = append(yes, pair)
		} else {
			no = append(no, fmt.Sprintf("%s (gap %s)", pair, ivs(s.Gap)))
		}
	}
	if widest == nil {
		return sw.Scope() + ": no results."
	}
	out := fmt.Sprintf("What this scale can show (%s): the supervisor %s scores %.3f and the gold-trained %s %.3f, a gap of %s (95%% interval over test rows and seeds). ",
		sw.Scope(), zoo.Short(widest.WeakModel), widest.WeakAcc.Estimate, zoo.Short(widest.StrongModel), widest.CeilingAcc.Estimate, ivs(widest.Gap))
	n := len(yes) + len(no)
	out += fmt.Sprintf("PGR divides by a pair's ceiling − supervisor gap, so it is measured only where that gap is at least %g standard errors: %d of %d pairs here", metrics.GapSEs, len(yes), n)
	if len(yes) > 0 {
		out += " (" + strings.Join(yes, ", ") + ")"
	}
	out += "."
	if len(no) > 0 {
		its := "its gap is"
		if len(no) > 1 {
			its = "their gaps are"
		}
		out += " No finding about " + strings.Join(no, ", ") + " can be judged at this scale: " + its + " too small."
	}
	return out
}

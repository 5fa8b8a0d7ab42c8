package analysis

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// Beyond the paper: which weak-label errors does a student copy? The same
// student is trained on labels that are as accurate on half B as its
// supervisor's but wrong in different ways (stage.SourceLabels), and each
// is compared with the others on the same test rows and seeds, against the
// same supervisor and ceiling.

// LabelSource is one way of making a student's labels.
type LabelSource struct {
	Source string `json:"source"` // stage.SourceSupervisor, SourceRandom, …
	Hard   bool   `json:"hard"`   // one-hot labels
}

func (s LabelSource) String() string {
	switch {
	case s.Source == stage.SourceSupervisor && s.Hard:
		return "supervisor, hard"
	case s.Source == stage.SourceSupervisor:
		return "supervisor, soft"
	}
	return s.Source
}

// DefaultLabelSources are the study's sources: the supervisor's labels
// soft (the pipeline's) and hard, and the three kinds of placed errors.
var DefaultLabelSources = []LabelSource{
	{stage.SourceSupervisor, false}, {stage.SourceSupervisor, true},
	{stage.SourceRandom, true}, {stage.SourceBoW, true}, {stage.SourceUnsure, true},
}

// SourceResult is a student trained on one source's labels, over seeds.
type SourceResult struct {
	LabelSource
	// LabelAcc is the accuracy of the labels on half B (equal to the
	// supervisor's by construction); B's rows differ by seed, so it is a
	// mean over seeds.
	LabelAcc metrics.Interval `json:"label_acc"`
	// Student is the student's test accuracy and PGR its PGR against the
	// supervisor and the gold ceiling (test rows × seeds).
	Student metrics.Interval  `json:"student"`
	PGR     metrics.PairedPGR `json:"pgr"`
	// FitWrong is how often the student predicts its label on the rows of
	// half B where the label is wrong: how much of the errors it learnt
	// (a mean over seeds).
	FitWrong metrics.Interval `json:"fit_wrong"`
	// VsSupervisorHard is the student's test accuracy minus the student
	// of the supervisor's hard labels (paired).
	VsSupervisorHard metrics.Interval `json:"vs_supervisor_hard"`
	ECE              metrics.Float    `json:"ece"` // the student's calibration error, mean over seeds
	hits             []metrics.Hits
}

// LabelErrors is the comparison of label sources for one weak→strong pair.
type LabelErrors struct {
	Task        string           `json:"task"`
	WeakModel   string           `json:"weak_model"`
	StrongModel string           `json:"strong_model"`
	Loss        losses.Spec      `json:"loss"`
	Seeds       []uint64         `json:"seeds"`
	Examples    int              `json:"examples"`
	WeakAcc     metrics.Interval `json:"weak_acc"`
	CeilingAcc  metrics.Interval `json:"ceiling_acc"`
	WeakECE     metrics.Float    `json:"weak_ece"`
	CeilingECE  metrics.Float    `json:"ceiling_ece"`
	Sources     []SourceResult   `json:"sources"`
}

// RunLabelErrors trains strong's student on each source's labels (and its
// gold ceiling) under every runner (one per seed), with weak as the
// supervisor.
func RunLabelErrors(ctx context.Context, runners []*stage.Runner, weak, strong string, loss losses.Spec, sources []LabelSource) (*LabelErrors, error) {
	if len(runners) == 0 || len(sources) == 0 {
		return nil, fmt.Errorf("label errors: need seeds and label sources")
	}
	le := &LabelErrors{Task: runners[0].Task, WeakModel: weak, StrongModel: strong, Loss: loss}
	out := make([]SourceResult, len(sources))
	seedHits := make([][]metrics.SeedHits, len(sources))
	labelAcc, fitWrong, ece := make([][]float64, len(sources)), make([][]float64, len(sources)), make([][]float64, len(sources))
	var weakECE, ceilECE []float64
	for _, r := range runners {
		le.Seeds = append(le.Seeds, r.Seed)
		sup, err := r.Supervise(ctx, weak)
		if err != nil {
			return nil, err
		}
		ceiling, err := r.TrainCeiling(ctx, strong)
		if err != nil {
			return nil, err
		}
		for i, src := range sources {
			labels, err := r.SourceLabels(ctx, sup, src.Source, src.Hard)
			if err != nil {
				return nil, err
			}
			student, err := r.TrainStudent(ctx, strong, labels, loss)
			if err != nil {
				return nil, err
			}
			le.Loss = student.Spec.Loss
			res, err := r.Compare(ctx, labels, student, ceiling)
			if err != nil {
				return nil, err
			}
			ev, err := r.Evaluate(ctx, student)
			if err != nil {
				return nil, err
			}
			seedHits[i] = append(seedHits[i], res.Hits)
			labelAcc[i] = append(labelAcc[i], float64(res.WeakLabelAcc))
			fitWrong[i] = append(fitWrong[i], fitOnWrong(ev.Sets[stage.SetB], labels.Sets[stage.SetB]))
			ece[i] = append(ece[i], float64(res.Student.ECE))
			if i == 0 {
				weakECE, ceilECE = append(weakECE, float64(res.Weak.ECE)), append(ceilECE, float64(res.Ceiling.ECE))
			}
		}
	}
	le.WeakECE, le.CeilingECE = metrics.Float(metrics.Mean(weakECE)), metrics.Float(metrics.Mean(ceilECE))
	hardSup := -1
	for i, src := range sources {
		if src.Source == stage.SourceSupervisor && src.Hard {
			hardSup = i
		}
	}
	for i, src := range sources {
		p, err := metrics.ComputePairedPGR(seedHits[i], Level)
		if err != nil {
			return nil, err
		}
		var st []metrics.Hits
		for _, h := range seedHits[i] {
			st = append(st, h.Student)
		}
		out[i] = SourceResult{LabelSource: src, LabelAcc: metrics.SeedMean(labelAcc[i], Level), Student: p.StudentAcc, PGR: p,
			FitWrong: metrics.SeedMean(fitWrong[i], Level), ECE: metrics.Float(metrics.Mean(ece[i])), hits: st,
			VsSupervisorHard: metrics.Interval{Estimate: metrics.NaN(), Low: metrics.NaN(), High: metrics.NaN()}}
		le.WeakAcc, le.CeilingAcc, le.Examples = p.WeakAcc, p.CeilingAcc, p.Examples
	}
	if hardSup >= 0 {
		for i := range out {
			d, err := metrics.PairedDiff(out[i].hits, out[hardSup].hits, Level)
			if err != nil {
				return nil, err
			}
			out[i].VsSupervisorHard = d
		}
	}
	le.Sources = out
	return le, nil
}

// fitOnWrong is how often a student's predictions on half B equal its
// labels where the labels are wrong (NaN when none is).
func fitOnWrong(student, labels stage.SetProbs) float64 {
	sp, lp := metrics.Argmax(student.Probs), metrics.Argmax(labels.Probs)
	var wrong, same int
	for i := range lp {
		if lp[i] != labels.Gold[i] {
			wrong++
			if sp[i] == lp[i] {
				same++
			}
		}
	}
	if wrong == 0 {
		return math.NaN()
	}
	return float64(same) / float64(wrong)
}

// Find returns a source's result.
func (le *LabelErrors) Find(src LabelSource) (SourceResult, bool) {
	for _, s := range le.Sources {
		if s.LabelSource == src {
			return s, true
		}
	}
	return SourceResult{}, false
}

// Caption says what the comparison rests on.
func (le *LabelErrors) Caption() string {
	return fmt.Sprintf("%s: students of %s trained on labels from each source (each as accurate on half B as %s's), ceiling %s; %s; %d test rows, seeds %v; "+
		"label accuracy and fit to wrong labels are means over seeds (half B differs by seed); test accuracy, differences and PGR over test rows and seeds, %s",
		le.Task, zoo.Short(le.StrongModel), zoo.Short(le.WeakModel), ivs(le.CeilingAcc), le.Loss.Short(), le.Examples, le.Seeds, IntervalNote)
}

// Table is one row per label source.
func (le *LabelErrors) Table() *table.Table {
	t := &table.Table{Caption: le.Caption(), Header: []string{"labels", "label acc (B)", "student test acc", "− supervisor-hard student", "PGR",
		"student copies wrong labels (B)", "student ECE"}}
	for _, s := range le.Sources {
		t.Add(s.LabelSource.String(), ivs(s.LabelAcc), ivs(s.Student), ivs(s.VsSupervisorHard), s.PGR.String(), ivs(s.FitWrong), fmt.Sprintf("%.3f", s.ECE))
	}
	t.Notes = []string{fmt.Sprintf("supervisor %s (ECE %.3f), ceiling %s (ECE %.3f)", ivs(le.WeakAcc), le.WeakECE, ivs(le.CeilingAcc), le.CeilingECE)}
	return t
}

// FindRandomErrors judges whether, at equal label accuracy, the student
// recovers more from random errors than from its supervisor's, on the paired
// difference of the two students' test accuracies (both on hard labels).
func (le *LabelErrors) FindRandomErrors() Finding {
	f := Finding{Claim: "a student recovers more from random label errors than from its supervisor's, at equal label accuracy",
		Paper: "an open question (Sec. 7): errors that look like noise are learnt past, errors that look like a pattern are copied", Beyond: true}
	r, ok1 := le.Find(LabelSource{stage.SourceRandom, true})
	s, ok2 := le.Find(LabelSource{stage.SourceSupervisor, true})
	if !ok1 || !ok2 {
		f.Evidence = "needs the random and the hard supervisor sources"
		return f
	}
	f.Evidence = fmt.Sprintf("%s → %s (%s): student on random flips %s, on the supervisor's hard labels %s, difference %s; they copy the wrong labels of half B %s and %s of the time",
		zoo.Short(le.WeakModel), zoo.Short(le.StrongModel), le.Loss.Short(), ivs(r.Student), ivs(s.Student), ivs(r.VsSupervisorHard), ivs(r.FitWrong), ivs(s.FitWrong))
	f.Outcome = decide(r.VsSupervisorHard)
	return f
}

// FindSoftLabels judges whether the supervisor's soft labels (probabilities)
// teach the student more than its hard ones (argmax), on the paired
// difference of the two students' test accuracies.
func (le *LabelErrors) FindSoftLabels() Finding {
	f := Finding{Claim: "soft labels (the supervisor's probabilities) teach more than hard ones", Paper: "the paper trains on soft labels; it does not compare", Beyond: true}
	soft, ok1 := le.Find(LabelSource{stage.SourceSupervisor, false})
	hard, ok2 := le.Find(LabelSource{stage.SourceSupervisor, true})
	if !ok1 || !ok2 {
		f.Evidence = "needs the supervisor's soft and hard labels"
		return f
	}
	f.Evidence = fmt.Sprintf("%s → %s (%s): student on soft labels %s, on hard %s, difference %s; supervisor ECE %.3f",
		zoo.Short(le.WeakModel), zoo.Short(le.StrongModel), le.Loss.Short(), ivs(soft.Student), ivs(hard.Student), ivs(soft.VsSupervisorHard), le.WeakECE)
	f.Outcome = decide(soft.VsSupervisorHard)
	return f
}

// Conclusion says in plain words what the comparison shows: whether the
// student recovers more from random errors than from its supervisor's,
// whether soft labels teach more than hard ones, and which errors it
// repeats most; each part judged as FindRandomErrors and FindSoftLabels
// judge it.
func (le *LabelErrors) Conclusion() string {
	var parts []string
	say := map[Outcome]string{
		Reproduced:    "it recovers more from random errors than from its supervisor's at the same label accuracy (%s − %s: %s)",
		NotReproduced: "it recovers less from random errors than from its supervisor's at the same label accuracy (%s − %s: %s)",
		Inconclusive:  "random errors and its supervisor's cannot be told apart by the student's test accuracy (%s − %s: %s, an interval holding 0)",
		NotMeasurable: "random errors and its supervisor's cannot be compared here (%s − %s: %s)",
	}
	if r, ok := le.Find(LabelSource{Source: stage.SourceRandom, Hard: true}); ok {
		parts = append(parts, fmt.Sprintf(say[le.FindRandomErrors().Outcome], "random", "supervisor's hard labels", ivs(r.VsSupervisorHard)))
	}
	soft := map[Outcome]string{
		Reproduced:    "its supervisor's soft labels teach it more than their argmax (%s)",
		NotReproduced: "its supervisor's soft labels teach it less than their argmax (%s)",
		Inconclusive:  "soft and hard labels of its supervisor teach it alike within the interval (%s)",
		NotMeasurable: "soft and hard labels cannot be compared here (%s)",
	}
	if s, ok := le.Find(LabelSource{Source: stage.SourceSupervisor}); ok {
		parts = append(parts, fmt.Sprintf(soft[le.FindSoftLabels().Outcome], ivs(s.VsSupervisorHard)))
	}
	most, least := -1, -1
	for i, s := range le.Sources {
		if !s.FitWrong.Estimate.Defined() || !s.Hard {
			continue
		}
		if most < 0 || s.FitWrong.Estimate > le.Sources[most].FitWrong.Estimate {
			most = i
		}
		if least < 0 || s.FitWrong.Estimate < le.Sources[least].FitWrong.Estimate {
			least = i
		}
	}
	if most >= 0 && least != most {
		parts = append(parts, fmt.Sprintf("on its own training rows it repeats the wrong labels of %s most (%s) and of %s least (%s)",
			le.Sources[most].LabelSource, ivs(le.Sources[most].FitWrong), le.Sources[least].LabelSource, ivs(le.Sources[least].FitWrong)))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s: no label source to compare.", le.Task)
	}
	return fmt.Sprintf("%s, the %s student of %s (%d seeds): %s.", le.Task, zoo.Short(le.StrongModel), zoo.Short(le.WeakModel), len(le.Seeds), strings.Join(parts, "; "))
}

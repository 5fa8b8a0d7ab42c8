package stage

import (
	"context"
	"fmt"

	"github.com/w2s-lab/w2s/w2s/losses"

	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/split"
)

// Scores of one model on the gold test set.
type Scores struct {
	Accuracy metrics.Float `json:"accuracy"`
	AUROC    metrics.Float `json:"auroc"` // undefined (null) for more than two classes
	// ECE is the expected calibration error of the probabilities
	// (metrics.ECE): what soft labels of this model carry beyond its
	// predictions.
	ECE metrics.Float `json:"ece"`
}

// Score evaluates predictions on the test set against gold labels.
func Score(test SetProbs) Scores {
	s := Scores{Accuracy: metrics.Float(metrics.Accuracy(metrics.Argmax(test.Probs), test.Gold)), AUROC: metrics.NaN(),
		ECE: metrics.Float(metrics.ECE(test.Probs, test.Gold))}
	if len(test.Probs) > 0 && len(test.Probs[0]) == 2 {
		s.AUROC = metrics.Float(metrics.AUROC(column(test.Probs, 1), test.Gold))
	}
	return s
}

// Hits marks which test examples the predictions got right.
func Hits(test SetProbs) metrics.Hits { return metrics.HitsOf(metrics.Argmax(test.Probs), test.Gold) }

// Result is one weak→strong experiment: one task, pair, loss and seed.
type Result struct {
	Task        string      `json:"task"`
	Scale       string      `json:"scale"`
	WeakModel   string      `json:"weak_model"`
	StrongModel string      `json:"strong_model"`
	Loss        losses.Spec `json:"loss"`
	Seed        uint64      `json:"seed"`
	Probe       bool        `json:"probe"`
	// Non-embedding parameters of the two models, counted when they were
	// loaded: the size axis of the paper's charts.
	WeakParams   int `json:"weak_params"`
	StrongParams int `json:"strong_params"`

	Weak    Scores `json:"weak"` // the supervisor on the test set
	Student Scores `json:"student"`
	Ceiling Scores `json:"ceiling"`
	// PGR of this seed alone; summaries over seeds compute PGR from the
	// seed-averaged accuracies instead (metrics.PairedPGR).
	PGR      metrics.PGR `json:"pgr"`
	PGRAUROC metrics.PGR `json:"pgr_auroc"`
	// WeakLabelAcc is the accuracy of the weak labels on half B (what the
	// student is trained on), against gold.
	WeakLabelAcc metrics.Float `json:"weak_label_acc"`
	// TrainAcc are the accuracies of the three models on their own
	// training rows, beside their test accuracies: how well each fit.
	TrainAcc TrainAccuracies `json:"train_acc"`
	// Agreement of student and supervisor predictions on the test set.
	Agreement metrics.Agreement `json:"agreement"`
	// Hits are the three models' per-example results on the test set, for
	// intervals over test rows and seeds.
	Hits   metrics.SeedHits `json:"hits"`
	Counts split.Counts     `json:"counts"`
	// StudentCurve is the student's training curve (gold test accuracy and
	// weak-validation metrics at each evaluation), measured on the first
	// CurveTest test examples (0: all); WeakCurveAcc and CeilingCurveAcc are
	// the weak model's and the ceiling's accuracies on those same examples.
	StudentCurve    []CurvePoint  `json:"student_curve"`
	CurveTest       int           `json:"curve_test"`
	WeakCurveAcc    metrics.Float `json:"weak_curve_acc"`
	CeilingCurveAcc metrics.Float `json:"ceiling_curve_acc"`
	Truncated       int           `json:"truncated"` // inputs truncated in the student's training half
	// Backend names the backends that computed the stages this result
	// reads (backend.Info.Label; several, separated by BackendSeparator,
	// when the store mixed them; NotRecorded for stages stored before they
	// said).
	Backend string `json:"backend,omitempty"`
	// Chess holds what scoring generated moves adds (the chess task only).
	Chess *ChessScores `json:"chess,omitempty"`
}

// TrainAccuracies are accuracies on training rows: the supervisor on gold
// half A, the student and the ceiling on gold half B, and the student's
// agreement with the weak labels of half B it was trained on (NaN when
// not measured).
type TrainAccuracies struct {
	Weak            metrics.Float `json:"weak"`
	Student         metrics.Float `json:"student"`
	Ceiling         metrics.Float `json:"ceiling"`
	StudentFitsWeak metrics.Float `json:"student_fits_weak"`
}

// CurvePoint is one evaluation during training.
type CurvePoint struct {
	Step       int           `json:"step"`
	Loss       metrics.Float `json:"loss"` // training loss at that step
	TestAcc    metrics.Float `json:"test_acc"`
	TestAUROC  metrics.Float `json:"test_auroc"`
	ValAccWeak metrics.Float `json:"val_acc_weak"` // agreement with the weak labels of the validation slice
	// ValLossWeak is the student's own loss on the weak-labelled
	// validation slice (losses.Validation): the honest early-stopping
	// criterion of its loss.
	ValLossWeak metrics.Float `json:"val_loss_weak"`
	// TestHits says which of the curve's test rows the student got right
	// at this point (intervals of early-stopping gains over rows and seeds).
	TestHits metrics.Hits `json:"test_hits,omitempty"`
}

func curve(t *Trained) []CurvePoint {
	var out []CurvePoint
	for _, p := range t.Curve {
		if p.Metrics == nil {
			continue
		}
		get := func(k string) metrics.Float {
			if v, ok := p.Metrics[k]; ok {
				return metrics.Float(v)
			}
			return metrics.NaN()
		}
		out = append(out, CurvePoint{Step: p.Step, Loss: metrics.Float(p.Loss), TestAcc: get("test_acc"), TestAUROC: get("test_auroc"),
			ValAccWeak: get("val_acc_weak"), ValLossWeak: get("val_loss_weak"), TestHits: p.Rows["test"]})
	}
	return out
}

// Run is the whole pipeline: supervisor on A, its labels on B, the student
// on B with those labels and the loss, the ceiling on gold B, all three
// evaluated on the test set. Every stage comes from the store when it was
// computed before.
func (r *Runner) Run(ctx context.Context, weak, strong string, loss losses.Spec) (*Result, error) {
	if IsChess(r.Task) {
		return r.RunChess(ctx, weak, strong, loss)
	}
	labels, err := r.Supervise(ctx, weak)
	if err != nil {
		return nil, err
	}
	student, err := r.TrainStudent(ctx, strong, labels, loss)
	if err != nil {
		return nil, err
	}
	ceiling, err := r.TrainCeiling(ctx, strong)
	if err != nil {
		return nil, err
	}
	return r.Compare(ctx, labels, student, ceiling)
}

// Supervise is every stage of the supervisor a comparison reads: trained
// on half A, its labels of half B, the validation and the test set, and
// its predictions of half A (its training accuracy). A Slurm unit that
// runs it leaves nothing of the supervisor for Run to compute.
func (r *Runner) Supervise(ctx context.Context, weak string) (*Labels, error) {
	sup, err := r.TrainSupervisor(ctx, weak)
	if err != nil {
		return nil, err
	}
	labels, err := r.Label(ctx, sup)
	if err != nil {
		return nil, err
	}
	if _, err := r.Predict(ctx, sup, SetA); err != nil {
		return nil, err
	}
	return labels, nil
}

// Evaluate is what Compare reads of a trained student or ceiling: its
// predictions of its training half B and of the test set.
func (r *Runner) Evaluate(ctx context.Context, t *Trained) (*Labels, error) {
	return r.Predict(ctx, t, SetB, SetTest)
}

// Compare evaluates a student and a ceiling against the supervisor whose
// labels the student learnt from.
func (r *Runner) Compare(ctx context.Context, weakLabels *Labels, student, ceiling *Trained) (*Result, error) {
	sp, err := r.Evaluate(ctx, student)
	if err != nil {
		return nil, err
	}
	cp, err := r.Evaluate(ctx, ceiling)
	if err != nil {
		return nil, err
	}
	train, err := r.trainAccuracies(ctx, weakLabels, sp, cp)
	if err != nil {
		return nil, err
	}
	s, err := r.Splits(ctx)
	if err != nil {
		return nil, err
	}
	wt, st, ct := weakLabels.Sets[SetTest], sp.Sets[SetTest], cp.Sets[SetTest]
	if len(wt.IDs) != len(st.IDs) || len(st.IDs) != len(ct.IDs) {
		return nil, fmt.Errorf("stage: test predictions of different sizes (%d, %d, %d)", len(wt.IDs), len(st.IDs), len(ct.IDs))
	}
	res := &Result{Task: r.Task, Loss: losses.Spec(student.Spec.Loss), Scale: r.Budget.Scale, Seed: r.Seed, Probe: r.Budget.Probe,
		WeakModel: weakLabels.Model, StrongModel: student.Spec.Model.Name, Counts: s.Counts, StudentCurve: curve(student), Truncated: student.Info.Truncated}
	res.Weak, res.Student, res.Ceiling = Score(wt), Score(st), Score(ct)
	res.StrongParams = student.Info.NonEmbeddingParams
	if weakLabels.Trained != nil {
		res.WeakParams = weakLabels.Trained.Info.NonEmbeddingParams
	}
	res.TrainAcc = train
	res.Hits = metrics.SeedHits{Weak: Hits(wt), Student: Hits(st), Ceiling: Hits(ct),
		Agree: metrics.HitsOf(metrics.Argmax(st.Probs), metrics.Argmax(wt.Probs))}
	res.PGR = metrics.ComputePGR(float64(res.Weak.Accuracy), float64(res.Student.Accuracy), float64(res.Ceiling.Accuracy))
	res.PGRAUROC = metrics.ComputePGR(float64(res.Weak.AUROC), float64(res.Student.AUROC), float64(res.Ceiling.AUROC))
	b := weakLabels.Sets[SetB]
	res.WeakLabelAcc = metrics.Float(metrics.Accuracy(metrics.Argmax(b.Probs), b.Gold))
	res.CurveTest = student.Spec.CurveTest
	res.WeakCurveAcc = Score(wt.First(res.CurveTest)).Accuracy
	res.CeilingCurveAcc = Score(ct.First(res.CurveTest)).Accuracy
	res.Agreement = metrics.ComputeAgreement(metrics.Argmax(st.Probs), metrics.Argmax(wt.Probs), wt.Gold)
	res.Backend = madeBy(weakLabels.Artifact, student.Artifact, ceiling.Artifact, sp.Artifact, cp.Artifact, trainedArtifact(weakLabels.Trained))
	return res, nil
}

// trainAccuracies scores the three models on their training rows; the
// supervisor's half-A predictions are made here when its labels know it.
func (r *Runner) trainAccuracies(ctx context.Context, weakLabels, student, ceiling *Labels) (TrainAccuracies, error) {
	ta := TrainAccuracies{Weak: metrics.NaN(), Student: Score(student.Sets[SetB]).Accuracy, Ceiling: Score(ceiling.Sets[SetB]).Accuracy}
	wb, sb := weakLabels.Sets[SetB], student.Sets[SetB]
	if len(wb.Probs) == len(sb.Probs) {
		ta.StudentFitsWeak = metrics.Float(metrics.Accuracy(metrics.Argmax(sb.Probs), metrics.Argmax(wb.Probs)))
	} else {
		ta.StudentFitsWeak = metrics.NaN()
	}
	if weakLabels.Trained != nil {
		a, err := r.Predict(ctx, weakLabels.Trained, SetA)
		if err != nil {
			return ta, err
		}
		ta.Weak = Score(a.Sets[SetA]).Accuracy
	}
	return ta, nil
}

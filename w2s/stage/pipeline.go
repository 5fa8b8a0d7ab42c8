package stage

import (
	"context"
	"fmt"
	"math"

	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/split"
)

// Scores of one model on the gold test set.
type Scores struct {
	Accuracy float64
	AUROC    float64 // NaN for more than two classes
}

// Score evaluates predictions on the test set against gold labels.
func Score(test SetProbs) Scores {
	s := Scores{Accuracy: metrics.Accuracy(metrics.Argmax(test.Probs), test.Gold), AUROC: math.NaN()}
	if len(test.Probs) > 0 && len(test.Probs[0]) == 2 {
		s.AUROC = metrics.AUROC(column(test.Probs, 1), test.Gold)
	}
	return s
}

// Result is one weak→strong experiment.
type Result struct {
	Task, Weak, Strong, Loss, Scale string
	Seed                            uint64
	Probe                           bool

	WeakScores, StudentScores, CeilingScores Scores
	PGR, PGRAUROC                            metrics.PGR
	// WeakLabelAccuracy is the accuracy of the weak labels on half B (what
	// the student is trained on), against gold.
	WeakLabelAccuracy float64
	// Agreement of student and supervisor predictions on the test set.
	Agreement metrics.Agreement
	Counts    split.Counts
	// StudentCurve is the student's training curve (gold test accuracy and
	// weak-validation metrics at each evaluation), measured on the first
	// CurveTest test examples (0: all); WeakCurveAcc and CeilingCurveAcc are
	// the weak model's and the ceiling's accuracies on those same examples.
	StudentCurve                  []CurvePoint
	CurveTest                     int
	WeakCurveAcc, CeilingCurveAcc float64
	Truncated                     int // inputs truncated in the student's training half
}

// CurvePoint is one evaluation during training.
type CurvePoint struct {
	Step                    int
	Loss                    float64
	TestAcc, TestAUROC      float64
	ValAccWeak, ValXentWeak float64
}

func curve(t *Trained) []CurvePoint {
	var out []CurvePoint
	for _, p := range t.Curve {
		if p.Metrics == nil {
			continue
		}
		get := func(k string) float64 {
			if v, ok := p.Metrics[k]; ok {
				return v
			}
			return math.NaN()
		}
		out = append(out, CurvePoint{Step: p.Step, Loss: p.Loss, TestAcc: get("test_acc"), TestAUROC: get("test_auroc"),
			ValAccWeak: get("val_acc_weak"), ValXentWeak: get("val_xent_weak")})
	}
	return out
}

// Run is the whole pipeline: supervisor on A, its labels on B, the student
// on B with those labels and the loss, the ceiling on gold B, all three
// evaluated on the test set. Every stage comes from the store when it was
// computed before.
func (r *Runner) Run(ctx context.Context, weak, strong, loss string) (*Result, error) {
	sup, err := r.TrainSupervisor(ctx, weak)
	if err != nil {
		return nil, err
	}
	labels, err := r.Label(ctx, sup)
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

// Compare evaluates a student and a ceiling against the supervisor whose
// labels the student learnt from.
func (r *Runner) Compare(ctx context.Context, weakLabels *Labels, student, ceiling *Trained) (*Result, error) {
	sp, err := r.Predict(ctx, student, SetTest)
	if err != nil {
		return nil, err
	}
	cp, err := r.Predict(ctx, ceiling, SetTest)
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
	res := &Result{Task: r.Task, Loss: student.Spec.Loss, Scale: r.Budget.Scale, Seed: r.Seed, Probe: r.Budget.Probe,
		Weak: weakLabels.Model, Strong: student.Spec.Model.Name, Counts: s.Counts, StudentCurve: curve(student), Truncated: student.Info.Truncated}
	res.WeakScores, res.StudentScores, res.CeilingScores = Score(wt), Score(st), Score(ct)
	res.PGR = metrics.ComputePGR(res.WeakScores.Accuracy, res.StudentScores.Accuracy, res.CeilingScores.Accuracy)
	res.PGRAUROC = metrics.ComputePGR(res.WeakScores.AUROC, res.StudentScores.AUROC, res.CeilingScores.AUROC)
	b := weakLabels.Sets[SetB]
	res.WeakLabelAccuracy = metrics.Accuracy(metrics.Argmax(b.Probs), b.Gold)
	res.CurveTest = student.Spec.CurveTest
	res.WeakCurveAcc = Score(wt.First(res.CurveTest)).Accuracy
	res.CeilingCurveAcc = Score(ct.First(res.CurveTest)).Accuracy
	res.Agreement = metrics.ComputeAgreement(metrics.Argmax(st.Probs), metrics.Argmax(wt.Probs), wt.Gold)
	return res, nil
}

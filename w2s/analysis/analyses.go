package analysis

import (
	"context"
	"fmt"
	"math"

	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
)

// StopPoint is the student at one evaluation.
type StopPoint struct {
	Step    int
	TestAcc float64
	PGR     metrics.PGR
}

// EarlyStopping compares, for one weak→strong student, the final model
// with early stopping chosen two ways: honestly, at the evaluation with the
// lowest cross-entropy against the weak labels of the validation slice
// (information a real supervisor has), and by "cheating", at the best gold
// test accuracy (an upper bound no real experiment could use).
type EarlyStopping struct {
	Weak, Strong, Loss      string
	Examples                int // test examples of the curve and of every accuracy here (0: all)
	WeakAcc, CeilingAcc     float64
	Curve                   []stage.CurvePoint
	Final, Honest, Cheating StopPoint
}

// RunEarlyStopping runs (or fetches) the pipeline and reads the student's
// training curve; the runner's Budget.Evals sets how many evaluations.
func RunEarlyStopping(ctx context.Context, r *stage.Runner, weak, strong, loss string) (*EarlyStopping, error) {
	res, err := r.Run(ctx, weak, strong, loss)
	if err != nil {
		return nil, err
	}
	return EarlyStoppingFrom(res)
}

// EarlyStoppingFrom analyses the curve of a pipeline result.
func EarlyStoppingFrom(res *stage.Result) (*EarlyStopping, error) {
	if len(res.StudentCurve) == 0 {
		return nil, fmt.Errorf("early stopping: the student of %s → %s has no evaluations (set Budget.Evals)", res.Weak, res.Strong)
	}
	// The curve was measured on the first CurveTest test examples: compare
	// with the weak model and the ceiling on those same examples.
	es := &EarlyStopping{Weak: res.Weak, Strong: res.Strong, Loss: res.Loss, WeakAcc: res.WeakCurveAcc,
		CeilingAcc: res.CeilingCurveAcc, Curve: res.StudentCurve, Examples: res.CurveTest}
	point := func(p stage.CurvePoint) StopPoint {
		return StopPoint{Step: p.Step, TestAcc: p.TestAcc, PGR: metrics.ComputePGR(es.WeakAcc, p.TestAcc, es.CeilingAcc)}
	}
	last := res.StudentCurve[len(res.StudentCurve)-1]
	es.Final = point(last)
	honest, cheat := last, last
	for _, p := range res.StudentCurve {
		if !math.IsNaN(p.ValXentWeak) && (math.IsNaN(honest.ValXentWeak) || p.ValXentWeak < honest.ValXentWeak) {
			honest = p
		}
		if p.TestAcc > cheat.TestAcc {
			cheat = p
		}
	}
	es.Honest, es.Cheating = point(honest), point(cheat)
	return es, nil
}

// Link is one step of a bootstrapping chain.
type Link struct {
	Supervisor, Student string
	Set                 string  // the fresh half the student trains on
	LabelAcc            float64 // accuracy of the supervisor's labels on it
	StudentAcc          float64 // the student's gold test accuracy
}

// Bootstrapping compares reaching the strong model through a chain of
// sizes — each student labels fresh data for the next — with supervising
// it directly by the weak model, on the same final training examples.
type Bootstrapping struct {
	Chain               []string
	Loss                string
	Links               []Link
	WeakAcc, CeilingAcc float64
	ChainAcc, DirectAcc float64
	ChainPGR, DirectPGR metrics.PGR
}

// RunBootstrapping runs the chain chain[0] → … → chain[n−1] with the loss.
// The runner must be fresh (its splits not made yet): it gets n−1 extra
// halves B1 … B(n−1), one per link.
func RunBootstrapping(ctx context.Context, r *stage.Runner, chain []string, loss string) (*Bootstrapping, error) {
	if len(chain) < 3 {
		return nil, fmt.Errorf("bootstrapping: a chain needs at least 3 models (weak, intermediate, strong), got %v", chain)
	}
	r.Extra = len(chain) - 1
	bs := &Bootstrapping{Chain: chain}
	sup, err := r.TrainSupervisor(ctx, chain[0])
	if err != nil {
		return nil, err
	}
	last := fmt.Sprintf("B%d", len(chain)-1)
	labels, err := r.Predict(ctx, sup, "B1", stage.SetVal, stage.SetTest)
	if err != nil {
		return nil, err
	}
	weakTest := labels.Sets[stage.SetTest]
	bs.WeakAcc = stage.Score(weakTest).Accuracy
	var student *stage.Trained
	for i := 1; i < len(chain); i++ {
		set := fmt.Sprintf("B%d", i)
		if i > 1 {
			if labels, err = r.Predict(ctx, student, set, stage.SetVal, stage.SetTest); err != nil {
				return nil, err
			}
		}
		if student, err = r.Train(ctx, chain[i], set, labels, loss); err != nil {
			return nil, err
		}
		bs.Loss = student.Spec.Loss
		acc, err := testAccuracy(ctx, r, student, 0)
		if err != nil {
			return nil, err
		}
		lb := labels.Sets[set]
		bs.Links = append(bs.Links, Link{Supervisor: chain[i-1], Student: chain[i], Set: set,
			LabelAcc: metrics.Accuracy(metrics.Argmax(lb.Probs), lb.Gold), StudentAcc: acc})
	}
	bs.ChainAcc = bs.Links[len(bs.Links)-1].StudentAcc

	// Direct: the weak model labels the same final half.
	direct, err := r.Predict(ctx, sup, last, stage.SetVal, stage.SetTest)
	if err != nil {
		return nil, err
	}
	strong := chain[len(chain)-1]
	ds, err := r.Train(ctx, strong, last, direct, loss)
	if err != nil {
		return nil, err
	}
	ceiling, err := r.Train(ctx, strong, last, nil, "xent")
	if err != nil {
		return nil, err
	}
	if bs.DirectAcc, err = testAccuracy(ctx, r, ds, 0); err != nil {
		return nil, err
	}
	if bs.CeilingAcc, err = testAccuracy(ctx, r, ceiling, 0); err != nil {
		return nil, err
	}
	bs.ChainPGR = metrics.ComputePGR(bs.WeakAcc, bs.ChainAcc, bs.CeilingAcc)
	bs.DirectPGR = metrics.ComputePGR(bs.WeakAcc, bs.DirectAcc, bs.CeilingAcc)
	return bs, nil
}

// testAccuracy is a trained model's accuracy on the first n test examples
// (0: all); its predictions are stored like every stage's.
func testAccuracy(ctx context.Context, r *stage.Runner, t *stage.Trained, n int) (float64, error) {
	p, err := r.Predict(ctx, t, stage.SetTest)
	if err != nil {
		return 0, err
	}
	return stage.Score(p.Sets[stage.SetTest].First(n)).Accuracy, nil
}

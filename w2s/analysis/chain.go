package analysis

import (
	"context"
	"fmt"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// Link is one step of a bootstrapping chain, over seeds.
type Link struct {
	Supervisor, Student string
	Set                 string           // the fresh half the student trains on
	LabelAcc            metrics.Interval // accuracy of the supervisor's labels on it (rows differ by seed: over seeds)
	StudentAcc          metrics.Interval // the student's gold test accuracy (test rows × seeds)
}

// Chain is the paper's bootstrapping experiment: it compares reaching the
// strong model through a chain of sizes — each student labels fresh data
// for the next — with supervising it directly by the weak model on the
// same final training examples. Both
// students are judged against the same weak model and ceiling (PGR from
// seed-averaged accuracies), and against each other (paired over test
// examples and seeds).
type Chain struct {
	Task             string
	Models           []string
	Loss             losses.Spec
	Seeds            []uint64
	Examples         int
	Links            []Link
	ChainPGR         metrics.PairedPGR // weak → … → strong
	DirectPGR        metrics.PairedPGR // weak → strong on the same final half
	ChainMinusDirect metrics.Interval
}

// RunChain runs the chain chain[0] → … → chain[n−1] with the loss
// for every runner (one per seed). The runners must be fresh (their splits
// not made yet): each gets n−1 extra halves B1 … B(n−1), one per link.
func RunChain(ctx context.Context, runners []*stage.Runner, chain []string, loss losses.Spec) (*Chain, error) {
	if len(chain) < 3 {
		return nil, fmt.Errorf("bootstrapping: a chain needs at least 3 models (weak, intermediate, strong), got %v", chain)
	}
	if len(runners) == 0 {
		return nil, fmt.Errorf("bootstrapping: no runners")
	}
	bs := &Chain{Task: runners[0].Task, Models: chain, Loss: loss}
	labelAcc := make([][]float64, len(chain)-1)
	studentHits := make([][]metrics.Hits, len(chain)-1)
	var chainHits, directHits []metrics.SeedHits
	var chainS, directS []metrics.Hits
	for _, r := range runners {
		bs.Seeds = append(bs.Seeds, r.Seed)
		sr, err := runChainSeed(ctx, r, chain, loss)
		if err != nil {
			return nil, err
		}
		bs.Loss = sr.loss
		for i := range sr.labelAcc {
			labelAcc[i] = append(labelAcc[i], sr.labelAcc[i])
			studentHits[i] = append(studentHits[i], sr.studentHits[i])
		}
		chainS = append(chainS, sr.chain)
		directS = append(directS, sr.direct)
		chainHits = append(chainHits, metrics.SeedHits{Weak: sr.weak, Student: sr.chain, Ceiling: sr.ceiling})
		directHits = append(directHits, metrics.SeedHits{Weak: sr.weak, Student: sr.direct, Ceiling: sr.ceiling})
		bs.Examples = len(sr.weak)
	}
	for i := 1; i < len(chain); i++ {
		acc, err := metrics.CrossedMean(metrics.HitsMatrix(studentHits[i-1]), Level)
		if err != nil {
			return nil, err
		}
		bs.Links = append(bs.Links, Link{Supervisor: chain[i-1], Student: chain[i], Set: fmt.Sprintf("B%d", i),
			LabelAcc: metrics.SeedMean(labelAcc[i-1], Level), StudentAcc: acc})
	}
	var err error
	if bs.ChainPGR, err = metrics.ComputePairedPGR(chainHits, Level); err != nil {
		return nil, err
	}
	if bs.DirectPGR, err = metrics.ComputePairedPGR(directHits, Level); err != nil {
		return nil, err
	}
	if bs.ChainMinusDirect, err = metrics.PairedDiff(chainS, directS, Level); err != nil {
		return nil, err
	}
	return bs, nil
}

// seedRun is what one seed contributes to a Chain: per link, the
// accuracy of the labels the student trained on and the student's test
// accuracy; and test hits of the weak model, of the chain's last student,
// of the directly supervised strong student and of the ceiling.
type seedRun struct {
	labelAcc                     []float64
	studentHits                  []metrics.Hits
	loss                         losses.Spec // the loss as the students' specs name it
	weak, chain, direct, ceiling metrics.Hits
}

// runChainSeed runs the chain, then direct supervision, for one seed.
func runChainSeed(ctx context.Context, r *stage.Runner, chain []string, loss losses.Spec) (*seedRun, error) {
	r = r.WithExtra(len(chain) - 1) // the caller's runner keeps its halves
	if stage.IsChess(r.Task) {
		return runChessChainSeed(ctx, r, chain, loss)
	}
	sup, err := r.TrainSupervisor(ctx, chain[0])
	if err != nil {
		return nil, err
	}
	labels, err := r.Predict(ctx, sup, "B1", stage.SetVal, stage.SetTest)
	if err != nil {
		return nil, err
	}
	sr := &seedRun{weak: stage.Hits(labels.Sets[stage.SetTest])}
	if err := sr.runChain(ctx, r, chain, labels, loss); err != nil {
		return nil, err
	}
	if err := sr.runDirect(ctx, r, sup, chain, loss); err != nil {
		return nil, err
	}
	return sr, nil
}

// runChain trains link i's student on fresh half Bi, labelled by the
// previous student (the weak model's labels for the first link), so no
// student ever sees the examples its supervisor was trained on.
func (sr *seedRun) runChain(ctx context.Context, r *stage.Runner, chain []string, labels *stage.Labels, loss losses.Spec) error {
	var student *stage.Trained
	var err error
	for i := 1; i < len(chain); i++ {
		set := fmt.Sprintf("B%d", i)
		if i > 1 {
			if labels, err = r.Predict(ctx, student, set, stage.SetVal, stage.SetTest); err != nil {
				return err
			}
		}
		if student, err = r.Train(ctx, chain[i], set, labels, loss); err != nil {
			return err
		}
		sr.loss = student.Spec.Loss
		lb := labels.Sets[set]
		sr.labelAcc = append(sr.labelAcc, metrics.Accuracy(metrics.Argmax(lb.Probs), lb.Gold))
		h, err := testHits(ctx, r, student)
		if err != nil {
			return err
		}
		sr.studentHits = append(sr.studentHits, h)
		if i == len(chain)-1 {
			sr.chain = h
		}
	}
	return nil
}

// runDirect trains the strong model on the chain's final half with the
// weak model's labels, and the ceiling on its gold labels: the same
// examples as the chain's last student, so the comparison is fair.
func (sr *seedRun) runDirect(ctx context.Context, r *stage.Runner, sup *stage.Trained, chain []string, loss losses.Spec) error {
	last := fmt.Sprintf("B%d", len(chain)-1)
	direct, err := r.Predict(ctx, sup, last, stage.SetVal, stage.SetTest)
	if err != nil {
		return err
	}
	strong := chain[len(chain)-1]
	ds, err := r.Train(ctx, strong, last, direct, loss)
	if err != nil {
		return err
	}
	ceiling, err := r.Train(ctx, strong, last, nil, "xent")
	if err != nil {
		return err
	}
	if sr.direct, err = testHits(ctx, r, ds); err != nil {
		return err
	}
	sr.ceiling, err = testHits(ctx, r, ceiling)
	return err
}

// runChessChainSeed is runChainSeed for the chess task: each link's
// student learns the moves its supervisor generated for fresh puzzles;
// the direct student learns the weak model's moves for the chain's last
// half.
func runChessChainSeed(ctx context.Context, r *stage.Runner, chain []string, loss losses.Spec) (*seedRun, error) {
	if err := stage.ChessLoss(loss); err != nil {
		return nil, err
	}
	last := fmt.Sprintf("B%d", len(chain)-1)
	sup, err := r.ChessTrain(ctx, chain[0], stage.SetA, nil)
	if err != nil {
		return nil, err
	}
	weak, err := r.ChessAnswer(ctx, sup, "B1", last, stage.SetTest)
	if err != nil {
		return nil, err
	}
	sr := &seedRun{loss: "xent"}
	if sr.weak, err = r.ChessHits(ctx, weak, stage.SetTest); err != nil {
		return nil, err
	}
	labels := weak
	for i := 1; i < len(chain); i++ {
		set := fmt.Sprintf("B%d", i)
		lh, err := r.ChessHits(ctx, labels, set)
		if err != nil {
			return nil, err
		}
		sr.labelAcc = append(sr.labelAcc, accuracy(lh))
		var next []string
		if i+1 < len(chain) {
			next = append(next, fmt.Sprintf("B%d", i+1))
		}
		var h metrics.Hits
		if labels, h, err = r.ChessTrainAndTest(ctx, chain[i], set, labels, next...); err != nil {
			return nil, err
		}
		sr.studentHits = append(sr.studentHits, h)
		sr.chain = h
	}
	strong := chain[len(chain)-1]
	if _, sr.direct, err = r.ChessTrainAndTest(ctx, strong, last, weak); err != nil {
		return nil, err
	}
	if _, sr.ceiling, err = r.ChessTrainAndTest(ctx, strong, last, nil); err != nil {
		return nil, err
	}
	return sr, nil
}

// accuracy is the share of hits.
func accuracy(h metrics.Hits) float64 {
	n := 0
	for _, x := range h {
		if x {
			n++
		}
	}
	return float64(n) / float64(max(1, len(h)))
}

// testHits are a trained model's per-example results on the test set
// (its predictions are stored like every stage's).
func testHits(ctx context.Context, r *stage.Runner, t *stage.Trained) (metrics.Hits, error) {
	p, err := r.Predict(ctx, t, stage.SetTest)
	if err != nil {
		return nil, err
	}
	return stage.Hits(p.Sets[stage.SetTest]), nil
}

// Scope is what the comparison's numbers cover: "sst2: chain xs → … → xl;
// 1821 test rows, seeds [0 1 2 3 4]".
func (bs *Chain) Scope() string {
	return fmt.Sprintf("%s: chain %s; %d test rows, seeds %v", bs.Task, ChainName(bs.Models), bs.Examples, bs.Seeds)
}

// Caption says what the comparison's numbers rest on.
func (bs *Chain) Caption() string {
	return bs.Scope() + "; means over test rows and seeds, " + IntervalNote
}

// Table is the chain's links, with the comparison with direct supervision
// as notes.
func (bs *Chain) Table() *table.Table {
	t := &table.Table{Caption: fmt.Sprintf("%s, loss %s; label accuracy: the labels each student trained on, over seeds (its rows differ by seed); test accuracy: %s",
		bs.Scope(), bs.Loss.Short(), IntervalNote),
		Header: []string{"supervisor", "student", "trained on", "label accuracy", "student test accuracy"}}
	for _, l := range bs.Links {
		t.Add(zoo.Short(l.Supervisor), zoo.Short(l.Student), l.Set, ivs(l.LabelAcc), ivs(l.StudentAcc))
	}
	t.Notes = []string{
		fmt.Sprintf("supervisor %s, ceiling %s", ivs(bs.ChainPGR.WeakAcc), ivs(bs.ChainPGR.CeilingAcc)),
		fmt.Sprintf("chain:  student %s, PGR %s", ivs(bs.ChainPGR.StudentAcc), bs.ChainPGR),
		fmt.Sprintf("direct: student %s, PGR %s", ivs(bs.DirectPGR.StudentAcc), bs.DirectPGR),
		fmt.Sprintf("chain − direct: %s (%s)", ivs(bs.ChainMinusDirect), metrics.Compare(bs.ChainMinusDirect)),
	}
	return t
}

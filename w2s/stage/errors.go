package stage

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/w2s-lab/w2s/w2s/bow"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
)

// A student can be trained on labels other than its supervisor's own, all
// as accurate on half B as the supervisor's but wrong in different ways,
// to ask which errors a student copies:
//
//   - supervisor: the supervisor's predictions (the pipeline's weak labels);
//   - random: gold labels, flipped at random on as many rows of each gold
//     class as the supervisor gets wrong there ("noise");
//   - bow: gold labels flipped on the rows a bag-of-words model (TF-IDF
//     logistic regression trained on gold half A, as the supervisor is)
//     finds hardest: the errors of a simple pattern;
//   - unsure: gold labels flipped on the rows where the supervisor's top
//     probability is lowest (its least confident rows, right or wrong).
//     Ranking rows by the supervisor's belief in the gold class instead
//     would flip exactly its own errors on a two-class task.
//
// A flipped row takes the class the model behind the source puts first
// among the wrong ones (random: a wrong class at random). Derived labels
// are hard (one-hot); Hard makes the supervisor's hard too, so every
// source can be compared at equal hardness.
const (
	SourceSupervisor = "supervisor"
	SourceRandom     = "random"
	SourceBoW        = "bow"
	SourceUnsure     = "unsure"
)

// LabelSources lists the sources, the supervisor's first.
var LabelSources = []string{SourceSupervisor, SourceRandom, SourceBoW, SourceUnsure}

// versionLabels is the version of derived labels; the unsure source has
// its own (2 since it ranks rows by the supervisor's confidence), so that
// fixing it left the other sources' stored labels and students valid.
const (
	versionLabels = 1
	versionUnsure = 2
)

// LabelsSpec identifies derived labels.
type LabelsSpec struct {
	Supervisor string // key of the supervisor's labels
	Source     string
	Hard       bool
	Seed       uint64
}

// SourceLabels derives labels from a supervisor's labels (Label's) for
// source, hard or soft, stored like every stage. Half B and the validation
// slice get the source's labels, each as accurate as the supervisor's per
// gold class; the test set keeps the supervisor's predictions (the weak
// model a student is compared with). The supervisor's own soft labels are
// sup itself.
func (r *Runner) SourceLabels(ctx context.Context, sup *Labels, source string, hard bool) (*Labels, error) {
	switch source {
	case SourceSupervisor, SourceRandom, SourceBoW, SourceUnsure:
	default:
		return nil, fmt.Errorf("stage: label source %q (want %s)", source, strings.Join(LabelSources, ", "))
	}
	if source == SourceSupervisor && !hard {
		return sup, nil
	}
	spec := LabelsSpec{Supervisor: sup.Artifact.Key, Source: source, Hard: hard || source != SourceSupervisor, Seed: r.Seed}
	version := versionLabels
	if source == SourceUnsure {
		version = versionUnsure
	}
	a, err := r.do(ctx, "labels", version, spec, func(out string) error {
		start := time.Now()
		sets := map[string]SetProbs{SetTest: sup.Sets[SetTest]}
		for _, set := range []string{SetB, SetVal} {
			sp, ok := sup.Sets[set]
			if !ok {
				continue
			}
			derived, err := r.deriveSet(ctx, sup, set, sp, source)
			if err != nil {
				return err
			}
			sets[set] = derived
		}
		r.logf("labels of %s for %s from %s (%s)", sup.Model, r.Task, source, time.Since(start).Round(time.Millisecond))
		return store.WriteJSON(out, "predictions.json", sets)
	})
	if err != nil {
		return nil, err
	}
	l := &Labels{Artifact: a, Model: sup.Model, Trained: sup.Trained, Source: source}
	if err := a.ReadJSON("predictions.json", &l.Sets); err != nil {
		return nil, err
	}
	return l, nil
}

// deriveSet makes one set's labels for a source: one-hot, with as many
// rows of each gold class wrong as the supervisor has there.
func (r *Runner) deriveSet(ctx context.Context, sup *Labels, set string, sp SetProbs, source string) (SetProbs, error) {
	n, C := len(sp.Gold), r.TaskInfo().NumClasses()
	pred := metrics.Argmax(sp.Probs)
	labels := make([]int, n)
	if source == SourceSupervisor {
		copy(labels, pred)
		return oneHot(sp, labels, C), nil
	}
	copy(labels, sp.Gold)
	// How likely each row is to be flipped, and the wrong class it takes.
	var score [][]float64 // per row, per class: higher is "more believed"
	switch source {
	case SourceUnsure:
		score = sp.Probs
	case SourceBoW:
		var err error
		if score, err = r.bowScores(ctx, set); err != nil {
			return SetProbs{}, err
		}
	}
	h := fnv.New64a()
	h.Write([]byte("labels/" + source + "/" + set))
	rng := rand.New(rand.NewPCG(r.Seed, h.Sum64()))
	for c := range C {
		var rows []int
		wrong := 0
		for i := range n {
			if sp.Gold[i] == c {
				rows = append(rows, i)
				if pred[i] != c {
					wrong++
				}
			}
		}
		switch source {
		case SourceRandom:
			rng.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		case SourceUnsure:
			// Least confident first (ties in row order).
			sort.SliceStable(rows, func(a, b int) bool { return slices.Max(score[rows[a]]) < slices.Max(score[rows[b]]) })
		default:
			// Least belief in the gold class first (ties in row order).
			sort.SliceStable(rows, func(a, b int) bool { return score[rows[a]][c] < score[rows[b]][c] })
		}
		for _, i := range rows[:wrong] {
			labels[i] = wrongClass(c, C, score, i, rng)
		}
	}
	return oneHot(sp, labels, C), nil
}

// wrongClass is the class a flipped row of gold class c takes: the one the
// scores believe most among the others, or one at random without scores.
func wrongClass(c, C int, score [][]float64, i int, rng *rand.Rand) int {
	if score == nil {
		k := rng.IntN(C - 1)
		if k >= c {
			k++
		}
		return k
	}
	best := -1
	for k := range C {
		if k != c && (best < 0 || score[i][k] > score[i][best]) {
			best = k
		}
	}
	return best
}

func oneHot(sp SetProbs, labels []int, C int) SetProbs {
	out := SetProbs{IDs: sp.IDs, Gold: sp.Gold, Probs: make([][]float64, len(labels))}
	for i, l := range labels {
		out.Probs[i] = make([]float64, C)
		out.Probs[i][l] = 1
	}
	return out
}

// bowScores are the class probabilities a TF-IDF logistic regression
// trained on gold half A gives the rows of set.
func (r *Runner) bowScores(ctx context.Context, set string) ([][]float64, error) {
	a, err := r.set(ctx, SetA)
	if err != nil {
		return nil, err
	}
	rows, err := r.set(ctx, set)
	if err != nil {
		return nil, err
	}
	texts := func(exs []tasks.Example) []string {
		out := make([]string, len(exs))
		for i, e := range exs {
			out[i] = e.Key()
		}
		return out
	}
	m, err := bow.Train(texts(a), goldLabels(a), r.TaskInfo().NumClasses(), bow.Options{Bigrams: true})
	if err != nil {
		return nil, err
	}
	return m.Predict(texts(rows)), nil
}

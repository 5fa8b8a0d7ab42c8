package stage

import (
	"time"

	"context"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/safetensors"
	"github.com/w2s-lab/w2s/w2s/store"
)

// Labels are soft labels: predictions of a trained classifier on sets.
type Labels struct {
	Artifact *store.Artifact
	Model    string   // the base model of the classifier that made them
	Trained  *Trained // that classifier
	Sets     map[string]SetProbs
	// Source is how labels derived from a supervisor's were made
	// (SourceLabels); "" for a classifier's own predictions.
	Source string
}

// SetProbs are the probabilities a classifier gives the examples of a set.
type SetProbs struct {
	IDs   []string
	Probs [][]float64
	Gold  []int
}

// First keeps the first n examples (all of them when n is 0 or more than
// there are).
func (p SetProbs) First(n int) SetProbs {
	if n <= 0 || n >= len(p.IDs) {
		return p
	}
	return SetProbs{IDs: p.IDs[:n], Probs: p.Probs[:n], Gold: p.Gold[:n]}
}

// PredictSpec identifies predictions.
type PredictSpec struct {
	Trained string // key of the trained artifact
	Sets    []string
}

// Predict returns the class probabilities a trained classifier gives the
// examples of sets (stored).
func (r *Runner) Predict(ctx context.Context, t *Trained, sets ...string) (*Labels, error) {
	spec := PredictSpec{Trained: t.Artifact.Key, Sets: sets}
	a, err := r.do(ctx, "predictions", versionPredictions, spec, func(out string) error {
		start := time.Now()
		c, err := r.restore(ctx, t, sets...)
		if err != nil {
			return err
		}
		pred, e, err := r.predictorFor(c)
		if err != nil {
			return err
		}
		defer release(e)
		result := map[string]SetProbs{}
		for _, set := range sets {
			exs, err := r.set(ctx, set)
			if err != nil {
				return err
			}
			if len(exs) == 0 {
				continue
			}
			probs, err := pred.predict(set)
			if err != nil {
				return err
			}
			sp := SetProbs{Probs: probs, Gold: goldLabels(exs)}
			for _, e := range exs {
				sp.IDs = append(sp.IDs, e.ID)
			}
			result[set] = sp
		}
		r.logf("predicted %v with %s (%s)", sets, t.Spec.Model.Name, time.Since(start).Round(time.Millisecond))
		return store.WriteJSON(out, "predictions.json", result)
	})
	if err != nil {
		return nil, err
	}
	l := &Labels{Artifact: a, Model: t.Spec.Model.Name, Trained: t}
	if err := a.ReadJSON("predictions.json", &l.Sets); err != nil {
		return nil, err
	}
	return l, nil
}

// Label is Predict on half B, the validation slice and the test set: the
// weak labels of a supervisor.
func (r *Runner) Label(ctx context.Context, supervisor *Trained) (*Labels, error) {
	return r.Predict(ctx, supervisor, SetB, SetVal, SetTest)
}

// predictorFor returns a predictor of c: for a finetuned model, on an idle
// engine of its architecture (with c's weights loaded; release it when
// done), else compiled afresh.
func (r *Runner) predictorFor(c *classifier) (*predictor, *engine, error) {
	if c.probe {
		return newPredictor(r.Backend, c), nil, nil
	}
	arch := archKey(r.Backend, c.cfg, c.pool)
	if e := takeEngine(arch, ""); e != nil {
		if err := e.load(c.ctx); err != nil {
			release(e)
			return nil, nil, err
		}
		c.ctx = e.ctx
		return e.predictor(c), e, nil
	}
	p := newPredictor(r.Backend, c)
	return p, &engine{arch: arch, ctx: c.ctx, model: modelVars(c.ctx), pred: p.exec}, nil
}

// restore rebuilds the classifier a trained artifact holds, to predict
// sets.
func (r *Runner) restore(ctx context.Context, t *Trained, sets ...string) (*classifier, error) {
	_, dir, err := r.modelRef(ctx, t.Spec.Model.Name)
	if err != nil {
		return nil, err
	}
	c, _, err := r.newClassifier(ctx, t.Spec, dir, sets...)
	if err != nil {
		return nil, err
	}
	if c.probe {
		f, err := safetensors.Open(t.Artifact.Path("head.safetensors"))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		w, shape, err := f.Float32s("score.weight")
		if err != nil {
			return nil, err
		}
		if err := c.ctx.InAbsPath("/score").GetVariable("weight").SetValue(tensors.FromFlatDataAndDimensions(w, shape...)); err != nil {
			return nil, err
		}
		return c, nil
	}
	head, n := r.head()
	m, err := checkpoint.Load(t.Artifact.Dir, checkpoint.LoadOptions{Head: head, NumLabels: n})
	if err != nil {
		return nil, err
	}
	c.ctx, c.cfg = m.Ctx, m.Config
	return c, nil
}

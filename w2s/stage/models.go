package stage

import (
	"path/filepath"

	"context"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/checksum"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// ModelRef names a base model and fixes its weights by checksum, so a
// rebuilt ladder does not reuse artifacts of the old one.
type ModelRef struct {
	Name   string
	SHA256 string
}

func (r *Runner) modelRef(ctx context.Context, name string) (ModelRef, string, error) {
	var dir string
	var err error
	if base, ok := baseName(name); ok {
		a, _, err := r.GenerativeFinetune(ctx, base)
		if err != nil {
			return ModelRef{}, "", err
		}
		dir = a.Dir
	} else if dir, err = zoo.Resolve(ctx, name); err != nil {
		return ModelRef{}, "", err
	}
	r.mu.Lock()
	if r.sums == nil {
		r.sums = map[string]string{}
	}
	sum, ok := r.sums[dir]
	r.mu.Unlock()
	if !ok {
		if sum, _, err = checksum.File(filepath.Join(dir, checkpoint.WeightsFile)); err != nil {
			return ModelRef{}, "", err
		}
		r.mu.Lock()
		r.sums[dir] = sum
		r.mu.Unlock()
	}
	return ModelRef{Name: name, SHA256: sum}, dir, nil
}

// head returns the head kind and width of the runner's task.
func (r *Runner) head() (model.Head, int) {
	t := r.TaskInfo()
	if t.Kind == tasks.Preference {
		return model.HeadReward, 1
	}
	return model.HeadClassification, t.NumClasses()
}

// loadBase loads a base model under the task's (fresh) head.
func (r *Runner) loadBase(dir string) (*model.Model, tokenizer.Tokenizer, error) {
	head, n := r.head()
	m, err := checkpoint.Load(dir, checkpoint.LoadOptions{Head: head, NumLabels: n})
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenizer.ForModel(dir, m.Config.VocabSize)
	return m, tok, err
}

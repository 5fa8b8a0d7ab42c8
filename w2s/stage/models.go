package stage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/internal/checksum"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// ModelRef names a base model and fixes it by content: SHA256 is the
// combined checksum of its config.json, weights and tokenizer, so an edited
// config, a retrained ladder or another tokenizer never reuses artifacts of
// the old one.
type ModelRef struct {
	Name   string
	SHA256 string
}

// modelFiles are the files of a checkpoint folder that decide what a model
// computes: its configuration, weights and tokenizer.
var modelFiles = []string{checkpoint.ConfigFile, checkpoint.WeightsFile, tokenizer.FileName}

// contentSum is the combined checksum of a checkpoint folder's modelFiles
// (those present; the weights and config are required).
func contentSum(dir string) (string, error) {
	sums := map[string]string{}
	for _, f := range modelFiles {
		sum, err := checksum.Cached(filepath.Join(dir, f))
		if os.IsNotExist(err) && f == tokenizer.FileName {
			continue // GPT-2 checkpoints use the built-in GPT-2 tokenizer
		}
		if err != nil {
			return "", fmt.Errorf("model %s: %w", dir, err)
		}
		sums[f] = sum
	}
	return checksum.Combined(sums), nil
}

// modelRef resolves a model name to its checkpoint folder and content
// checksum. Names are those of zoo.Resolve, plus models this runner derived
// (generative finetunes: GenerativeFinetune registers "NAME+genft").
func (r *Runner) modelRef(ctx context.Context, name string) (ModelRef, string, error) {
	r.mu.Lock()
	if r.sums == nil {
		r.sums, r.derived = map[string]string{}, map[string]string{}
	}
	dir, derived := r.derived[name]
	r.mu.Unlock()
	if !derived {
		if base, ok := baseName(name); ok {
			return ModelRef{}, "", fmt.Errorf("model %s is %s generatively finetuned on %s: run that stage first (Runner.GenerativeFinetune(%q))", name, base, r.Task, base)
		}
		var err error
		if dir, err = zoo.Resolve(ctx, name); err != nil {
			return ModelRef{}, "", err
		}
	}
	r.mu.Lock()
	sum, ok := r.sums[dir]
	r.mu.Unlock()
	if !ok {
		var err error
		if sum, err = contentSum(dir); err != nil {
			return ModelRef{}, "", err
		}
		r.mu.Lock()
		r.sums[dir] = sum
		r.mu.Unlock()
	}
	return ModelRef{Name: name, SHA256: sum}, dir, nil
}

// derive makes name resolve to a checkpoint folder this runner produced.
func (r *Runner) derive(name, dir string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sums == nil {
		r.sums, r.derived = map[string]string{}, map[string]string{}
	}
	r.derived[name] = dir
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
	return zoo.LoadDir(dir, checkpoint.LoadOptions{Head: head, NumLabels: n})
}

package split

import (
	"context"
	"fmt"

	"github.com/w2s-lab/w2s/w2s/tasks"
)

// TaskSplit is a task's data and one split of it.
type TaskSplit struct {
	Data   *tasks.Data
	Splits *Splits
}

// LoadTask loads the named task with opt and splits it with c. When the
// pool holds fewer than c.NDocs rows beside the c.NVal validation rows (and
// the tuning pool), c.NDocs is lowered to what it holds (FitNDocs).
func LoadTask(ctx context.Context, name string, opt tasks.LoadOptions, c Config) (*TaskSplit, error) {
	d, err := tasks.Load(ctx, name, opt)
	if err != nil {
		return nil, err
	}
	c.MaxPerGroup = d.Task.MaxPerGroup
	if c.NDocs > 0 {
		c.NDocs = FitNDocs(d.Pool, d.Test, c)
	}
	s, err := Make(d.Pool, d.Test, d.Task.NumClasses(), c)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", name, err)
	}
	return &TaskSplit{Data: d, Splits: s}, nil
}

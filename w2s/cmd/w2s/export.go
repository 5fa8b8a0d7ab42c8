package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/tasks"
)

// exportSplits writes the sets of task's split at scale and seed — halves
// A and B, the validation slice, the test set and the tuning pool's two
// halves, exactly as the experiments use them — into dir as JSON Lines in
// the dataset's own fields, one file per set, with a manifest of counts.
func exportSplits(ctx context.Context, w io.Writer, task, scale string, seed uint64, dir string) error {
	b, err := stage.BudgetFor(scale)
	if err != nil {
		return err
	}
	sess := &stage.Session{Budget: b, Data: tasks.LoadOptions{NoDownload: true}} // reads data only: no store or backend
	r, err := sess.Runner(task, seed)
	if err != nil {
		return err
	}
	s, err := r.Splits(ctx)
	if err != nil {
		return err
	}
	d, err := r.TaskData()
	if err != nil {
		return err
	}
	out := filepath.Join(dir, fmt.Sprintf("%s-%s-seed%d", task, scale, seed))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	sets := []struct {
		name string
		exs  []tasks.Example
	}{{stage.SetA, s.A}, {stage.SetB, s.B}, {stage.SetVal, s.Val}, {stage.SetTest, s.Test}, {stage.SetTuneA, s.TuneA}, {stage.SetTuneB, s.TuneB}}
	manifest := map[string]any{"task": task, "scale": scale, "seed": seed, "source": d.Source(), "counts": s.Counts, "sets": map[string]int{}}
	for _, set := range sets {
		ids := make([]string, len(set.exs))
		for i, e := range set.exs {
			ids[i] = e.ID
		}
		recs, err := d.Records(ids)
		if err != nil {
			return err
		}
		path := filepath.Join(out, set.name+".jsonl")
		err = atomicfile.Write(path, func(f io.Writer) error {
			bw := bufio.NewWriter(f)
			enc := json.NewEncoder(bw)
			enc.SetEscapeHTML(false)
			for _, rec := range recs {
				if err := enc.Encode(rec); err != nil {
					return err
				}
			}
			return bw.Flush()
		})
		if err != nil {
			return err
		}
		manifest["sets"].(map[string]int)[set.name] = len(recs)
		fmt.Fprintf(w, "%-6s %6d rows  %s\n", set.name, len(recs), path)
	}
	js, err := json.MarshalIndent(manifest, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(out, "manifest.json"), append(js, '\n'))
}

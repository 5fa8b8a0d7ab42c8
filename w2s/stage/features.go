package stage

import (
	"fmt"
	"path/filepath"
	"time"

	"context"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/safetensors"
	"github.com/w2s-lab/w2s/w2s/store"
)

// FeaturesSpec identifies cached features.
type FeaturesSpec struct {
	Split    SplitSpec
	Model    ModelRef
	Sets     []string
	MaxLen   int
	Truncate string
	Pool     string `json:",omitempty"` // omitted for the default, so older keys stay valid
}

// Features returns the frozen features of a base model (its last token, or
// the mean over tokens, as the budget's head reads them) on every
// set of the split, computed once and stored.
func (r *Runner) Features(ctx context.Context, modelName string) (*store.Artifact, error) {
	ref, dir, err := r.modelRef(ctx, modelName)
	if err != nil {
		return nil, err
	}
	sp, err := r.splitSpec(ctx)
	if err != nil {
		return nil, err
	}
	spec := FeaturesSpec{sp, ref, r.setNames(), r.Budget.MaxLen, r.Budget.Truncate, r.pool()}
	return r.do(ctx, "features", versionFeatures, spec, func(out string) error {
		start := time.Now()
		m, tok, err := r.loadBase(dir)
		if err != nil {
			return err
		}
		cfg := m.Config
		exec := mlctx.MustNewExec(r.Backend, m.Ctx, func(ctx *mlctx.Context, ids, mask *Node) *Node {
			d := ids.Shape().Dimensions
			ids2, mask2 := Reshape(ids, d[0]*d[1], d[2]), Reshape(mask, d[0]*d[1], d[2])
			return Reshape(pooled(model.Hidden(ctx, cfg, ids2, mask2, false), mask2, spec.Pool), d[0], d[1], cfg.NEmbd)
		})
		var ts []safetensors.Tensor
		truncated := 0
		for _, set := range r.setNames() {
			exs, err := r.set(ctx, set)
			if err != nil {
				return err
			}
			if len(exs) == 0 {
				continue
			}
			enc := encode(tok, exs, r.Budget.MaxLen, r.Budget.truncateSide())
			if enc.widths, err = r.widths(ctx, tok); err != nil {
				return err
			}
			truncated += enc.truncated
			n, k, d := enc.n(), enc.k, cfg.NEmbd
			data := make([]float32, n*k*d)
			order := make([]int, n)
			for i := range order {
				order[i] = i
			}
			sortByLength(order, func(i int) int { return len(enc.rows[i*k]) })
			for start := 0; start < n; start += predictBatch {
				if err := ctx.Err(); err != nil {
					return err
				}
				idx := fullBatch(order[start:min(n, start+predictBatch)], predictBatch)
				ids, mask := enc.batch(idx, tok.EOS())
				res, err := exec.Exec(ids, mask)
				if err != nil {
					return err
				}
				f := tensors.MustCopyFlatData[float32](res[0])
				for j, i := range idx[:min(len(idx), n-start)] {
					copy(data[i*k*d:(i+1)*k*d], f[j*k*d:(j+1)*k*d])
				}
			}
			ts = append(ts, safetensors.F32Tensor(set, []int{n, k, d}, data))
		}
		r.logf("features of %s on %s (seed %d): %s, %d inputs truncated to %d tokens", modelName, r.Task, r.Seed,
			time.Since(start).Round(time.Millisecond), truncated, r.Budget.MaxLen)
		return safetensors.Write(filepath.Join(out, "features.safetensors"), ts, map[string]string{"truncated": fmt.Sprint(truncated)})
	})
}

func loadFeatures(a *store.Artifact) (map[string]*features, error) {
	f, err := safetensors.Open(a.Path("features.safetensors"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]*features{}
	for _, t := range f.Tensors {
		data, shape, err := f.Float32s(t.Name)
		if err != nil {
			return nil, err
		}
		out[t.Name] = &features{data: data, n: shape[0], k: shape[1], d: shape[2]}
	}
	return out, nil
}

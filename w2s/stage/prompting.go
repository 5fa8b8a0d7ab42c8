package stage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/prompt"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

const versionPrompting = 2 // 2: Info.Accuracy and Info.AUROC are filled in

// PromptSpec identifies zero- or few-shot predictions.
type PromptSpec struct {
	Split      SplitSpec
	Model      ModelRef
	K          int    // demonstrations per query
	DemoSet    string // the half demonstrations come from
	DemoLabels string // Gold, or the key of the weak labels shown
	Test       int    // the first Test test examples are scored (0: all)
}

// PromptInfo summarises how prompts fitted the context.
type PromptInfo struct {
	K               int
	MeanDemos       float64 // demonstrations kept on average
	QueriesCut      int     // queries that alone exceeded the context
	Seconds         float64
	Accuracy, AUROC metrics.Float
}

// Prompted are the predictions of a prompted language model on the test
// set.
type Prompted struct {
	Artifact *store.Artifact
	Spec     PromptSpec
	Test     SetProbs
	Info     PromptInfo
}

// Prompt scores the test set by prompting modelName's language model with
// k demonstrations from half B (drawn per query, reproducibly from the
// seed), labelled with gold labels (weak nil) or with weak labels.
func (r *Runner) Prompt(ctx context.Context, modelName string, k int, weak *Labels) (*Prompted, error) {
	ref, dir, err := r.modelRef(ctx, modelName)
	if err != nil {
		return nil, err
	}
	sp, err := r.splitSpec(ctx)
	if err != nil {
		return nil, err
	}
	spec := PromptSpec{Split: sp, Model: ref, K: k, DemoSet: SetB, DemoLabels: Gold, Test: r.Budget.PromptTest}
	if weak != nil {
		spec.DemoLabels = weak.Artifact.Key
	}
	if k == 0 {
		spec.DemoSet, spec.DemoLabels = "", "" // zero-shot depends on neither
	}
	a, err := r.do(ctx, "prompted", versionPrompting, spec, func(out string) error {
		return r.prompt(ctx, spec, dir, weak, out)
	})
	if err != nil {
		return nil, err
	}
	p := &Prompted{Artifact: a, Spec: spec}
	if err := a.ReadJSON("predictions.json", &p.Test); err != nil {
		return nil, err
	}
	return p, a.ReadJSON("info.json", &p.Info)
}

func (r *Runner) prompt(ctx context.Context, spec PromptSpec, dir string, weak *Labels, out string) error {
	start := time.Now()
	m, err := checkpoint.Load(dir, checkpoint.LoadOptions{})
	if err != nil {
		return err
	}
	tok, err := tokenizer.ForModel(dir, m.Config.VocabSize)
	if err != nil {
		return err
	}
	task := r.TaskInfo()
	test, err := r.set(ctx, SetTest)
	if err != nil {
		return err
	}
	if spec.Test > 0 && spec.Test < len(test) {
		test = test[:spec.Test]
	}
	demos, err := r.set(ctx, SetB)
	if err != nil {
		return err
	}
	demoLabel := func(i int) int { return demos[i].Label }
	if weak != nil {
		wb := weak.Sets[SetB]
		if len(wb.IDs) != len(demos) {
			return fmt.Errorf("stage: weak labels cover %d of the %d demonstrations", len(wb.IDs), len(demos))
		}
		pred := metrics.Argmax(wb.Probs)
		demoLabel = func(i int) int { return pred[i] }
	}
	var prompts []prompt.Encoded
	info := PromptInfo{K: spec.K}
	for qi, q := range test {
		var ds []prompt.Demo
		if spec.K > 0 {
			rng := rand.New(rand.NewPCG(r.Seed, uint64(qi)+0xde30))
			for _, i := range rng.Perm(len(demos))[:min(spec.K, len(demos))] {
				ds = append(ds, prompt.Demo{Example: demos[i], Label: demoLabel(i)})
			}
		}
		e := prompt.Encode(tok, task, ds, q, m.Config.NPositions)
		info.MeanDemos += float64(e.Demos) / float64(len(test))
		if e.Cut {
			info.QueriesCut++
		}
		prompts = append(prompts, e)
	}
	cfg := m.Config
	exec := mlctx.MustNewExec(r.Backend, m.Ctx, func(ctx *mlctx.Context, ids, mask, tg, tmask *Node) *Node {
		return prompt.SequenceLogProb(ctx, cfg, ids, mask, tg, tmask)
	})
	C := task.NumClasses()
	res := SetProbs{Gold: goldLabels(test)}
	const perBatch = 16
	for startQ := 0; startQ < len(prompts); startQ += perBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := prompts[startQ:min(len(prompts), startQ+perBatch)]
		ids, mask, tg, tmask, n, T := prompt.Rows(batch, tok.EOS())
		outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(ids, n, T), tensors.FromFlatDataAndDimensions(mask, n, T),
			tensors.FromFlatDataAndDimensions(tg, n, T), tensors.FromFlatDataAndDimensions(tmask, n, T))
		if err != nil {
			return err
		}
		scores := tensors.MustCopyFlatData[float32](outs[0])
		for i := range batch {
			s := make([]float64, C)
			for c := range C {
				s[c] = float64(scores[i*C+c])
			}
			res.Probs = append(res.Probs, prompt.Probs(s))
		}
	}
	for _, q := range test {
		res.IDs = append(res.IDs, q.ID)
	}
	sc := Score(res)
	info.Accuracy, info.AUROC = sc.Accuracy, sc.AUROC
	info.Seconds = time.Since(start).Seconds()
	r.logf("prompted %s with %d-shot %s demonstrations on %s: accuracy %.3f (%.1f demonstrations fit on average; %s)",
		spec.Model.Name, spec.K, map[bool]string{true: "weak", false: "gold"}[weak != nil], r.Task, sc.Accuracy, info.MeanDemos,
		time.Since(start).Round(time.Second))
	if err := store.WriteJSON(out, "predictions.json", res); err != nil {
		return err
	}
	return store.WriteJSON(out, "info.json", info)
}

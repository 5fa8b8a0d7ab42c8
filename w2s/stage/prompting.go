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
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/prompt"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/zoo"
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
	// NonEmbeddingParams is the prompted model's size, counted when loaded.
	NonEmbeddingParams int
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

// prompt fills the artifact folder out of a prompting of the model in dir.
func (r *Runner) prompt(ctx context.Context, spec PromptSpec, dir string, weak *Labels, out string) error {
	start := time.Now()
	m, tok, err := zoo.LoadDir(dir, checkpoint.LoadOptions{})
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
	demos, err := r.demos(ctx, weak)
	if err != nil {
		return err
	}
	prompts, info := r.encodePrompts(tok, task, test, demos, spec.K, m.Config.NPositions)
	_, info.NonEmbeddingParams = m.Config.NumParams()
	res := SetProbs{Gold: goldLabels(test)}
	if res.Probs, err = r.scorePrompts(ctx, m, prompts, tok.EOS(), task.NumClasses()); err != nil {
		return err
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

// demoPool are the examples demonstrations are drawn from, with the label
// each is shown with.
type demoPool struct {
	exs   []tasks.Example
	label func(i int) int
}

// demos is half B with its gold labels (weak nil) or with the weak
// labels' predictions: weak-labelled demonstrations show a model only what
// its supervisor knows.
func (r *Runner) demos(ctx context.Context, weak *Labels) (demoPool, error) {
	exs, err := r.set(ctx, SetB)
	if err != nil {
		return demoPool{}, err
	}
	d := demoPool{exs: exs, label: func(i int) int { return exs[i].Label }}
	if weak != nil {
		wb := weak.Sets[SetB]
		if len(wb.IDs) != len(exs) {
			return demoPool{}, fmt.Errorf("stage: weak labels cover %d of the %d demonstrations", len(wb.IDs), len(exs))
		}
		pred := metrics.Argmax(wb.Probs)
		d.label = func(i int) int { return pred[i] }
	}
	return d, nil
}

// draw picks k demonstrations for query qi from a generator seeded by the
// seed and the query, so a query's demonstrations do not depend on which
// other queries are scored.
func (d demoPool) draw(seed uint64, qi, k int) []prompt.Demo {
	if k <= 0 {
		return nil
	}
	var ds []prompt.Demo
	rng := rand.New(rand.NewPCG(seed, uint64(qi)+0xde30))
	for _, i := range rng.Perm(len(d.exs))[:min(k, len(d.exs))] {
		ds = append(ds, prompt.Demo{Example: d.exs[i], Label: d.label(i)})
	}
	return ds
}

// encodePrompts builds each test query's prompt with k demonstrations,
// fitted into a context of T tokens, and reports in info how many
// demonstrations fitted and how many queries were cut.
func (r *Runner) encodePrompts(tok tokenizer.Tokenizer, task *tasks.Task, test []tasks.Example, demos demoPool, k, T int) ([]prompt.Encoded, PromptInfo) {
	var prompts []prompt.Encoded
	info := PromptInfo{K: k}
	for qi, q := range test {
		e := prompt.Encode(tok, task, demos.draw(r.Seed, qi, k), q, T)
		info.MeanDemos += float64(e.Demos) / float64(len(test))
		if e.Cut {
			info.QueriesCut++
		}
		prompts = append(prompts, e)
	}
	return prompts, info
}

// scorePrompts are the class probabilities of each prompt, from the log
// probabilities m gives each class's answer, in batches of 16 prompts.
func (r *Runner) scorePrompts(ctx context.Context, m *model.Model, prompts []prompt.Encoded, eos int32, C int) ([][]float64, error) {
	cfg := m.Config
	exec := mlctx.MustNewExec(r.Backend, m.Ctx, func(ctx *mlctx.Context, ids, mask, tg, tmask *Node) *Node {
		return prompt.SequenceLogProb(ctx, cfg, ids, mask, tg, tmask)
	})
	var probs [][]float64
	const perBatch = 16
	for startQ := 0; startQ < len(prompts); startQ += perBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := prompts[startQ:min(len(prompts), startQ+perBatch)]
		ids, mask, tg, tmask, n, T := prompt.Rows(batch, eos)
		outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(ids, n, T), tensors.FromFlatDataAndDimensions(mask, n, T),
			tensors.FromFlatDataAndDimensions(tg, n, T), tensors.FromFlatDataAndDimensions(tmask, n, T))
		if err != nil {
			return nil, err
		}
		scores := tensors.MustCopyFlatData[float32](outs[0])
		for i := range batch {
			s := make([]float64, C)
			for c := range C {
				s[c] = float64(scores[i*C+c])
			}
			probs = append(probs, prompt.Probs(s))
		}
	}
	return probs, nil
}

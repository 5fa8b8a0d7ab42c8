package stage

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"context"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/safetensors"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/train"
)

// TrainSpec identifies a trained classifier.
type TrainSpec struct {
	Split    SplitSpec
	Model    ModelRef
	Half     string // the set trained on: A (supervisor) or B (student, ceiling)
	Labels   string // Gold, or the key of the predictions used as weak labels
	Loss     losses.Spec
	Probe    bool
	Epochs   float64
	Batch    int
	LR       float64
	Decay    float64
	Warmup   float64
	MaxLen   int
	Truncate string
	Pool     string `json:",omitempty"` // "" is the last token
	// Shuffled batches are plain shuffles, not grouped by length (a
	// diagnostic; see Budget.Shuffled).
	Shuffled  bool `json:",omitempty"`
	Evals     int  // evaluations during training (students only)
	CurveTest int  // test examples of those evaluations (0: all)
}

// Trained is a trained classifier artifact.
type Trained struct {
	Artifact *store.Artifact
	Spec     TrainSpec
	Curve    []train.Point // metrics: test_acc, test_auroc (gold); val_acc_weak, val_loss_weak (vs weak labels)
	Info     TrainInfo
}

// TrainInfo summarises a training.
type TrainInfo struct {
	Steps, Examples int
	Truncated       int
	Seconds         float64
	FinalLoss       float64
	// RealTokens and PaddedTokens count the token positions of every
	// training batch: real tokens, and real plus padding (length buckets
	// keep the ratio near 1).
	RealTokens   int `json:",omitempty"`
	PaddedTokens int `json:",omitempty"`
	// ResumedFrom is the step this training continued from after an
	// interruption (0: it ran from the start).
	ResumedFrom int `json:",omitempty"`
	// Params and NonEmbeddingParams are the base model's sizes, counted
	// when it was loaded (any checkpoint, with or without a build record).
	Params, NonEmbeddingParams int
}

// TrainSupervisor finetunes (or probes) the weak model on gold half A.
func (r *Runner) TrainSupervisor(ctx context.Context, weak string) (*Trained, error) {
	return r.Train(ctx, weak, SetA, nil, "xent")
}

// TrainCeiling trains the strong model on gold half B.
func (r *Runner) TrainCeiling(ctx context.Context, strong string) (*Trained, error) {
	return r.Train(ctx, strong, SetB, nil, "xent")
}

// TrainStudent trains the strong model on half B with weak labels.
func (r *Runner) TrainStudent(ctx context.Context, strong string, weak *Labels, loss losses.Spec) (*Trained, error) {
	if weak == nil {
		return nil, errors.New("stage: a student needs weak labels")
	}
	return r.Train(ctx, strong, SetB, weak, loss)
}

// Train trains base model modelName on a half with gold labels (labels nil)
// or soft labels, with the loss, at the runner's budget. During training it
// evaluates Budget.Evals times on the gold test set and, when labels carry
// the validation slice, against the weak labels of that slice.
func (r *Runner) Train(ctx context.Context, modelName, half string, labels *Labels, lossName losses.Spec) (*Trained, error) {
	ref, dir, err := r.modelRef(ctx, modelName)
	if err != nil {
		return nil, err
	}
	loss, err := losses.New(string(lossName))
	if err != nil {
		return nil, err
	}
	b := r.Budget
	sp, err := r.splitSpec(ctx)
	if err != nil {
		return nil, err
	}
	h := b.HyperFor(modelName)
	spec := TrainSpec{Split: sp, Model: ref, Half: half, Labels: Gold, Loss: losses.Spec(loss.Name()), Probe: b.Probe,
		Epochs: h.Epochs, Batch: b.Batch, LR: h.LR, Decay: b.WeightDecay, Warmup: b.Warmup,
		MaxLen: b.MaxLen, Truncate: b.Truncate, Pool: r.pool(), Shuffled: b.Shuffled && !b.Probe}
	if b.Probe {
		spec.LR = b.ProbeLR
		if b.ProbeEpochs > 0 {
			spec.Epochs = b.ProbeEpochs
		}
	}
	if labels != nil {
		spec.Labels = labels.Artifact.Key
		spec.Evals, spec.CurveTest = b.Evals, b.CurveTest
	}
	key, _, err := store.Key("trained", versionTrained, spec)
	if err != nil {
		return nil, err
	}
	a, err := r.do(ctx, "trained", versionTrained, spec, func(out string) error {
		return r.train(ctx, spec, dir, labels, loss, r.Store.WorkDir("trained", key), out)
	})
	if err != nil {
		return nil, err
	}
	t := &Trained{Artifact: a, Spec: spec}
	if err := a.ReadJSON("curve.json", &t.Curve); err != nil {
		return nil, err
	}
	if err := a.ReadJSON("info.json", &t.Info); err != nil {
		return nil, err
	}
	return t, nil
}

// newClassifier builds the classifier for a spec: the base model with the
// task's head (finetuning, the inputs of sets encoded) or a head over the
// base model's features.
func (r *Runner) newClassifier(ctx context.Context, spec TrainSpec, dir string, sets ...string) (*classifier, tokenizer.Tokenizer, error) {
	m, tok, err := r.loadBase(dir)
	if err != nil {
		return nil, nil, err
	}
	c := &classifier{cfg: m.Config, pad: tok.EOS(), pool: spec.Pool}
	if spec.Probe {
		fa, err := r.Features(ctx, spec.Model.Name)
		if err != nil {
			return nil, nil, err
		}
		if c.feats, err = loadFeatures(fa); err != nil {
			return nil, nil, err
		}
		c.probe = true
		c.ctx = newProbeContext(m.Config, m.Config.NEmbd)
		return c, tok, nil
	}
	c.ctx = m.Ctx
	c.enc = map[string]*encoded{}
	widths, err := r.widths(ctx, tok)
	if err != nil {
		return nil, nil, err
	}
	for _, set := range sets {
		exs, err := r.set(ctx, set)
		if err != nil {
			return nil, nil, err
		}
		c.enc[set] = encode(tok, exs, spec.MaxLen, r.Budget.truncateSide())
		c.enc[set].widths = widths
	}
	return c, tok, nil
}

// train fills the artifact folder out of a training, keeping resumable
// state under work.
func (r *Runner) train(ctx context.Context, spec TrainSpec, dir string, labels *Labels, loss losses.Loss, work, out string) error {
	start := time.Now()
	// The half trained on, and the sets the evaluations read.
	c, tok, err := r.newClassifier(ctx, spec, dir, spec.Half, SetVal, SetTest)
	if err != nil {
		return err
	}
	exs, err := r.set(ctx, spec.Half)
	if err != nil {
		return err
	}
	targets, err := r.targets(spec.Half, exs, labels)
	if err != nil {
		return err
	}
	n := len(exs)
	steps := int(math.Ceil(spec.Epochs * float64(n) / float64(spec.Batch)))
	desc := fmt.Sprintf("%s %s on %s/%s", spec.Model.Name, loss.Name(), r.Task, spec.Half)
	res, order, e, err := r.fit(ctx, c, spec, targets, labels, loss, steps, desc, work)
	defer release(e)
	if err != nil {
		return err
	}
	if err := r.saveClassifier(out, c, tok); err != nil {
		return err
	}
	truncated := 0
	if !c.probe {
		truncated = c.enc[spec.Half].truncated
	}
	info := TrainInfo{Steps: steps, Examples: n, Truncated: truncated, Seconds: time.Since(start).Seconds(),
		FinalLoss: res.Curve[len(res.Curve)-1].Loss, ResumedFrom: res.ResumedFrom}
	info.Params, info.NonEmbeddingParams = c.cfg.NumParams()
	padding := ""
	if !c.probe {
		info.RealTokens, info.PaddedTokens = tokenCounts(c.enc[spec.Half], order)
		padding = fmt.Sprintf(", %d real tokens in %d positions (%.2f×)", info.RealTokens, info.PaddedTokens, float64(info.PaddedTokens)/float64(max(1, info.RealTokens)))
	}
	compiled := res.Compile.String()
	if e != nil && e.reused {
		compiled += ", reused the graphs of an earlier training"
	}
	r.logf("trained %s (%s, %d steps, %s, %s%s%s)", desc, map[bool]string{true: "probe", false: "finetune"}[c.probe], steps,
		time.Duration(info.Seconds*float64(time.Second)).Round(time.Second), compiled, padding, resumedNote(res.ResumedFrom))
	if err := store.WriteJSON(out, "curve.json", res.Curve); err != nil {
		return err
	}
	return store.WriteJSON(out, "info.json", info)
}

// targets are the distributions the examples of half are trained towards:
// one-hot gold labels (labels nil), or the weak labels' probabilities,
// which must be for exactly these examples, in this order.
func (r *Runner) targets(half string, exs []tasks.Example, labels *Labels) ([][]float64, error) {
	n, C := len(exs), r.TaskInfo().NumClasses()
	targets := make([][]float64, n)
	if labels == nil && r.TaskInfo().Kind == tasks.Classification {
		if err := r.checkClasses(half, exs); err != nil {
			return nil, err
		}
	}
	if labels == nil {
		for i, e := range exs {
			targets[i] = make([]float64, C)
			targets[i][e.Label] = 1
		}
		return targets, nil
	}
	sp, ok := labels.Sets[half]
	if !ok || len(sp.IDs) != n {
		return nil, fmt.Errorf("stage: the labels hold no set %s of %d examples", half, n)
	}
	for i, e := range exs {
		if sp.IDs[i] != e.ID {
			return nil, fmt.Errorf("stage: label %d is for %s, the example is %s", i, sp.IDs[i], e.ID)
		}
		targets[i] = sp.Probs[i]
	}
	return targets, nil
}

// checkClasses refuses a gold half of a single class: training would
// "succeed" at a constant predictor, and the error says what to change.
func (r *Runner) checkClasses(half string, exs []tasks.Example) error {
	seen := map[int]int{}
	for _, e := range exs {
		seen[e.Label]++
	}
	if len(seen) < 2 {
		return fmt.Errorf("stage: half %s of %s (seed %d) has %d rows, all of class %q: a model cannot learn the task from one class; use more rows (NDocs) or Budget.Balance",
			half, r.Task, r.Seed, len(exs), r.TaskInfo().Labels[exs[0].Label])
	}
	return nil
}

// fit trains c towards targets for steps steps, in the seed's epoch order,
// evaluating as spec asks. desc names the training on progress displays.
// A finetuning runs on an engine (its graphs compiled once per process and
// architecture), which fit returns for the caller to release once it has
// saved the model from c.ctx.
func (r *Runner) fit(ctx context.Context, c *classifier, spec TrainSpec, targets [][]float64, labels *Labels, loss losses.Loss, steps int, desc, work string) (*train.Result, [][]int, *engine, error) {
	C := r.TaskInfo().NumClasses()
	var lengths []int
	if !c.probe && !spec.Shuffled {
		lengths = c.enc[spec.Half].lengths()
	}
	order := epochOrder(lengths, len(targets), steps, spec.Batch, r.Seed)
	tc := trainConfig(spec, steps, work, r.Seed)
	var e *engine
	if !c.probe {
		arch := archKey(r.Backend, c.cfg, c.pool)
		tk := trainKey(arch, loss, tc)
		if e = takeEngine(arch, tk); e != nil {
			if err := e.load(c.ctx); err != nil {
				return nil, nil, nil, err
			}
			c.ctx, loss = e.ctx, e.loss
			e.reused = true
		} else {
			e = &engine{arch: arch, train: tk, ctx: c.ctx, model: modelVars(c.ctx), loss: loss}
		}
	}
	var pred *predictor
	var tr *train.Trainer
	if e != nil && e.trainer != nil {
		pred, tr = e.predictor(c), e.trainer
	} else {
		loss.Init(c.ctx, C)
		lossFn := func(ctx *mlctx.Context, in []*Node, progress *Node) *Node {
			logits := c.logits(ctx, in[:len(in)-1], true)
			return loss.Build(ctx, logits, in[len(in)-1], progress)
		}
		pred = newPredictor(r.Backend, c)
		tr = &train.Trainer{Backend: r.Backend, Ctx: c.ctx, Loss: lossFn}
		if e != nil {
			e.pred, e.trainer = pred.exec, tr
		}
	}
	var rows map[string]metrics.Hits
	tr.Config, tr.Eval, tr.Progress = tc, r.evaluator(ctx, pred, labels, spec.Loss, spec.CurveTest, &rows), r.progress(desc)
	tr.EvalRows = func(int) map[string]metrics.Hits { return rows }
	res, err := tr.Run(ctx, targetBatches(c, spec.Half, order, targets, C))
	return res, order, e, err
}

// tokenCounts are the real tokens and the padded positions of the batches
// order makes of e.
func tokenCounts(e *encoded, order [][]int) (real, padded int) {
	for _, idx := range order {
		for _, i := range idx {
			for k := range e.k {
				real += len(e.rows[i*e.k+k])
			}
		}
		padded += len(idx) * e.k * e.width(idx)
	}
	return real, padded
}

// targetBatches are the batches of fit: the classifier's inputs for the
// step's examples, with their target distributions as the last tensor,
// which the loss splits off.
func targetBatches(c *classifier, half string, order [][]int, targets [][]float64, C int) train.Batches {
	return func(step, _ int) ([]*tensors.Tensor, error) {
		idx := order[step]
		t := make([]float32, 0, len(idx)*C)
		for _, i := range idx {
			for _, p := range targets[i] {
				t = append(t, float32(p))
			}
		}
		return append(c.inputs(half, idx), tensors.FromFlatDataAndDimensions(t, len(idx), C)), nil
	}
}

// trainConfig is the optimisation of a training. It saves its state about
// ten times, so a killed process (gold or weak labels alike) resumes from
// its last save.
func trainConfig(spec TrainSpec, steps int, work string, seed uint64) train.Config {
	tc := train.Config{Steps: steps, LR: spec.LR, Warmup: int(spec.Warmup * float64(steps)), WeightDecay: spec.Decay,
		ClipNorm: 1, Dir: filepath.Join(work, "state"), Seed: seed, SaveEvery: max(1, steps/10)}
	if spec.Evals > 0 {
		tc.EvalEvery = max(1, steps/spec.Evals)
	}
	return tc
}

// progress is the display of one training, or nil when the runner shows
// none.
func (r *Runner) progress(desc string) train.Progress {
	if r.Progress == nil {
		return nil
	}
	return r.Progress(desc)
}

// saveClassifier writes what predicts: the whole model, or only the
// probe's head (its base model and features are stored already).
func (r *Runner) saveClassifier(out string, c *classifier, tok tokenizer.Tokenizer) error {
	if c.probe {
		w, err := c.ctx.InAbsPath("/score").GetVariable("weight").Value()
		if err != nil {
			return err
		}
		d := w.Shape().Dimensions
		return safetensors.Write(filepath.Join(out, "head.safetensors"),
			[]safetensors.Tensor{safetensors.F32Tensor("score.weight", d, tensors.MustCopyFlatData[float32](w))}, nil)
	}
	m := &model.Model{Config: c.cfg, DType: dtypes.Float32, Ctx: c.ctx}
	return saveModel(out, m, tok, r.TaskInfo().Labels)
}

// saveModel writes m as an HF checkpoint folder, with class names labels
// (nil for a language model). A tokenizer we trained is saved beside it;
// GPT-2's is found again by the vocabulary size.
func saveModel(out string, m *model.Model, tok tokenizer.Tokenizer, labels []string) error {
	eos := int(tok.EOS())
	if err := checkpoint.Save(out, m, checkpoint.Options{EOS: &eos, Labels: labels}); err != nil {
		return err
	}
	if bpe, ok := tok.(*tokenizer.BPE); ok {
		return bpe.Save(filepath.Join(out, tokenizer.FileName))
	}
	return nil
}

// resumedNote tells in the log line that a training continued from a save.
func resumedNote(step int) string {
	if step <= 0 {
		return ""
	}
	return fmt.Sprintf(", resumed from step %d", step)
}

// evaluator measures a model during training: gold accuracy (and AUROC for
// two classes) on the first limit test examples (0: all) and, given weak
// labels with a validation slice, agreement with and cross-entropy against
// those weak labels. It leaves in *rows which of those test examples the
// model got right ("test"), for the curve's per-row results.
func (r *Runner) evaluator(ctx context.Context, pred *predictor, labels *Labels, loss losses.Spec, limit int, rows *map[string]metrics.Hits) train.EvalFn {
	return func(int) (map[string]float64, error) {
		out := map[string]float64{}
		test, err := r.set(ctx, SetTest)
		if err != nil {
			return nil, err
		}
		if limit > 0 && limit < len(test) {
			test = test[:limit]
		}
		probs, err := pred.predictFirst(SetTest, len(test))
		if err != nil {
			return nil, err
		}
		gold := goldLabels(test)
		out["test_acc"] = metrics.Accuracy(metrics.Argmax(probs), gold)
		*rows = map[string]metrics.Hits{"test": metrics.HitsOf(metrics.Argmax(probs), gold)}
		if len(probs[0]) == 2 {
			out["test_auroc"] = metrics.AUROC(column(probs, 1), gold)
		}
		if labels != nil {
			if v, ok := labels.Sets[SetVal]; ok && len(v.IDs) > 0 && pred.c.size(SetVal) == len(v.IDs) {
				vp, err := pred.predictFirst(SetVal, len(v.IDs))
				if err != nil {
					return nil, err
				}
				out["val_acc_weak"] = metrics.Accuracy(metrics.Argmax(vp), metrics.Argmax(v.Probs))
				vl, err := losses.Validation(loss, vp, v.Probs)
				if err != nil {
					return nil, err
				}
				out["val_loss_weak"] = vl
			}
		}
		for k, v := range out {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				delete(out, k) // undefined (one class only): absent, not NaN
			}
		}
		return out, nil
	}
}

func goldLabels(exs []tasks.Example) []int {
	out := make([]int, len(exs))
	for i, e := range exs {
		out[i] = e.Label
	}
	return out
}

func column(probs [][]float64, c int) []float64 {
	out := make([]float64, len(probs))
	for i, p := range probs {
		out[i] = p[c]
	}
	return out
}

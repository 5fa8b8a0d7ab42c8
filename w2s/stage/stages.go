package stage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/checksum"
	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/safetensors"
	"github.com/w2s-lab/w2s/w2s/split"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// Stage versions: bump one when its code changes what it produces, so
// stored artifacts of the old code are not reused.
const (
	versionFeatures    = 1
	versionTrained     = 1
	versionPredictions = 1
)

// Sets of a split.
const (
	SetA    = "A"
	SetB    = "B"
	SetVal  = "val"
	SetTest = "test"
)

// Gold marks training on gold labels.
const Gold = "gold"

// Runner runs the stages of one task at one budget and split seed.
type Runner struct {
	Task     string
	Budget   Budget
	Seed     uint64
	Store    *store.Store
	Backend  backends.Backend
	Data     tasks.LoadOptions
	Log      io.Writer                        // one line per stage computed (default os.Stderr)
	Progress func(desc string) train.Progress // progress of trainings (optional)
	// Extra asks for this many more halves like B, named B1, B2, …, of fresh
	// examples (bootstrapping chains). They leave A, B, val and test as they
	// are, so artifacts of those sets are shared with runs without extras.
	Extra int

	mu     sync.Mutex
	data   *tasks.Data
	splits *split.Splits
	sums   map[string]string // model folder → weights sha256
}

// NewRunner prepares the stages of task at a scale's budget, with the
// default store and backend.
func NewRunner(task, scale string, seed uint64) (*Runner, error) {
	b, err := BudgetFor(scale)
	if err != nil {
		return nil, err
	}
	st, err := store.Open("")
	if err != nil {
		return nil, err
	}
	be, err := backend.Default()
	if err != nil {
		return nil, err
	}
	if _, err := tasks.Get(task); err != nil {
		return nil, err
	}
	return &Runner{Task: task, Budget: b, Seed: seed, Store: st, Backend: be, Log: os.Stderr}, nil
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", args...)
	}
}

// SplitSpec identifies the data of an experiment.
type SplitSpec struct {
	Task               string
	NDocs, NVal, NTest int
	Balance            bool
	Seed               uint64
}

func (r *Runner) splitSpec() SplitSpec {
	b := r.Budget
	return SplitSpec{r.Task, r.nDocs(), b.NVal, b.NTest, b.Balance, r.Seed}
}

// nDocs is the training rows asked for: PairNDocs for preference tasks.
func (r *Runner) nDocs() int {
	if t := r.TaskInfo(); t != nil && t.Kind == tasks.Preference && r.Budget.PairNDocs > 0 {
		return r.Budget.PairNDocs
	}
	return r.Budget.NDocs
}

// Splits loads the task and makes its splits (deterministic; computed once
// per runner).
func (r *Runner) Splits(ctx context.Context) (*split.Splits, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.splits != nil {
		return r.splits, nil
	}
	if r.data == nil {
		d, err := tasks.Load(ctx, r.Task, r.Data)
		if err != nil {
			return nil, err
		}
		r.data = d
	}
	b := r.Budget
	// A small pool gives what it has (the same for every run of this data).
	// Rows needed: nDocs (A and B) + NVal + Extra halves of nDocs/2.
	nDocs := min(r.nDocs(), 2*(len(r.data.Pool)-b.NVal)/(2+r.Extra)/2*2)
	s, err := split.Make(r.data.Pool, r.data.Test, r.data.Task.NumClasses(), split.Config{
		NDocs: nDocs, NVal: b.NVal, NTest: b.NTest, Balance: b.Balance, Seed: r.Seed, NExtra: r.Extra})
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", r.Task, err)
	}
	r.splits = s
	return s, nil
}

// pool is the head's input: "" (the last token, the default) or "mean".
func (r *Runner) pool() string {
	if r.Budget.Pool == "mean" {
		return "mean"
	}
	return ""
}

// setNames lists the sets of the split.
func (r *Runner) setNames() []string {
	names := []string{SetA, SetB, SetVal, SetTest}
	for k := 1; k <= r.Extra; k++ {
		names = append(names, fmt.Sprintf("B%d", k))
	}
	return names
}

// TaskInfo returns the task of the runner.
func (r *Runner) TaskInfo() *tasks.Task {
	t, _ := tasks.Get(r.Task)
	return t
}

func (r *Runner) set(ctx context.Context, name string) ([]tasks.Example, error) {
	s, err := r.Splits(ctx)
	if err != nil {
		return nil, err
	}
	switch name {
	case SetA:
		return s.A, nil
	case SetB:
		return s.B, nil
	case SetVal:
		return s.Val, nil
	case SetTest:
		return s.Test, nil
	}
	var k int
	if _, err := fmt.Sscanf(name, "B%d", &k); err == nil && k >= 1 && k <= len(s.Extra) && name == fmt.Sprintf("B%d", k) {
		return s.Extra[k-1], nil
	}
	return nil, fmt.Errorf("unknown set %q (sets: A, B, val, test, and B1…B%d with Runner.Extra = %d)", name, len(s.Extra), r.Extra)
}

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

// FeaturesSpec identifies cached features.
type FeaturesSpec struct {
	Split    SplitSpec
	Model    ModelRef
	Sets     []string
	MaxLen   int
	Truncate string
	Pool     string `json:",omitempty"` // omitted for the default, so older keys stay valid
}

// Features returns the frozen last-token features of a base model on every
// set of the split, computed once and stored.
func (r *Runner) Features(ctx context.Context, modelName string) (*store.Artifact, error) {
	ref, dir, err := r.modelRef(ctx, modelName)
	if err != nil {
		return nil, err
	}
	spec := FeaturesSpec{r.splitSpec(), ref, r.setNames(), r.Budget.MaxLen, r.Budget.Truncate, r.pool()}
	return r.Store.Do(ctx, "features", versionFeatures, spec, func(out string) error {
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
			truncated += enc.truncated
			n, k, d := enc.n(), enc.k, cfg.NEmbd
			data := make([]float32, n*k*d)
			order := make([]int, n)
			for i := range order {
				order[i] = i
			}
			sortByLength(order, func(i int) int { return len(enc.rows[i*k]) })
			for start := 0; start < n; start += 64 {
				if err := ctx.Err(); err != nil {
					return err
				}
				idx := order[start:min(n, start+64)]
				ids, mask := enc.batch(idx, tok.EOS())
				res, err := exec.Exec(ids, mask)
				if err != nil {
					return err
				}
				f := tensors.MustCopyFlatData[float32](res[0])
				for j, i := range idx {
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

// TrainSpec identifies a trained classifier.
type TrainSpec struct {
	Split     SplitSpec
	Model     ModelRef
	Half      string // the set trained on: A (supervisor) or B (student, ceiling)
	Labels    string // Gold, or the key of the predictions used as weak labels
	Loss      string
	Probe     bool
	Epochs    float64
	Batch     int
	LR        float64
	Decay     float64
	Warmup    float64
	MaxLen    int
	Truncate  string
	Pool      string `json:",omitempty"` // "" is the last token
	Evals     int    // evaluations during training (students only)
	CurveTest int    // test examples of those evaluations (0: all)
}

// Trained is a trained classifier artifact.
type Trained struct {
	Artifact *store.Artifact
	Spec     TrainSpec
	Curve    []train.Point // metrics: test_acc, test_auroc (gold); val_acc_weak, val_xent_weak (vs weak labels)
	Info     TrainInfo
}

// TrainInfo summarises a training.
type TrainInfo struct {
	Steps, Examples int
	Truncated       int
	Seconds         float64
	FinalLoss       float64
}

// Labels are soft labels: predictions of a trained classifier on sets.
type Labels struct {
	Artifact *store.Artifact
	Model    string // the base model of the classifier that made them
	Sets     map[string]SetProbs
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

// TrainSupervisor finetunes (or probes) the weak model on gold half A.
func (r *Runner) TrainSupervisor(ctx context.Context, weak string) (*Trained, error) {
	return r.Train(ctx, weak, SetA, nil, "xent")
}

// TrainCeiling trains the strong model on gold half B.
func (r *Runner) TrainCeiling(ctx context.Context, strong string) (*Trained, error) {
	return r.Train(ctx, strong, SetB, nil, "xent")
}

// TrainStudent trains the strong model on half B with weak labels.
func (r *Runner) TrainStudent(ctx context.Context, strong string, weak *Labels, loss string) (*Trained, error) {
	if weak == nil {
		return nil, errors.New("stage: a student needs weak labels")
	}
	return r.Train(ctx, strong, SetB, weak, loss)
}

// Train trains base model modelName on a half with gold labels (labels nil)
// or soft labels, with the loss, at the runner's budget. During training it
// evaluates Budget.Evals times on the gold test set and, when labels carry
// the validation slice, against the weak labels of that slice.
func (r *Runner) Train(ctx context.Context, modelName, half string, labels *Labels, lossName string) (*Trained, error) {
	ref, dir, err := r.modelRef(ctx, modelName)
	if err != nil {
		return nil, err
	}
	loss, err := losses.New(lossName)
	if err != nil {
		return nil, err
	}
	b := r.Budget
	spec := TrainSpec{Split: r.splitSpec(), Model: ref, Half: half, Labels: Gold, Loss: loss.Name(), Probe: b.Probe,
		Epochs: b.Epochs, Batch: b.Batch, LR: b.LR, Decay: b.WeightDecay, Warmup: b.Warmup,
		MaxLen: b.MaxLen, Truncate: b.Truncate, Pool: r.pool()}
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
	a, err := r.Store.Do(ctx, "trained", versionTrained, spec, func(out string) error {
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
// task's head (finetuning) or a head over the base model's features.
func (r *Runner) newClassifier(ctx context.Context, spec TrainSpec, dir string) (*classifier, tokenizer.Tokenizer, error) {
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
	for _, set := range r.setNames() {
		exs, err := r.set(ctx, set)
		if err != nil {
			return nil, nil, err
		}
		c.enc[set] = encode(tok, exs, spec.MaxLen, r.Budget.truncateSide())
	}
	return c, tok, nil
}

func (r *Runner) train(ctx context.Context, spec TrainSpec, dir string, labels *Labels, loss losses.Loss, work, out string) error {
	start := time.Now()
	c, tok, err := r.newClassifier(ctx, spec, dir)
	if err != nil {
		return err
	}
	exs, err := r.set(ctx, spec.Half)
	if err != nil {
		return err
	}
	n, C := len(exs), r.TaskInfo().NumClasses()
	targets := make([][]float64, n)
	if labels == nil {
		for i, e := range exs {
			targets[i] = make([]float64, C)
			targets[i][e.Label] = 1
		}
	} else {
		sp, ok := labels.Sets[spec.Half]
		if !ok || len(sp.IDs) != n {
			return fmt.Errorf("stage: the labels hold no set %s of %d examples", spec.Half, n)
		}
		for i, e := range exs {
			if sp.IDs[i] != e.ID {
				return fmt.Errorf("stage: label %d is for %s, the example is %s", i, sp.IDs[i], e.ID)
			}
			targets[i] = sp.Probs[i]
		}
	}
	steps := int(math.Ceil(spec.Epochs * float64(n) / float64(spec.Batch)))
	order := epochOrder(n, steps, spec.Batch, r.Seed)
	loss.Init(c.ctx, C)
	batches := func(step, _ int) ([]*tensors.Tensor, error) {
		idx := order[step]
		t := make([]float32, 0, len(idx)*C)
		for _, i := range idx {
			for _, p := range targets[i] {
				t = append(t, float32(p))
			}
		}
		return append(c.inputs(spec.Half, idx), tensors.FromFlatDataAndDimensions(t, len(idx), C)), nil
	}
	lossFn := func(ctx *mlctx.Context, in []*Node, progress *Node) *Node {
		logits := c.logits(ctx, in[:len(in)-1], true)
		return loss.Build(ctx, logits, in[len(in)-1], progress)
	}
	pred := newPredictor(r.Backend, c)
	eval := r.evaluator(ctx, pred, labels, spec.CurveTest)
	tc := train.Config{Steps: steps, LR: spec.LR, Warmup: int(spec.Warmup * float64(steps)), WeightDecay: spec.Decay,
		ClipNorm: 1, Dir: filepath.Join(work, "state"), Seed: r.Seed}
	if spec.Evals > 0 {
		tc.EvalEvery = max(1, steps/spec.Evals)
	}
	var progress train.Progress
	desc := fmt.Sprintf("%s %s on %s/%s", spec.Model.Name, loss.Name(), r.Task, spec.Half)
	if r.Progress != nil {
		progress = r.Progress(desc)
	}
	tr := &train.Trainer{Backend: r.Backend, Ctx: c.ctx, Loss: lossFn, Config: tc, Eval: eval, Progress: progress}
	res, err := tr.Run(ctx, batches)
	if err != nil {
		return err
	}
	// Save what predicts: the whole model, or the probe's head.
	if c.probe {
		w, err := c.ctx.InAbsPath("/score").GetVariable("weight").Value()
		if err != nil {
			return err
		}
		d := w.Shape().Dimensions
		if err := safetensors.Write(filepath.Join(out, "head.safetensors"),
			[]safetensors.Tensor{safetensors.F32Tensor("score.weight", d, tensors.MustCopyFlatData[float32](w))}, nil); err != nil {
			return err
		}
	} else {
		eos := int(tok.EOS())
		m := &model.Model{Config: c.cfg, DType: dtypes.Float32, Ctx: c.ctx}
		if err := checkpoint.Save(out, m, checkpoint.Options{EOS: &eos, Labels: r.TaskInfo().Labels}); err != nil {
			return err
		}
		if bpe, ok := tok.(*tokenizer.BPE); ok {
			if err := bpe.Save(filepath.Join(out, tokenizer.FileName)); err != nil {
				return err
			}
		}
	}
	truncated := 0
	if !c.probe {
		truncated = c.enc[spec.Half].truncated
	}
	info := TrainInfo{Steps: steps, Examples: n, Truncated: truncated, Seconds: time.Since(start).Seconds(),
		FinalLoss: res.Curve[len(res.Curve)-1].Loss}
	r.logf("trained %s (%s, %d steps, %s)", desc, map[bool]string{true: "probe", false: "finetune"}[c.probe], steps,
		time.Duration(info.Seconds*float64(time.Second)).Round(time.Second))
	if err := store.WriteJSON(out, "curve.json", res.Curve); err != nil {
		return err
	}
	return store.WriteJSON(out, "info.json", info)
}

// evaluator measures a model during training: gold accuracy (and AUROC for
// two classes) on the first limit test examples (0: all) and, given weak
// labels with a validation slice, agreement with and cross-entropy against
// those weak labels.
func (r *Runner) evaluator(ctx context.Context, pred *predictor, labels *Labels, limit int) train.EvalFn {
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
				var xent float64
				for i := range vp {
					for c := range vp[i] {
						xent -= v.Probs[i][c] * math.Log(math.Max(vp[i][c], 1e-12))
					}
				}
				out["val_xent_weak"] = xent / float64(len(vp))
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

// PredictSpec identifies predictions.
type PredictSpec struct {
	Trained string // key of the trained artifact
	Sets    []string
}

// Predict returns the class probabilities a trained classifier gives the
// examples of sets (stored).
func (r *Runner) Predict(ctx context.Context, t *Trained, sets ...string) (*Labels, error) {
	spec := PredictSpec{Trained: t.Artifact.Key, Sets: sets}
	a, err := r.Store.Do(ctx, "predictions", versionPredictions, spec, func(out string) error {
		start := time.Now()
		c, err := r.restore(ctx, t)
		if err != nil {
			return err
		}
		pred := newPredictor(r.Backend, c)
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
	l := &Labels{Artifact: a, Model: t.Spec.Model.Name}
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

// restore rebuilds the classifier a trained artifact holds.
func (r *Runner) restore(ctx context.Context, t *Trained) (*classifier, error) {
	_, dir, err := r.modelRef(ctx, t.Spec.Model.Name)
	if err != nil {
		return nil, err
	}
	c, _, err := r.newClassifier(ctx, t.Spec, dir)
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
		c.ctx.InAbsPath("/score").GetVariable("weight").MustSetValue(tensors.FromFlatDataAndDimensions(w, shape...))
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

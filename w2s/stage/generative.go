package stage

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/pretrain"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

const versionGenerative = 1

// GenSuffix marks a model generatively finetuned on the runner's task:
// "zoo/xl+genft" is zoo/xl after next-token training on the task's
// unlabelled inputs. Once GenerativeFinetune has run for zoo/xl, every
// stage of the runner accepts that name; before, it is an error (a
// training never starts a finetune, or a download, by itself).
const GenSuffix = "+genft"

// GenerativeSpec identifies a generative finetune.
type GenerativeSpec struct {
	Split     SplitSpec
	Model     ModelRef
	Sets      []string // whose inputs are the text (never the test set)
	Epochs    float64
	MaxTokens int
	LR        float64
	Batch     int
}

// GenerativeInfo reports a generative finetune.
type GenerativeInfo struct {
	Tokens                int // tokens of task text
	Steps                 int
	LossBefore, LossAfter float64 // next-token loss on that text
	Seconds               float64
}

// GenerativeFinetune trains base model modelName with the next-token loss
// on the unlabelled inputs of halves A, B and the validation slice (for
// preference pairs, both conversations), and returns the artifact: an HF
// checkpoint folder later stages can start from.
func (r *Runner) GenerativeFinetune(ctx context.Context, modelName string) (*store.Artifact, *GenerativeInfo, error) {
	ref, dir, err := r.modelRef(ctx, modelName)
	if err != nil {
		return nil, nil, err
	}
	b := r.Budget
	sp, err := r.splitSpec(ctx)
	if err != nil {
		return nil, nil, err
	}
	spec := GenerativeSpec{Split: sp, Model: ref, Sets: []string{SetA, SetB, SetVal}, Epochs: b.GenEpochs, MaxTokens: b.GenTokens, LR: b.GenLR, Batch: b.Batch}
	key, _, err := store.Key("genft", versionGenerative, spec)
	if err != nil {
		return nil, nil, err
	}
	a, err := r.do(ctx, "genft", versionGenerative, spec, func(out string) error {
		return r.genft(ctx, spec, modelName, dir, r.Store.WorkDir("genft", key), out)
	})
	if err != nil {
		return nil, nil, err
	}
	var info GenerativeInfo
	if err := a.ReadJSON("generative.json", &info); err != nil {
		return nil, nil, err
	}
	r.derive(modelName+GenSuffix, a.Dir)
	return a, &info, nil
}

// genft fills the artifact folder out of a generative finetune of the
// model in dir, keeping resumable training state under work.
func (r *Runner) genft(ctx context.Context, spec GenerativeSpec, modelName, dir, work, out string) error {
	start := time.Now()
	m, tok, err := zoo.LoadDir(dir, checkpoint.LoadOptions{Head: "lm"})
	if err != nil {
		return err
	}
	stream, err := r.taskText(ctx, spec.Sets, tok)
	if err != nil {
		return err
	}
	T := m.Config.NPositions
	if len(stream) < 2*T+2 {
		return fmt.Errorf("stage: %d tokens of task text are too few for generative finetuning at context %d", len(stream), T)
	}
	info := GenerativeInfo{Tokens: len(stream), Steps: genSteps(spec, len(stream), T)}
	if err := r.trainNextToken(ctx, m, stream, spec, modelName, work, &info); err != nil {
		return err
	}
	info.Seconds = time.Since(start).Seconds()
	if err := saveModel(out, m, tok, nil); err != nil {
		return err
	}
	r.logf("generatively finetuned %s on %s text (%d tokens, %d steps): LM loss %.3f → %.3f (%s)", modelName, r.Task,
		info.Tokens, info.Steps, info.LossBefore, info.LossAfter, time.Since(start).Round(time.Second))
	return store.WriteJSON(out, "generative.json", info)
}

// taskText is the token stream of the sets' inputs, each followed by
// end-of-text. A preference pair contributes both its conversations: the
// finetune should see all the text the task shows a model.
func (r *Runner) taskText(ctx context.Context, sets []string, tok tokenizer.Tokenizer) ([]int32, error) {
	var stream []int32
	for _, set := range sets {
		exs, err := r.set(ctx, set)
		if err != nil {
			return nil, err
		}
		for _, e := range exs {
			texts := e.Candidates
			if len(texts) == 0 {
				texts = []string{e.Text}
			}
			for _, t := range texts {
				stream = append(append(stream, tok.Encode(t)...), tok.EOS())
			}
		}
	}
	return stream, nil
}

// genSteps is the number of steps of spec.Batch windows of T tokens that
// covers spec.Epochs passes over a stream of n tokens, or spec.MaxTokens
// when fewer: a small task is not trained for longer than its budget.
func genSteps(spec GenerativeSpec, n, T int) int {
	tokens := spec.Epochs * float64(n)
	if spec.MaxTokens > 0 {
		tokens = min(tokens, float64(spec.MaxTokens))
	}
	return max(1, int(tokens/float64(spec.Batch*T)))
}

// trainNextToken trains m on random windows of stream for info.Steps
// steps, measuring the loss on the stream before and after into info so
// the log can show what the finetune changed.
func (r *Runner) trainNextToken(ctx context.Context, m *model.Model, stream []int32, spec GenerativeSpec, modelName, work string, info *GenerativeInfo) error {
	T, steps := m.Config.NPositions, info.Steps
	ev, err := pretrain.NewEvaluator(r.Backend, m, stream, spec.Batch, T, 64*T)
	if err != nil {
		return err
	}
	if info.LossBefore, err = ev.Loss(); err != nil {
		return err
	}
	batches, err := pretrain.Windows(stream, spec.Batch, T, r.Seed)
	if err != nil {
		return err
	}
	tr := &train.Trainer{Backend: r.Backend, Ctx: m.Ctx, Loss: pretrain.LossFn(m.Config),
		Progress: r.progress(fmt.Sprintf("%s generative finetune on %s", modelName, r.Task)),
		Config: train.Config{Steps: steps, LR: spec.LR, Warmup: steps / 10, WeightDecay: r.Budget.WeightDecay, ClipNorm: 1,
			Dir: filepath.Join(work, "state"), Seed: r.Seed}}
	if _, err := tr.Run(ctx, batches); err != nil {
		return err
	}
	info.LossAfter, err = ev.Loss()
	return err
}

// baseName strips GenSuffix.
func baseName(name string) (string, bool) { return strings.CutSuffix(name, GenSuffix) }

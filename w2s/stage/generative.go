package stage

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/pretrain"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/train"
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
		start := time.Now()
		m, err := checkpoint.Load(dir, checkpoint.LoadOptions{Head: "lm"})
		if err != nil {
			return err
		}
		tok, err := tokenizer.ForModel(dir, m.Config.VocabSize)
		if err != nil {
			return err
		}
		var stream []int32
		for _, set := range spec.Sets {
			exs, err := r.set(ctx, set)
			if err != nil {
				return err
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
		T := m.Config.NPositions
		if len(stream) < 2*T+2 {
			return fmt.Errorf("stage: %d tokens of task text are too few for generative finetuning at context %d", len(stream), T)
		}
		tokens := spec.Epochs * float64(len(stream))
		if spec.MaxTokens > 0 {
			tokens = min(tokens, float64(spec.MaxTokens))
		}
		steps := max(1, int(tokens/float64(spec.Batch*T)))
		ev, err := pretrain.NewEvaluator(r.Backend, m, stream, spec.Batch, T, 64*T)
		if err != nil {
			return err
		}
		info := GenerativeInfo{Tokens: len(stream), Steps: steps}
		if info.LossBefore, err = ev.Loss(); err != nil {
			return err
		}
		batches, err := pretrain.Windows(stream, spec.Batch, T, r.Seed)
		if err != nil {
			return err
		}
		var progress train.Progress
		if r.Progress != nil {
			progress = r.Progress(fmt.Sprintf("%s generative finetune on %s", modelName, r.Task))
		}
		tr := &train.Trainer{Backend: r.Backend, Ctx: m.Ctx, Loss: pretrain.LossFn(m.Config), Progress: progress,
			Config: train.Config{Steps: steps, LR: spec.LR, Warmup: steps / 10, WeightDecay: b.WeightDecay, ClipNorm: 1,
				Dir: filepath.Join(r.Store.WorkDir("genft", key), "state"), Seed: r.Seed}}
		if _, err := tr.Run(ctx, batches); err != nil {
			return err
		}
		if info.LossAfter, err = ev.Loss(); err != nil {
			return err
		}
		info.Seconds = time.Since(start).Seconds()
		eos := int(tok.EOS())
		if err := checkpoint.Save(out, m, checkpoint.Options{EOS: &eos}); err != nil {
			return err
		}
		if bpe, ok := tok.(*tokenizer.BPE); ok {
			if err := bpe.Save(filepath.Join(out, tokenizer.FileName)); err != nil {
				return err
			}
		}
		r.logf("generatively finetuned %s on %s text (%d tokens, %d steps): LM loss %.3f → %.3f (%s)", modelName, r.Task,
			info.Tokens, steps, info.LossBefore, info.LossAfter, time.Since(start).Round(time.Second))
		return store.WriteJSON(out, "generative.json", info)
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

// baseName strips GenSuffix.
func baseName(name string) (string, bool) { return strings.CutSuffix(name, GenSuffix) }

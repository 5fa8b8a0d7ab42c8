package train

import (
	gocontext "context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/model"
)

// benchSizes are the model sizes of the README's speed table.
var benchSizes = []struct {
	name                  string
	vocab, layers, width  int
	heads, batch, context int
}{
	{"L2-d128-V5000", 5000, 2, 128, 4, 32, 64},
	{"L4-d256-V4096", 4096, 4, 256, 4, 32, 64},
	{"L6-d384-V4096", 4096, 6, 384, 6, 32, 64},
}

// lmBatch is a fixed next-token batch.
func lmBatch(vocab, batch, T int) []*tensors.Tensor {
	ids, mask, tg := make([]int32, batch*T), make([]int32, batch*T), make([]int32, batch*T)
	for i := range ids {
		ids[i] = int32((i * 7919) % vocab)
		tg[i] = int32((i*7919 + 13) % vocab)
		mask[i] = 1
	}
	return []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(ids, batch, T),
		tensors.FromFlatDataAndDimensions(mask, batch, T),
		tensors.FromFlatDataAndDimensions(tg, batch, T),
	}
}

func lmTrainer(b testing.TB, cfg model.Config, steps int) *Trainer {
	return lmTrainerOn(b, backend.MustDefault(), cfg, steps)
}

func lmTrainerOn(b testing.TB, be backends.Backend, cfg model.Config, steps int) *Trainer {
	m, err := model.New(cfg, 1, dtypes.Float32)
	if err != nil {
		b.Fatal(err)
	}
	loss := func(ctx *context.Context, in []*Node, _ *Node) *Node {
		return model.LMLoss(ctx, cfg, in[0], in[1], in[2], in[1], true)
	}
	return &Trainer{Backend: be, Ctx: m.Ctx, Loss: loss,
		Config: Config{Steps: steps, LR: 1e-4, WeightDecay: 0.1, ClipNorm: 1}}
}

// BenchmarkTrainStep measures full optimizer steps (forward, backward,
// clipping, AdamW) of a GPT language model; the first, compiling step is
// excluded.
func BenchmarkTrainStep(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			cfg := model.Small(s.vocab, s.context, s.width, s.layers, s.heads)
			batch := lmBatch(s.vocab, s.batch, s.context)
			tr := lmTrainer(b, cfg, b.N+1)
			if err := tr.setup(); err != nil {
				b.Fatal(err)
			}
			data := func(int, int) ([]*tensors.Tensor, error) { return batch, nil }
			if _, err := tr.oneStep(0, data); err != nil { // compile
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := tr.oneStep(i+1, data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*s.batch*s.context)/b.Elapsed().Seconds(), "tokens/s")
			_, nonEmb := cfg.NumParams()
			b.ReportMetric(float64(nonEmb), "non-emb-params")
		})
	}
}

// BenchmarkInference measures the forward pass to LM logits.
func BenchmarkInference(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			cfg := model.Small(s.vocab, s.context, s.width, s.layers, s.heads)
			m, err := model.New(cfg, 1, dtypes.Float32)
			if err != nil {
				b.Fatal(err)
			}
			batch := lmBatch(s.vocab, s.batch, s.context)
			exec := context.MustNewExec(backend.MustDefault(), m.Ctx, func(ctx *context.Context, ids, mask *Node) *Node {
				return model.LMLogits(ctx, model.Hidden(ctx, cfg, ids, mask, false))
			})
			exec.MustExec(batch[0], batch[1]) // compile
			b.ResetTimer()
			for range b.N {
				exec.MustExec(batch[0], batch[1])
			}
			b.ReportMetric(float64(b.N*s.batch*s.context)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// TestTrainStepMemory runs three train steps of the L=2, d=128, vocab 5,000
// model at batch 32×64 in a child process and checks its peak resident
// memory stays under 2 GiB (GoMLX's own matmul gradient exhausted 24 GiB).
func TestTrainStepMemory(t *testing.T) {
	if os.Getenv("W2S_RSS_CHILD") == "1" {
		s := benchSizes[0]
		tr := lmTrainer(t, model.Small(s.vocab, s.context, s.width, s.layers, s.heads), 3)
		batch := lmBatch(s.vocab, s.batch, s.context)
		if _, err := tr.Run(gocontext.Background(), func(int, int) ([]*tensors.Tensor, error) { return batch, nil }); err != nil {
			t.Fatal(err)
		}
		return
	}
	if testing.Short() {
		t.Skip("spawns a 3-step training run")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTrainStepMemory$")
	cmd.Env = append(os.Environ(), "W2S_RSS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child run failed: %v\n%s", err, out)
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024 // kilobytes on Linux
	t.Logf("peak RSS of 3 train steps (L=2, d=128, vocab 5000, batch 32×64): %s", bytesString(peak))
	if peak > 2<<30 {
		t.Errorf("peak RSS %s exceeds 2 GiB", bytesString(peak))
	}
}

func bytesString(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

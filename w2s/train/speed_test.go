package train

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/model"
)

// speedJob is one measurement of the speed table, run in a process of its
// own so that its peak resident memory can be read.
type speedJob struct {
	Impl string // "go", "xla" (CPU), "xla-gpu" or "torch"
	Mode string // "train", "infer", "matmul" or "matmul-bf16" (bfloat16 operands)
	// XLAFlags is the child's $XLA_FLAGS (XLA only).
	XLAFlags string `json:",omitempty"`
	Model    string `json:",omitempty"`
	Vocab    int    `json:",omitempty"`
	Layers   int    `json:",omitempty"`
	Width    int    `json:",omitempty"`
	Heads    int    `json:",omitempty"`
	Batch    int    `json:",omitempty"`
	T        int    `json:",omitempty"`
	Steps    int    `json:",omitempty"`
	N        int    `json:",omitempty"` // matmul size
}

// speedResult is what a child reports, plus what the parent measured.
type speedResult struct {
	speedJob
	TokensPerS float64 `json:"tokens_per_s,omitempty"`
	GFLOPS     float64 `json:"gflops,omitempty"`
	Seconds    float64 `json:"seconds"`  // per step or per product
	WarmupS    float64 `json:"warmup_s"` // first call: compilation included
	CompileS   float64 `json:"compile_s"`
	PeakRSS    int64   `json:"peak_rss"` // bytes
	Err        string  `json:"error,omitempty"`
	Device     string  `json:"device,omitempty"` // the backend's device, plugin and PJRT version
}

const speedChildEnv = "W2S_SPEED_CHILD"

// TestSpeedChild is the child process of BenchmarkSpeedTable; it does
// nothing unless started by it.
func TestSpeedChild(t *testing.T) {
	raw := os.Getenv(speedChildEnv)
	if raw == "" {
		t.Skip("runs only as a child of BenchmarkSpeedTable")
	}
	var j speedJob
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		t.Fatal(err)
	}
	spec := map[string]string{"go": "go", "xla": "xla:cpu", "xla-gpu": "xla:cuda"}[j.Impl]
	b, err := backend.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := speedResult{speedJob: j}
	info := backend.Describe(b)
	r.Device = fmt.Sprintf("%s on %s: %s; plugin %s (%s, PJRT %s)", info.Backend, info.Platform, info.Device, info.Plugin, info.PluginPackage, info.PJRTVersion)
	compiled := backend.Compiled()
	switch j.Mode {
	case "matmul", "matmul-bf16":
		rng := tensors.FromFlatDataAndDimensions(make([]float32, j.N*j.N), j.N, j.N)
		e := graph.MustNewExec(b, func(x, y *graph.Node) *graph.Node { return graph.Dot(x, y) })
		if j.Mode == "matmul-bf16" {
			// bfloat16 operands, the product handed back in float32: what a
			// model would do to use the CPU's avx512_bf16.
			e = graph.MustNewExec(b, func(x, y *graph.Node) *graph.Node {
				bf := func(n *graph.Node) *graph.Node { return graph.ConvertDType(n, dtypes.BFloat16) }
				return graph.ConvertDType(graph.Dot(bf(x), bf(y)), dtypes.Float32)
			})
		}
		start := time.Now()
		e.MustExec(rng, rng)
		r.WarmupS = time.Since(start).Seconds()
		reps := max(1, j.Steps)
		start = time.Now()
		for range reps {
			e.MustExec(rng, rng)
		}
		r.Seconds = time.Since(start).Seconds() / float64(reps)
		r.GFLOPS = 2 * float64(j.N) * float64(j.N) * float64(j.N) / r.Seconds / 1e9
	case "train", "infer":
		cfg := model.Small(j.Vocab, j.T, j.Width, j.Layers, j.Heads)
		batch := lmBatch(j.Vocab, j.Batch, j.T)
		var step func()
		if j.Mode == "train" {
			tr := lmTrainerOn(t, b, cfg, j.Steps+1)
			if err := tr.setup(); err != nil {
				t.Fatal(err)
			}
			data := func(int, int) ([]*tensors.Tensor, error) { return batch, nil }
			i := 0
			step = func() {
				if _, err := tr.oneStep(i, data); err != nil {
					t.Fatal(err)
				}
				i++
			}
		} else {
			m, err := model.New(cfg, 1, dtypes.Float32)
			if err != nil {
				t.Fatal(err)
			}
			e := context.MustNewExec(b, m.Ctx, func(ctx *context.Context, ids, mask *graph.Node) *graph.Node {
				return model.LMLogits(ctx, model.Hidden(ctx, cfg, ids, mask, false))
			})
			step = func() { e.MustExec(batch[0], batch[1]) }
		}
		start := time.Now()
		step()
		r.WarmupS = time.Since(start).Seconds()
		start = time.Now()
		for range j.Steps {
			step()
		}
		r.Seconds = time.Since(start).Seconds() / float64(j.Steps)
		r.TokensPerS = float64(j.Batch*j.T) / r.Seconds
	}
	r.CompileS = backend.Compiled().Sub(compiled).Time.Seconds()
	out, _ := json.Marshal(r)
	fmt.Printf("SPEED %s\n", out)
}

// runSpeedJob runs j in a child process (the test binary, or PyTorch) and
// returns its report with the child's peak resident memory.
func runSpeedJob(j speedJob) speedResult {
	var cmd *exec.Cmd
	if j.Impl == "torch" {
		py := filepath.Join(paths.Venv(), "bin", "python")
		if strings.HasPrefix(j.Mode, "matmul") {
			cmd = exec.Command(py, "testdata/bench_torch.py", j.Mode, fmt.Sprint(j.N), fmt.Sprint(j.Steps))
		} else {
			cmd = exec.Command(py, "testdata/bench_torch.py", j.Mode, fmt.Sprint(j.Vocab), fmt.Sprint(j.Layers),
				fmt.Sprint(j.Width), fmt.Sprint(j.Heads), fmt.Sprint(j.Batch), fmt.Sprint(j.T), fmt.Sprint(j.Steps))
		}
	} else {
		raw, _ := json.Marshal(j)
		cmd = exec.Command(os.Args[0], "-test.run=^TestSpeedChild$", "-test.v")
		// Each child compiles its own graphs: the persistent compile cache
		// would hide compile times (and flags change the code).
		cmd.Env = append(os.Environ(), speedChildEnv+"="+string(raw), "W2S_COMPILE_CACHE=off", "XLA_FLAGS="+j.XLAFlags)
	}
	out, err := cmd.CombinedOutput()
	r := speedResult{speedJob: j}
	if err != nil {
		r.Err = fmt.Sprintf("%v: %s", err, lastLines(string(out), 3))
		return r
	}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimPrefix(line, "SPEED ")
		if strings.HasPrefix(line, "{") {
			var got speedResult
			if json.Unmarshal([]byte(line), &got) == nil {
				got.speedJob = j
				r = got
			}
		}
	}
	if r.Seconds == 0 && r.Err == "" {
		r.Err = "no measurement in the output: " + lastLines(string(out), 3)
	}
	r.PeakRSS = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024 // kilobytes on Linux
	return r
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// BenchmarkSpeedTable measures, in one run and each in a process of its
// own, the README's speed table: training and inference tokens/s of the
// three benchSizes models at batch 32 × 64 tokens, and matrix-product
// GFLOP/s at 1024² and 2048², for GoMLX's pure-Go backend, XLA's CPU plugin
// and PyTorch on the CPU (w2s/train/testdata/bench_torch.py, from the venv
// of kernel/setup --torch), with each process's peak resident memory and
// XLA's compile time apart from its steps. It prints a Markdown table with
// the ratios, and writes the measurements as JSON to $W2S_SPEED_OUT when
// set. Run it on a quiet machine:
//
//	go test ./w2s/train -run '^$' -bench SpeedTable -benchtime 1x
func BenchmarkSpeedTable(b *testing.B) {
	if _, err := os.Stat(filepath.Join(paths.Venv(), "bin", "python")); err != nil {
		b.Logf("no venv at %s: the PyTorch column will be empty (kernel/setup --torch)", paths.Venv())
	}
	steps := map[string]int{"go": 3, "xla": 20, "torch": 20}
	var results []speedResult
	for range b.N {
		results = results[:0]
		for _, s := range benchSizes {
			for _, mode := range []string{"train", "infer"} {
				for _, impl := range []string{"go", "xla", "torch"} {
					n := steps[impl]
					if mode == "infer" {
						n *= 3
					}
					j := speedJob{Impl: impl, Mode: mode, Model: s.name, Vocab: s.vocab, Layers: s.layers, Width: s.width,
						Heads: s.heads, Batch: s.batch, T: s.context, Steps: n}
					r := runSpeedJob(j)
					b.Logf("%s %s %s: %.0f tokens/s, warm-up %.1fs, peak RSS %s %s", impl, mode, s.name, r.TokensPerS, r.WarmupS, bytesString(r.PeakRSS), r.Err)
					results = append(results, r)
				}
			}
		}
		for _, n := range []int{1024, 2048} {
			for _, impl := range []string{"go", "xla", "torch"} {
				r := runSpeedJob(speedJob{Impl: impl, Mode: "matmul", N: n, Steps: map[string]int{"go": 3, "xla": 20, "torch": 20}[impl]})
				b.Logf("%s matmul %d: %.1f GFLOP/s %s", impl, n, r.GFLOPS, r.Err)
				results = append(results, r)
			}
		}
		// What was tried to speed up XLA's step: bfloat16 products, and
		// XLA's own CPU flags on the L4 d256 training step.
		for _, n := range []int{1024, 2048} {
			for _, impl := range []string{"xla", "torch"} {
				r := runSpeedJob(speedJob{Impl: impl, Mode: "matmul-bf16", N: n, Steps: 20})
				b.Logf("%s bf16 matmul %d: %.1f GFLOP/s %s", impl, n, r.GFLOPS, r.Err)
				results = append(results, r)
			}
		}
		s := benchSizes[1]
		for _, flags := range xlaFlagsTried {
			r := runSpeedJob(speedJob{Impl: "xla", Mode: "train", Model: s.name, Vocab: s.vocab, Layers: s.layers, Width: s.width,
				Heads: s.heads, Batch: s.batch, T: s.context, Steps: steps["xla"], XLAFlags: flags})
			b.Logf("xla train %s with XLA_FLAGS=%s: %.0f tokens/s %s", s.name, flags, r.TokensPerS, r.Err)
			results = append(results, r)
		}
	}
	fmt.Println(speedTable(results))
	fmt.Println(triedTable(results))
	if out := os.Getenv("W2S_SPEED_OUT"); out != "" {
		raw, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(out, append(raw, '\n'), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// xlaFlagsTried are the XLA CPU flags BenchmarkSpeedTable tries on the
// L4 d256 training step.
var xlaFlagsTried = []string{
	"--xla_cpu_use_onednn=true",
	"--xla_cpu_experimental_onednn_custom_call=true",
	"--xla_cpu_use_xnnpack=true",
	"--xla_cpu_enable_fast_math=true",
	"--xla_cpu_use_thunk_runtime=false",
}

// triedTable formats what was tried against XLA's default step: bfloat16
// products and XLA flags, each beside its float32 or default run.
func triedTable(rs []speedResult) string {
	find := func(impl, mode string, n int, flags string) *speedResult {
		for i := range rs {
			r := &rs[i]
			if r.Impl == impl && r.Mode == mode && r.N == n && r.XLAFlags == flags && r.Err == "" && (n != 0 || r.Model == benchSizes[1].name) {
				return r
			}
		}
		return nil
	}
	ratio := func(a, b *speedResult, f func(*speedResult) float64) string {
		if a == nil || b == nil || f(b) == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", f(a)/f(b))
	}
	val := func(r *speedResult, f func(*speedResult) float64) string {
		if r == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f", f(r))
	}
	gf := func(r *speedResult) float64 { return r.GFLOPS }
	tok := func(r *speedResult) float64 { return r.TokensPerS }
	var sb strings.Builder
	sb.WriteString("| tried | measure | value | default | tried / default |\n|---|---|---|---|---|\n")
	for _, n := range []int{1024, 2048} {
		for _, impl := range []string{"xla", "torch"} {
			a, d := find(impl, "matmul-bf16", n, ""), find(impl, "matmul", n, "")
			fmt.Fprintf(&sb, "| %s bfloat16 matmul %d² | GFLOP/s | %s | %s (float32) | %s |\n", impl, n, val(a, gf), val(d, gf), ratio(a, d, gf))
		}
	}
	d := find("xla", "train", 0, "")
	for _, flags := range xlaFlagsTried {
		a := find("xla", "train", 0, flags)
		fmt.Fprintf(&sb, "| XLA_FLAGS=%s, %s train | tokens/s | %s | %s | %s |\n", flags, benchSizes[1].name, val(a, tok), val(d, tok), ratio(a, d, tok))
	}
	return sb.String()
}

// speedTable formats results as the README's Markdown table.
func speedTable(rs []speedResult) string {
	find := func(impl, mode, model string, n int) *speedResult {
		for i := range rs {
			r := &rs[i]
			if r.Impl == impl && r.Mode == mode && r.Model == model && r.N == n && r.XLAFlags == "" && r.Err == "" {
				return r
			}
		}
		return nil
	}
	ratio := func(a, b float64) string {
		if a == 0 || b == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	num := func(r *speedResult, f func(*speedResult) float64, format string) string {
		if r == nil {
			return "–"
		}
		return fmt.Sprintf(format, f(r))
	}
	rss := func(r *speedResult) string {
		if r == nil {
			return "–"
		}
		return fmt.Sprintf("%.0f", float64(r.PeakRSS)/(1<<20))
	}
	tok := func(r *speedResult) float64 { return r.TokensPerS }
	var sb strings.Builder
	sb.WriteString("| model | work | pure Go tokens/s | XLA CPU tokens/s | PyTorch tokens/s | XLA / pure Go | XLA / PyTorch | XLA compile s | peak RSS MiB (Go / XLA / PyTorch) | XLA RSS / PyTorch |\n")
	sb.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range benchSizes {
		for _, mode := range []string{"train", "infer"} {
			g, x, p := find("go", mode, s.name, 0), find("xla", mode, s.name, 0), find("torch", mode, s.name, 0)
			var gv, xv, pv, xr, pr float64
			if g != nil {
				gv = g.TokensPerS
			}
			if x != nil {
				xv, xr = x.TokensPerS, float64(x.PeakRSS)
			}
			if p != nil {
				pv, pr = p.TokensPerS, float64(p.PeakRSS)
			}
			fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s |\n", s.name, mode,
				num(g, tok, "%.0f"), num(x, tok, "%.0f"), num(p, tok, "%.0f"), ratio(xv, gv), ratio(xv, pv),
				num(x, func(r *speedResult) float64 { return r.CompileS }, "%.1f"), rss(g), rss(x), rss(p), ratio(xr, pr))
		}
	}
	gf := func(r *speedResult) float64 { return r.GFLOPS }
	for _, n := range []int{1024, 2048} {
		g, x, p := find("go", "matmul", "", n), find("xla", "matmul", "", n), find("torch", "matmul", "", n)
		var gv, xv, pv float64
		if g != nil {
			gv = g.GFLOPS
		}
		if x != nil {
			xv = x.GFLOPS
		}
		if p != nil {
			pv = p.GFLOPS
		}
		fmt.Fprintf(&sb, "| matmul %d² | GFLOP/s | %s | %s | %s | %s | %s | %s | %s / %s / %s | |\n", n,
			num(g, gf, "%.1f"), num(x, gf, "%.1f"), num(p, gf, "%.1f"), ratio(xv, gv), ratio(xv, pv),
			num(x, func(r *speedResult) float64 { return r.CompileS }, "%.1f"), rss(g), rss(x), rss(p))
	}
	return sb.String()
}

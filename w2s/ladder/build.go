package ladder

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/internal/checksum"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/pretrain"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// BuildOptions control Build.
type BuildOptions struct {
	Out      string           // ladder folder (default Dir(scale) in the cache)
	Backend  backends.Backend // default backend.Default()
	Data     tasks.LoadOptions
	Sizes    []string  // only these sizes (default all)
	Log      io.Writer // progress lines (default os.Stderr)
	Progress func(desc string) train.Progress
}

// Build pretrains every size of the scale into opt.Out, one folder per
// size with config.json, model.safetensors, tokenizer.json and build.json.
// Finished sizes are skipped; an interrupted size resumes from its saved
// state. The result depends only on the recipe, the data and the backend:
// on the CPU backend, building twice gives identical checkpoint bytes.
func Build(ctx context.Context, s *zoo.Scale, opt BuildOptions) ([]*zoo.Record, error) {
	if opt.Out == "" {
		opt.Out = zoo.BuildDir(s.Name)
	}
	if opt.Log == nil {
		opt.Log = os.Stderr
	}
	b, err := backendOr(opt.Backend)
	if err != nil {
		return nil, err
	}
	sizes, err := selectSizes(s, opt.Sizes)
	if err != nil {
		return nil, err
	}
	records, toBuild := builtSizes(s, sizes, opt)
	if len(toBuild) == 0 {
		_, err := LadderBaselines(ctx, s, opt.Out, opt.Data)
		return records, err
	}
	data, dataSums, err := prepareData(ctx, s, opt)
	if err != nil {
		return records, err
	}
	if err := ensureBaselines(ctx, s, data, opt); err != nil {
		return records, err
	}
	for _, z := range toBuild {
		rec, err := buildOne(ctx, s, z, data, dataSums, b, opt)
		if err != nil {
			return records, fmt.Errorf("%s: %w", zoo.Name(s.Name, z.Name), err)
		}
		records = append(records, rec)
	}
	return records, nil
}

// backendOr is b, or the default backend when b is nil.
func backendOr(b backends.Backend) (backends.Backend, error) {
	if b != nil {
		return b, nil
	}
	return backend.Default()
}

// selectSizes are the sizes of s named by names, in that order, or all of
// them when names is empty.
func selectSizes(s *zoo.Scale, names []string) ([]zoo.Size, error) {
	if len(names) == 0 {
		return s.Sizes, nil
	}
	var sizes []zoo.Size
	for _, n := range names {
		z, err := s.Size(n)
		if err != nil {
			return nil, err
		}
		sizes = append(sizes, z)
	}
	return sizes, nil
}

// builtSizes splits sizes into the records of those already built in
// opt.Out, for this scale and intact, and those still to build. A size
// that fails verification is built again rather than trusted.
func builtSizes(s *zoo.Scale, sizes []zoo.Size, opt BuildOptions) (records []*zoo.Record, toBuild []zoo.Size) {
	for _, z := range sizes {
		if rec, err := zoo.ReadRecord(filepath.Join(opt.Out, z.Name)); err == nil && rec.Scale == s.Name && rec.Name == z.Name {
			if err := zoo.Verify(filepath.Join(opt.Out, z.Name)); err == nil {
				fmt.Fprintf(opt.Log, "%s: already built (%s)\n", zoo.Name(s.Name, z.Name), filepath.Join(opt.Out, z.Name))
				records = append(records, rec)
				continue
			}
		}
		toBuild = append(toBuild, z)
	}
	return records, toBuild
}

// prepareData loads the scale's corpora and trains its tokenizer, saved in
// opt.Out, and checksums the data files for the build records.
func prepareData(ctx context.Context, s *zoo.Scale, opt BuildOptions) (*Data, map[string]string, error) {
	start := time.Now()
	fmt.Fprintf(opt.Log, "zoo/%s: reading and decontaminating the corpora, training the tokenizer…\n", s.Name)
	data, err := LoadData(ctx, s, opt.Data)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(opt.Log, "zoo/%s: %d training and %d validation tokens ready in %s\n", s.Name, len(data.Train), len(data.Valid), time.Since(start).Round(time.Second))
	dataSums, err := dataChecksums(data.Files, opt.Data.Roots)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return nil, nil, err
	}
	if err := data.Tokenizer.Save(filepath.Join(opt.Out, tokenizer.FileName)); err != nil {
		return nil, nil, err
	}
	return data, dataSums, nil
}

// ensureBaselines computes the n-gram baselines of the scale once, into
// opt.Out. The n-grams count one whole pass over the training documents:
// from the loaded stream when it holds a pass, else from a fresh read.
func ensureBaselines(ctx context.Context, s *zoo.Scale, data *Data, opt BuildOptions) error {
	if _, err := os.Stat(filepath.Join(opt.Out, zoo.BaselinesFile)); err == nil {
		return nil
	}
	var bl *zoo.Baselines
	var err error
	if len(data.Train) >= data.PassTokens {
		bl, err = baselinesOf(ctx, s, data)
	} else {
		bl, err = ComputeBaselines(ctx, s, opt.Data, data.Tokenizer)
	}
	if err != nil {
		return err
	}
	if err := writeBaselines(opt.Out, bl); err != nil {
		return err
	}
	for _, m := range bl.Models {
		fmt.Fprintf(opt.Log, "zoo/%s: %s baseline %.4f nats/token (%.3f bits/byte)\n", s.Name, m.Model, m.Loss, m.BitsPerByte)
	}
	return nil
}

func buildOne(ctx context.Context, s *zoo.Scale, z zoo.Size, data *Data, dataSums map[string]string, b backends.Backend, opt BuildOptions) (*zoo.Record, error) {
	dir := filepath.Join(opt.Out, z.Name)
	m, res, wall, err := pretrainSize(ctx, s, z, data, b, dir, opt)
	if err != nil {
		return nil, err
	}
	cfg := m.Config
	total, nonEmb := cfg.NumParams()
	steps := s.Steps(z)
	eos := int(data.Tokenizer.EOS())
	if err := checkpoint.Save(dir, m, checkpoint.Options{EOS: &eos}); err != nil {
		return nil, err
	}
	if err := data.Tokenizer.Save(filepath.Join(dir, tokenizer.FileName)); err != nil {
		return nil, err
	}
	last := res.Curve[len(res.Curve)-1]
	validLoss := float64(last.Metrics["valid_loss"])
	tail := max(1, len(res.Curve)/10)
	var trainLoss float64
	for _, p := range res.Curve[len(res.Curve)-tail:] {
		trainLoss += p.Loss / float64(tail)
	}
	rec := &zoo.Record{
		Name: z.Name, Scale: s.Name, Layers: z.Layers, Width: z.Width, Heads: z.Heads,
		Context: s.Context, Vocab: s.Vocab, Params: total, NonEmbeddingParams: nonEmb,
		Steps: steps, Tokens: s.Tokens(z), Batch: s.Batch, LR: s.LR(z), Recipe: *s, Mixture: data.Shares,
		Passes:    float64(s.Tokens(z)) / float64(data.PassTokens),
		ValidLoss: validLoss, ValidBitsPerByte: data.BitsPerByte(validLoss),
		TrainLoss: trainLoss, Curve: sparseCurve(res.Curve, 50), WallSeconds: wall,
		Machine: machine(b), Command: strings.Join(append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...), " "), Commit: commit(), Created: time.Now().UTC().Format(time.RFC3339),
		DataFiles: dataSums, Files: map[string]string{},
	}
	for _, f := range []string{checkpoint.ConfigFile, checkpoint.WeightsFile, tokenizer.FileName} {
		sum, _, err := checksum.File(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		rec.Files[f] = sum
	}
	js, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, zoo.RecordFile), append(js, '\n')); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(filepath.Join(dir, "state")); err != nil {
		return nil, err
	}
	fmt.Fprintf(opt.Log, "%s: validation loss %.4f nats/token (%.3f bits/byte) after %d tokens, %s\n",
		zoo.Name(s.Name, z.Name), validLoss, rec.ValidBitsPerByte, rec.Tokens, time.Duration(wall*float64(time.Second)).Round(time.Second))
	return rec, nil
}

// pretrain trains size z on data, keeping resumable state in dir/state
// and the wall time of interrupted attempts in dir/state/wall_seconds.
func pretrainSize(ctx context.Context, s *zoo.Scale, z zoo.Size, data *Data, b backends.Backend, dir string, opt BuildOptions) (*model.Model, *train.Result, float64, error) {
	cfg := s.Config(z)
	m, err := model.New(cfg, s.Seed, dtypes.Float32)
	if err != nil {
		return nil, nil, 0, err
	}
	steps := s.Steps(z)
	tc := train.Config{
		Steps: steps, LR: s.LR(z), Warmup: int(s.Warmup * float64(steps)), MinLR: s.MinLR,
		WeightDecay: s.WeightDecay, ClipNorm: s.Clip, EvalEvery: max(1, steps/10), SaveEvery: max(1, steps/20),
		Dir: filepath.Join(dir, "state"), Seed: s.Seed,
	}
	ev, err := pretrain.NewEvaluator(b, m, data.Valid, s.Batch, s.Context, 0)
	if err != nil {
		return nil, nil, 0, err
	}
	var progress train.Progress
	if opt.Progress != nil {
		progress = opt.Progress(zoo.Name(s.Name, z.Name))
	}
	tr := &train.Trainer{Backend: b, Ctx: m.Ctx, Loss: pretrain.LossFn(cfg), Config: tc, Progress: progress,
		Eval: func(int) (map[string]float64, error) {
			l, err := ev.Loss()
			return map[string]float64{"valid_loss": l}, err
		}}
	_, nonEmb := cfg.NumParams()
	fmt.Fprintf(opt.Log, "%s: %d layers, width %d, %d non-embedding parameters, %d steps × %d tokens, lr %.2g\n",
		zoo.Name(s.Name, z.Name), z.Layers, z.Width, nonEmb, steps, s.Batch*s.Context, tc.LR)
	start := time.Now()
	res, err := tr.Run(ctx, batches(s, data.Train))
	wall := time.Since(start).Seconds()
	if err != nil {
		if os.MkdirAll(filepath.Join(dir, "state"), 0o755) == nil {
			atomicfile.WriteBytes(filepath.Join(dir, wallFile), []byte(fmt.Sprint(priorWall(dir)+wall)))
		}
		return nil, nil, 0, err
	}
	if res.ResumedFrom > 0 {
		fmt.Fprintf(opt.Log, "%s: resumed from step %d\n", zoo.Name(s.Name, z.Name), res.ResumedFrom)
	}
	return m, res, priorWall(dir) + wall, nil
}

// wallFile keeps the time spent by interrupted attempts at a size.
const wallFile = "state/wall_seconds"

// priorWall is the wall time earlier, interrupted attempts at dir spent.
func priorWall(dir string) float64 {
	raw, err := os.ReadFile(filepath.Join(dir, wallFile))
	if err != nil {
		return 0
	}
	var s float64
	fmt.Sscan(string(raw), &s)
	return s
}

// sparseCurve keeps about n points of a curve, always the evaluations.
func sparseCurve(c []train.Point, n int) []train.Point {
	every := max(1, len(c)/n)
	var out []train.Point
	for i, p := range c {
		if i%every == every-1 || p.Metrics != nil || i == len(c)-1 {
			out = append(out, p)
		}
	}
	return out
}

// dataChecksums names each data file relative to the data folder it lies
// in, with its sha256.
func dataChecksums(files []string, roots []string) (map[string]string, error) {
	if roots == nil {
		roots = paths.Data()
	}
	out := map[string]string{}
	for _, f := range files {
		name := f
		for _, r := range roots {
			if rel, err := filepath.Rel(r, f); err == nil && !strings.HasPrefix(rel, "..") {
				name = rel
				break
			}
		}
		sum, _, err := checksum.File(f)
		if err != nil {
			return nil, err
		}
		out[name] = sum
	}
	return out, nil
}

func machine(b backends.Backend) zoo.Machine {
	info := backend.Describe(b)
	host, _ := os.Hostname()
	return zoo.Machine{Host: host, CPU: cpuModel(), OS: info.OS, Go: info.Go, GoMLX: info.GoMLX,
		Backend: info.Backend, Device: info.Device, CPUs: info.CPUs, GOMAXPROCS: runtime.GOMAXPROCS(0)}
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// commit is the code version this binary was built from: the VCS revision
// Go stamps into binaries built inside a repository ("+dirty" when the work
// tree had changes), else "unknown". It is never read from the work tree at
// run time, which may have moved on since the build started.
func commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

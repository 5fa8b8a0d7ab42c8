package stage

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"context"

	"github.com/gomlx/gomlx/backends"
	"github.com/w2s-lab/w2s/w2s/internal/checksum"
	"github.com/w2s-lab/w2s/w2s/split"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/train"
)

// Stage versions: bump one when its code changes what it produces, so
// stored artifacts of the old code are not reused.
const (
	versionFeatures    = 1
	versionTrained     = 3 // 2: curves carry val_loss_weak (each loss's own validation loss); 3: length buckets, per-row test results at each evaluation
	versionPredictions = 1
)

// Sets of a split.
const (
	SetA    = "A"
	SetB    = "B"
	SetVal  = "val"
	SetTest = "test"
	// The tuning pool's halves: the same rows for every seed, in no
	// seed's other sets (split.Config.NTune).
	SetTuneA = "tuneA"
	SetTuneB = "tuneB"
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
	// StoredOnly makes every stage read the store only: a stage not stored
	// yet fails with ErrNotStored instead of being computed (progress
	// counts of sweeps run elsewhere, such as on Slurm).
	StoredOnly bool
	// Extra asks for this many more halves like B, named B1, B2, …, of fresh
	// examples (bootstrapping chains). They leave A, B, val and test as they
	// are, so artifacts of those sets are shared with runs without extras.
	Extra int

	mu      sync.Mutex
	data    *tasks.Data
	splits  *split.Splits
	sums    map[string]string // model folder → content checksum (contentSum)
	derived map[string]string // model name → folder, for models this runner made
	dataSum string            // combined checksum of the task's data files
	// widthsOf are the padding widths of the task's inputs, by tokenizer
	// (Runner.widths).
	widthsOf map[string][]int
	// usedNDocs is the training rows the split's halves got (Splits).
	usedNDocs int
	// madeBy labels Backend for the artifacts it computes (backendLabel).
	madeBy string
	// chess holds the chess task's puzzles of each set (chessSets).
	chess *chessSplits
}

// NewRunner prepares the stages of task at a scale's budget, with the
// default store and backend: NewSession(scale).Runner(task, seed).
func NewRunner(task, scale string, seed uint64) (*Runner, error) {
	s, err := NewSession(scale)
	if err != nil {
		return nil, err
	}
	return s.Runner(task, seed)
}

// ErrNotStored is the error of a stage asked with StoredOnly that is not
// in the store.
var ErrNotStored = errors.New("stage: not stored yet")

// do is Store.Do, or only a lookup under StoredOnly.
func (r *Runner) do(ctx context.Context, kind string, version int, spec any, fill func(dir string) error) (*store.Artifact, error) {
	if !r.StoredOnly {
		return r.Store.DoBy(ctx, r.backendLabel(), kind, version, spec, fill)
	}
	key, _, err := store.Key(kind, version, spec)
	if err != nil {
		return nil, err
	}
	if a, ok := r.Store.Get(kind, key); ok {
		return a, nil
	}
	return nil, fmt.Errorf("%s %s: %w", kind, key, ErrNotStored)
}

// WithExtra returns a runner of the same task, budget, seed, store and
// backend with n extra halves (Extra), its splits made afresh: a runner
// whose splits are made keeps the halves it had.
func (r *Runner) WithExtra(n int) *Runner {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.fresh(r.Budget)
	c.Extra = n
	return c
}

// fresh is a runner like r under budget b that shares r's loaded data
// and makes its splits anew; r.mu is held.
func (r *Runner) fresh(b Budget) *Runner {
	return &Runner{Task: r.Task, Budget: b, Seed: r.Seed, Store: r.Store, Backend: r.Backend, Data: r.Data, Log: r.Log,
		Progress: r.Progress, StoredOnly: r.StoredOnly, Extra: r.Extra, data: r.data, dataSum: r.dataSum}
}

// WithBudget returns a runner of the same task, seed, store and backend
// with another budget (hyperparameter searches). It shares the loaded
// data; the splits are made again when the budget changes their sizes.
func (r *Runner) WithBudget(b Budget) *Runner {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.fresh(b)
	o := r.Budget
	if b.NDocs == o.NDocs && b.PairNDocs == o.PairNDocs && b.NVal == o.NVal && b.NTest == o.NTest && b.NTune == o.NTune && b.Balance == o.Balance {
		n.splits, n.usedNDocs = r.splits, r.usedNDocs
	}
	if b.MaxLen == o.MaxLen && b.Truncate == o.Truncate {
		n.widthsOf = r.widthsOf
	}
	return n
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", args...)
	}
}

// SplitSpec identifies the data of an experiment: the task, its data by
// content (the combined sha256 of the files read, so replacing a file with
// other data never returns the old results), and the split.
type SplitSpec struct {
	Task               string
	Data               string
	NDocs, NVal, NTest int
	NTune              int
	MaxPerGroup        int `json:",omitempty"`
	Balance            bool
	Seed               uint64
	// TaskVersion is the task's Version (its formatting and carving); 0,
	// the version of every task never changed, leaves the keys as they
	// were before the field existed.
	TaskVersion int `json:",omitempty"`
}

// splitSpec loads the data (once) and describes the split.
func (r *Runner) splitSpec(ctx context.Context) (SplitSpec, error) {
	if _, err := r.Splits(ctx); err != nil {
		return SplitSpec{}, err
	}
	b := r.Budget
	version := 0
	if t := r.TaskInfo(); t != nil {
		version = t.Version
	}
	// The rows the halves got (fewer than asked when the pool is small, and
	// fewer with extra halves), so that two splits of different halves
	// never share a key.
	return SplitSpec{r.Task, r.dataSum, r.usedNDocs, b.NVal, b.NTest, b.NTune, r.data.Task.MaxPerGroup, b.Balance, r.Seed, version}, nil
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
		sums := map[string]string{}
		for _, f := range d.Files {
			sum, err := checksum.Cached(f)
			if err != nil {
				return nil, fmt.Errorf("task %s: %w", r.Task, err)
			}
			// Named by folder and file, so moving the data folder keeps keys.
			sums[filepath.Join(filepath.Base(filepath.Dir(f)), filepath.Base(f))] = sum
		}
		r.data, r.dataSum = d, checksum.Combined(sums)
	}
	b := r.Budget
	// A small pool gives what it has (the same for every run of this data).
	// Rows needed: the tuning pool, nDocs (A and B) + NVal + Extra halves
	// of nDocs/2 (split.FitNDocs).
	asked := r.nDocs()
	nDocs := split.FitNDocs(r.data.Pool, r.data.Test, split.Config{NDocs: asked, NVal: b.NVal, NTune: b.NTune, NExtra: r.Extra})
	tune := split.TuneRows(len(r.data.Pool), b.NTune)
	if least := MinHalf(asked); nDocs/2 < least {
		return nil, fmt.Errorf("task %s: the training pool is too small to split: %d rows (files %v), of which the tuning pool takes %d and validation %d, leave halves A and B %d rows each; the budget asks for %d, and a half needs at least %d",
			r.Task, len(r.data.Pool), r.data.Files, tune, b.NVal, nDocs/2, asked/2, least)
	}
	if nDocs < asked {
		r.logf("task %s: the training pool holds %d rows (tuning pool %d, validation %d%s): halves A and B get %d rows each, not the budget's %d",
			r.Task, len(r.data.Pool), tune, b.NVal, extraNote(r.Extra), nDocs/2, asked/2)
	}
	s, err := split.Make(r.data.Pool, r.data.Test, r.data.Task.NumClasses(), split.Config{
		NDocs: nDocs, NVal: b.NVal, NTest: b.NTest, Balance: b.Balance, Seed: r.Seed, NExtra: r.Extra, NTune: b.NTune, MaxPerGroup: r.data.Task.MaxPerGroup})
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", r.Task, err)
	}
	r.splits, r.usedNDocs = s, nDocs
	return s, nil
}

// TaskData returns the task's formatted data, loading it (and making the
// splits) first if needed.
func (r *Runner) TaskData() (*tasks.Data, error) {
	if _, err := r.Splits(context.Background()); err != nil {
		return nil, err
	}
	return r.data, nil
}

// MinHalfRows is the fewest rows a half (A or B) may have at a full-size
// budget: a pool that cannot give each half this many is too small to
// split and is refused rather than run, since the supervisor would learn
// from, and the student and ceiling be trained on, a couple of hundred
// examples at most, below what any of the paper's tasks gave them. Every
// task of the shared data clears it at scale cpu (the smallest pools,
// anli_r2's and piqa's, still give each half more than 200 rows).
const MinHalfRows = 200

// MinHalf is the fewest rows a half may have when a budget asks for nDocs
// training rows: MinHalfRows, or for budgets too small to ask that much
// (the ci and test scales, whose runs check the code, not the science)
// half of the half they ask for, and never fewer than 4.
func MinHalf(nDocs int) int { return max(4, min(MinHalfRows, nDocs/4)) }

func extraNote(extra int) string {
	if extra == 0 {
		return ""
	}
	return fmt.Sprintf(", and %d extra halves", extra)
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
	case SetTuneA:
		return s.TuneA, nil
	case SetTuneB:
		return s.TuneB, nil
	}
	var k int
	if _, err := fmt.Sscanf(name, "B%d", &k); err == nil && k >= 1 && k <= len(s.Extra) && name == fmt.Sprintf("B%d", k) {
		return s.Extra[k-1], nil
	}
	return nil, fmt.Errorf("unknown set %q (sets: A, B, val, test, tuneA, tuneB, and B1…B%d with Runner.Extra = %d)", name, len(s.Extra), r.Extra)
}

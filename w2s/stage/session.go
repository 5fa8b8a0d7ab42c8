package stage

import (
	"io"
	"os"

	"github.com/gomlx/gomlx/backends"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// Session is what every runner of one process shares: a scale's budget
// (with the run's options: the head, probes, batch order), the artifact
// store, the backend, and where logs and training progress go. The
// command line and the notebooks each make one and ask it for runners, so
// that both build runners, and name models, one way.
type Session struct {
	Budget   Budget
	Store    *store.Store
	Backend  backends.Backend
	Data     tasks.LoadOptions                // how task data is read (Runner.Data)
	Log      io.Writer                        // one line per stage computed (nil: silent)
	Progress func(desc string) train.Progress // progress of trainings (optional)
	// StoredOnly makes its runners read the store only (Runner.StoredOnly).
	StoredOnly bool
}

// NewSession opens a session at a scale ("": the active one, $W2S_SCALE
// else cpu) with the scale's budget, the default store and backend, and
// the log on standard error.
func NewSession(scale string) (*Session, error) {
	if scale == "" {
		scale = zoo.ActiveScale()
	}
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
	return &Session{Budget: b, Store: st, Backend: be, Log: os.Stderr}, nil
}

// Scale is the session's scale.
func (s *Session) Scale() string { return s.Budget.Scale }

// Ladder lists every model of the scale's ladder, weakest first.
func (s *Session) Ladder() []string {
	sc, err := zoo.GetScale(s.Scale())
	if err != nil {
		return nil
	}
	out := make([]string, len(sc.Sizes))
	for i, z := range sc.Sizes {
		out[i] = zoo.Name(sc.Name, z.Name)
	}
	return out
}

// Runner returns the stages of a task under one split and training seed.
func (s *Session) Runner(task string, seed uint64) (*Runner, error) {
	if _, err := tasks.Get(task); err != nil && !IsChess(task) {
		return nil, err
	}
	return &Runner{Task: task, Budget: s.Budget, Seed: seed, Store: s.Store, Backend: s.Backend, Data: s.Data, Log: s.Log,
		Progress: s.Progress, StoredOnly: s.StoredOnly}, nil
}

// Runners returns one runner of a task per seed (none given: the
// budget's seeds).
func (s *Session) Runners(task string, seeds ...uint64) ([]*Runner, error) {
	if len(seeds) == 0 {
		seeds = s.Budget.SeedsFor(task)
	}
	out := make([]*Runner, len(seeds))
	for i, seed := range seeds {
		r, err := s.Runner(task, seed)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

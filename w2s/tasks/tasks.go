// Package tasks is the registry of experiment tasks: for each, its label
// set, the label words used by prompting, where its data lives (a folder of
// the local data root, or a Hugging Face dataset) and how a record becomes
// model input, following the formatters of openai/weak-to-strong.
//
// Adding a task touches one table entry (see registry.go).
package tasks

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"

	registry_ "github.com/w2s-lab/w2s/w2s/internal/registry"

	"github.com/w2s-lab/w2s/w2s/records"
)

// Kind says what a task's examples are.
type Kind string

const (
	// Classification: Text is the input, Label its class.
	Classification Kind = "classification"
	// Preference: Candidates holds two replies (whole conversations), Label
	// the index of the preferred one; a reward model scores each.
	Preference Kind = "preference"
)

// Example is one formatted example.
type Example struct {
	ID         string   // task:file:row, stable across runs
	Text       string   // model input (classification)
	Candidates []string // the texts a reward model scores (preference)
	Label      int      // gold class, or index of the preferred candidate
	// Group ties examples that must land in the same split: phrases of one
	// sentence, answers to one question, questions on one passage. Empty:
	// the example is a group of its own.
	Group string
}

// Key identifies an example by content, for disjointness checks.
func (e Example) Key() string {
	if len(e.Candidates) == 0 {
		return e.Text
	}
	return e.Text + "\x00" + strings.Join(e.Candidates, "\x00")
}

// Source says where a task's records come from.
type Source struct {
	// Local data: Folder under a data root, and the files (without
	// suffix, comma-separated) of the training pool and of the test set.
	// An empty Test means the test set is carved out of the pool (see
	// Task.CarveTest).
	Folder, Train, Test string
	// Or files by path (tasks of your own, see RegisterFile).
	TrainFile, TestFile string
	// Hugging Face dataset used when the local files are missing.
	HFRepo, HFConfig, HFTrain, HFTest string
}

// Task is one registered task.
type Task struct {
	Name        string
	Description string
	Kind        Kind
	Labels      []string // class names (for preference: which candidate)
	LabelWords  []string // what a language model should say for each class
	// Framing says in a few words how a record becomes an example (what
	// the input shows, which way the label points).
	Framing string
	Local   Source // the shared data folder's layout
	HF      Source // the Hugging Face dataset's layout (Folder: where downloads go)
	// CarveTest is the fraction of pool records that form the test set when
	// the source has no test file. Records are assigned by a hash of their
	// content, or of their group when Format sets Example.Group, so the test
	// set is the same for every seed and a group never straddles the pool
	// and the test set. (Groups set by the Group function come after the
	// carving and do not steer it.)
	CarveTest float64
	// Format turns a record into an example; rng is seeded from the
	// record's content, so formatting is the same in every run. It may set
	// Example.Group (rows that must share a split). Returning ErrSkip
	// leaves the record out (a class the task's framing drops), counted in
	// Data.Skipped.
	Format func(r records.Record, rng *rand.Rand) (Example, error)
	// Group, when set, groups the formatted pool rows (setting
	// Example.Group) from the whole pool and test set, and returns the pool
	// rows that repeat test content and must be dropped (PhraseGroups).
	Group func(pool, test []Example) (leaks []int)
	// MaxPerGroup, when positive, is the most rows of one group a set of
	// an experiment takes (split.Config.MaxPerGroup): many small groups
	// rather than a few whole ones.
	MaxPerGroup int
	// Version counts changes to Format, Group or the carving that change
	// the examples or splits made from the same data files; it is part of
	// every stored stage's key, so results of an older version are not
	// reused. 0 for a task never changed.
	Version int

	spec *FileSpec // for tasks made by RegisterFile
}

var registry = registry_.New[*Task]("task")

// register adds a built-in task (at init: a duplicate is a bug).
func register(t *Task) {
	if err := registry.Add(t.Name, t); err != nil {
		panic("tasks: " + err.Error())
	}
}

// Names lists the registered tasks, sorted.
func Names() []string { return registry.Names() }

// Get returns the named task, or an error listing the known ones.
func Get(name string) (*Task, error) { return registry.Get(name) }

// NumClasses is the number of labels.
func (t *Task) NumClasses() int { return len(t.Labels) }

// contentHash is a stable hash of a record's content (keys sorted).
func contentHash(task string, r records.Record) uint64 {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	h.Write([]byte(task))
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s\x00%v", k, r[k])
	}
	return h.Sum64()
}

// ErrSkip is returned by a Format to leave the record out of the task: a
// class its framing drops (TweetEval's neutral tweets), not bad input.
var ErrSkip = errors.New("record left out by the task's framing")

// format applies t.Format to record i of file, checking the label. A
// record the framing leaves out returns ErrSkip unwrapped.
func (t *Task) format(r records.Record, file string, i int) (Example, error) {
	h := contentHash(t.Name, r)
	ex, err := t.Format(r, rand.New(rand.NewPCG(h, 0x7733)))
	if errors.Is(err, ErrSkip) {
		return ex, ErrSkip
	}
	if err != nil {
		return ex, fmt.Errorf("task %s: %s record %d: %w", t.Name, file, i+1, err)
	}
	if ex.Label < 0 || ex.Label >= len(t.Labels) {
		return ex, fmt.Errorf("task %s: %s record %d: label %d out of range [0, %d)", t.Name, file, i+1, ex.Label, len(t.Labels))
	}
	texts := ex.Candidates
	if len(texts) == 0 {
		texts = []string{ex.Text}
	}
	for _, text := range texts {
		if strings.TrimSpace(text) == "" {
			return ex, fmt.Errorf("task %s: %s record %d: empty text (drop the record, or fill it)", t.Name, file, i+1)
		}
	}
	return ex, nil
}

// inTest tells whether a pool record, formatted as ex, belongs to the
// carved test set: by a hash of its group when it has one (so a group is
// all in or all out), else of the record's content. The hash depends on
// the data folder, not the task, so tasks framing the same records
// differently (cosmos_qa, cosmos_qa_mc) test on the same records.
func (t *Task) inTest(r records.Record, ex Example) bool {
	var h uint64
	if ex.Group != "" {
		f := fnv.New64a()
		fmt.Fprintf(f, "%s/carve-group\x00%s", t.Local.Folder, ex.Group)
		h = f.Sum64()
	} else {
		h = contentHash(t.Local.Folder+"/carve", r)
	}
	return float64(h%100000) < t.CarveTest*100000
}

// GroupKey is a group name for rows that share content (a passage, a
// dialogue, a question): a hash of the parts, equal for equal parts in any
// file of the task.
func GroupKey(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

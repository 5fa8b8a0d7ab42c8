// Package split makes the data splits of a weak-to-strong experiment:
// n_docs training rows drawn by seed and cut into two disjoint halves, A
// for the weak supervisor and B for the student and the ceiling; an optional
// validation slice from further pool rows (it will carry weak labels, for
// honest early stopping); and a test set. Everything is deterministic for a
// seed and disjoint by content.
//
// One departure from the official code, which takes the first n_docs rows
// and then shuffles: we shuffle the pool first, because our data files are
// sorted (IMDB by label, for one) and the first rows would be one class.
package split

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/w2s-lab/w2s/w2s/tasks"
)

// Config of a split.
type Config struct {
	NDocs int // training rows, halved into A and B (0: the whole pool)
	NVal  int // validation rows after them (0: none)
	NTest int // test rows (0: the whole test set)
	// Balance undersamples the training rows (and the validation slice) to
	// equal class counts.
	Balance bool
	Seed    uint64
	// NExtra more halves the size of B, drawn after the validation slice
	// (fresh data for each link of a bootstrapping chain). A, B, Val and
	// Test do not depend on NExtra, and extra half k does not depend on how
	// many were asked for.
	NExtra int
}

// Splits are the sets of one experiment.
type Splits struct {
	A, B, Val, Test []tasks.Example
	Extra           [][]tasks.Example // Config.NExtra halves like B
	Counts          Counts
}

// Counts reports sizes and what was left out.
type Counts struct {
	Pool     int `json:"pool"`      // training-pool examples available before splitting
	PoolTest int `json:"pool_test"` // test examples available
	A        int `json:"a"`         // examples in each set
	B        int `json:"b"`
	Val      int `json:"val"`
	Test     int `json:"test"`
	// Examples per class in each set.
	ClassesA    []int `json:"classes_a"`
	ClassesB    []int `json:"classes_b"`
	ClassesVal  []int `json:"classes_val"`
	ClassesTest []int `json:"classes_test"`
	// DuplicatesDropped counts pool rows equal to a test row or an earlier
	// pool row; Unused, pool rows in none of A, B, Val.
	DuplicatesDropped int `json:"duplicates_dropped"`
	Unused            int `json:"unused"`
}

// Make splits pool and test for a task with numClasses classes.
func Make(pool, test []tasks.Example, numClasses int, c Config) (*Splits, error) {
	if len(pool) == 0 {
		return nil, fmt.Errorf("split: empty training pool")
	}
	if len(test) == 0 {
		return nil, fmt.Errorf("split: empty test set")
	}
	if c.NDocs < 0 || c.NVal < 0 || c.NTest < 0 || c.NExtra < 0 {
		return nil, fmt.Errorf("split: negative size in %+v", c)
	}
	s := &Splits{}
	s.Counts.Pool, s.Counts.PoolTest = len(pool), len(test)

	// The test set: the same for every seed (fixed shuffle), deduplicated.
	seenTest := map[string]bool{}
	var uniqTest []tasks.Example
	for _, e := range test {
		if k := e.Key(); !seenTest[k] {
			seenTest[k] = true
			uniqTest = append(uniqTest, e)
		}
	}
	shuffle(uniqTest, 0x7e57)
	if c.NTest > 0 && c.NTest < len(uniqTest) {
		uniqTest = uniqTest[:c.NTest]
	}
	s.Test = uniqTest

	// The pool: drop rows that also appear in the (whole) test set or twice.
	seen := map[string]bool{}
	var clean []tasks.Example
	for _, e := range pool {
		k := e.Key()
		if seenTest[k] || seen[k] {
			s.Counts.DuplicatesDropped++
			continue
		}
		seen[k] = true
		clean = append(clean, e)
	}
	shuffle(clean, c.Seed)

	nDocs := c.NDocs
	if nDocs == 0 {
		nDocs = len(clean) - c.NVal
	}
	if nDocs < 2 {
		return nil, fmt.Errorf("split: n_docs %d leaves no room for two halves", nDocs)
	}
	take := func(n int, quota []int) ([]tasks.Example, error) {
		var out []tasks.Example
		rest := clean[:0:0]
		for _, e := range clean {
			if len(out) < n && (quota == nil || quota[e.Label] > 0) {
				out = append(out, e)
				if quota != nil {
					quota[e.Label]--
				}
			} else {
				rest = append(rest, e)
			}
		}
		clean = rest
		if len(out) < n {
			return out, fmt.Errorf("split: asked for %d rows, the pool holds %d usable ones%s", n, len(out), balanceNote(quota))
		}
		return out, nil
	}
	quotas := func(n int) []int {
		if !c.Balance {
			return nil
		}
		q := make([]int, numClasses)
		for i := range q {
			q[i] = n / numClasses
			if i < n%numClasses {
				q[i]++
			}
		}
		return q
	}
	// Balance each half separately so both halves are balanced.
	half := nDocs / 2
	var err error
	if s.A, err = take(half, quotas(half)); err != nil {
		return nil, fmt.Errorf("%w (half A)", err)
	}
	if s.B, err = take(nDocs-half, quotas(nDocs-half)); err != nil {
		return nil, fmt.Errorf("%w (half B)", err)
	}
	if c.NVal > 0 {
		if s.Val, err = take(c.NVal, quotas(c.NVal)); err != nil {
			return nil, fmt.Errorf("%w (validation slice)", err)
		}
	}
	for k := range c.NExtra {
		extra, err := take(nDocs-half, quotas(nDocs-half))
		if err != nil {
			return nil, fmt.Errorf("%w (extra half %d)", err, k+1)
		}
		s.Extra = append(s.Extra, extra)
	}
	s.Counts.Unused = len(clean)
	s.Counts.A, s.Counts.B, s.Counts.Val, s.Counts.Test = len(s.A), len(s.B), len(s.Val), len(s.Test)
	s.Counts.ClassesA = classCounts(s.A, numClasses)
	s.Counts.ClassesB = classCounts(s.B, numClasses)
	s.Counts.ClassesVal = classCounts(s.Val, numClasses)
	s.Counts.ClassesTest = classCounts(s.Test, numClasses)
	return s, nil
}

func balanceNote(quota []int) string {
	if quota == nil {
		return ""
	}
	return " with balanced classes"
}

// shuffle permutes xs with a generator seeded by seed.
func shuffle(xs []tasks.Example, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x5b1175))
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
}

func classCounts(xs []tasks.Example, n int) []int {
	out := make([]int, n)
	for _, e := range xs {
		out[e.Label]++
	}
	return out
}

// String reports the counts in one line per set.
func (c Counts) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pool %d (test source %d), %d duplicates dropped, %d pool rows unused\n", c.Pool, c.PoolTest, c.DuplicatesDropped, c.Unused)
	row := func(name string, n int, classes []int) {
		fmt.Fprintf(&b, "  %-4s %6d  per class %v\n", name, n, classes)
	}
	row("A", c.A, c.ClassesA)
	row("B", c.B, c.ClassesB)
	if c.Val > 0 {
		row("val", c.Val, c.ClassesVal)
	}
	row("test", c.Test, c.ClassesTest)
	return b.String()
}

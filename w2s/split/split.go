// Package split makes the data splits of a weak-to-strong experiment:
// n_docs training rows drawn by seed and cut into two disjoint halves, A
// for the weak supervisor and B for the student and the ceiling; an optional
// validation slice from further pool rows (it will carry weak labels, for
// honest early stopping); a test set; and a tuning pool that no seed's
// sets ever use, for choosing hyperparameters. Everything is deterministic
// for a seed and disjoint by content, and examples of one group (phrases of
// one sentence, answers to one question) always land in the same set.
//
// One departure from the official code, which takes the first n_docs rows
// and then shuffles: we shuffle the pool first, because our data files are
// sorted (IMDB by label, for one) and the first rows would be one class.
package split

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
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
	// NTune rows of the pool (at most TuneShare of it) form the tuning
	// pool, the same for every seed and never in any seed's other sets:
	// hyperparameters are chosen on its half TuneA (training) and half
	// TuneB (scoring). 0: no tuning pool.
	NTune int
	// MaxPerGroup, when positive, is the most rows a set takes from one
	// group (the group's other rows then go to no set), and groups are
	// visited in a random order weighted by their size, so every row keeps
	// about the same chance of being drawn while a set spans many groups
	// (SST-2: 2,000 rows from 1,000 sentences or more, not all the phrases
	// of a few hundred). 0: sets take whole groups, in a uniform order.
	MaxPerGroup int
}

// TuneShare is the largest share of a pool the tuning pool takes.
const TuneShare = 0.1

// TuneRows is how many rows the tuning pool of a pool of n rows takes when
// nTune are asked for.
func TuneRows(n, nTune int) int { return min(nTune, int(TuneShare*float64(n))) }

// Available is how many rows of pool the sets of a seed can count on: the
// pool without its duplicates (rows repeating a test row or an earlier pool
// row) and without the tuning pool of nTune, less, when rows are grouped,
// what whole groups may leave over: a set that takes part of a group leaves
// the rest unused, and a tuning half may overshoot by the rest of a group,
// so the largest group's size less one for each of the sets (A, B, the
// validation slice, extra halves) and each tuning half. For a pool without
// groups or duplicates it is len(pool) − TuneRows(len(pool), nTune).
func Available(pool, test []tasks.Example, nTune, sets int) int {
	_, seen := testSet(test, 0)
	clean, _ := cleanPool(pool, seen)
	largest := 1
	size := map[string]int{}
	for _, e := range clean {
		if e.Group != "" {
			size[e.Group]++
			largest = max(largest, size[e.Group])
		}
	}
	if nTune > 0 {
		sets += 2
	}
	return len(clean) - TuneRows(len(clean), nTune) - (largest-1)*sets
}

// FitNDocs is c.NDocs, or, when the pool cannot hold it beside the
// tuning pool, the validation slice and c.NExtra extra halves, the largest
// even number of training rows it can hold (possibly below 2: too few for
// two halves, which Make refuses).
func FitNDocs(pool, test []tasks.Example, c Config) int {
	avail := Available(pool, test, c.NTune, 3+c.NExtra)
	return max(0, min(c.NDocs, 2*(avail-c.NVal)/(2+c.NExtra)/2*2))
}

// Splits are the sets of one experiment.
type Splits struct {
	A, B, Val, Test []tasks.Example
	Extra           [][]tasks.Example // Config.NExtra halves like B
	TuneA, TuneB    []tasks.Example   // the tuning pool's two halves
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
	// pool row; Unused, pool rows in none of A, B, Val (GroupRest of them
	// left over from a group a set took only part of).
	DuplicatesDropped int `json:"duplicates_dropped"`
	Unused            int `json:"unused"`
	GroupRest         int `json:"group_rest,omitempty"`
	// Tune is the size of the tuning pool (both halves), and Groups the
	// number of groups the pool's rows form.
	Tune   int `json:"tune,omitempty"`
	Groups int `json:"groups,omitempty"`
}

// Make splits pool and test for a task with numClasses classes.
func Make(pool, test []tasks.Example, numClasses int, c Config) (*Splits, error) {
	if len(pool) == 0 {
		return nil, fmt.Errorf("split: empty training pool")
	}
	if len(test) == 0 {
		return nil, fmt.Errorf("split: empty test set")
	}
	if c.NDocs < 0 || c.NVal < 0 || c.NTest < 0 || c.NExtra < 0 || c.NTune < 0 {
		return nil, fmt.Errorf("split: negative size in %+v", c)
	}
	s := &Splits{}
	s.Counts.Pool, s.Counts.PoolTest = len(pool), len(test)
	var seenTest map[string]bool
	s.Test, seenTest = testSet(test, c.NTest)
	clean, dropped := cleanPool(pool, seenTest)
	s.Counts.DuplicatesDropped = dropped
	units := groupUnits(clean)
	s.Counts.Groups = len(units)
	if c.NTune > 0 {
		units = s.carveTune(units, TuneRows(len(clean), c.NTune), c.MaxPerGroup)
	}
	unused := &rows{numClasses: numClasses, balance: c.Balance, units: units, perGroup: c.MaxPerGroup}
	if c.MaxPerGroup > 0 {
		weightedOrder(unused.units, c.Seed)
	} else {
		shuffleUnits(unused.units, c.Seed)
	}

	nDocs := c.NDocs
	if nDocs == 0 {
		nDocs = unused.len() - c.NVal
	}
	if nDocs < 2 {
		return nil, fmt.Errorf("split: n_docs %d leaves no room for two halves", nDocs)
	}
	// Balance each half separately so both halves are balanced.
	half := nDocs / 2
	var err error
	if s.A, err = unused.take(half); err != nil {
		return nil, fmt.Errorf("%w (half A)", err)
	}
	if s.B, err = unused.take(nDocs - half); err != nil {
		return nil, fmt.Errorf("%w (half B)", err)
	}
	if c.NVal > 0 {
		if s.Val, err = unused.take(c.NVal); err != nil {
			return nil, fmt.Errorf("%w (validation slice)", err)
		}
	}
	for k := range c.NExtra {
		extra, err := unused.take(nDocs - half)
		if err != nil {
			return nil, fmt.Errorf("%w (extra half %d)", err, k+1)
		}
		s.Extra = append(s.Extra, extra)
	}
	s.Counts.Unused = unused.len() + unused.rest
	s.Counts.GroupRest = unused.rest
	s.count(numClasses)
	return s, nil
}

// groupUnits gathers the pool's rows into units, one per group (rows with
// no group are units of one), in the order of each group's first row.
func groupUnits(xs []tasks.Example) [][]tasks.Example {
	var units [][]tasks.Example
	at := map[string]int{}
	for _, e := range xs {
		if e.Group == "" {
			units = append(units, []tasks.Example{e})
			continue
		}
		i, ok := at[e.Group]
		if !ok {
			i = len(units)
			at[e.Group] = i
			units = append(units, nil)
		}
		units[i] = append(units[i], e)
	}
	return units
}

// carveTune takes units in an order fixed by a hash of their content (the
// same for every seed; weighted by size when perGroup is set, at most
// perGroup rows of each) into TuneA until it holds n/2 rows, then into
// TuneB until it holds n/2 more, and returns the units left.
func (s *Splits) carveTune(units [][]tasks.Example, n, perGroup int) [][]tasks.Example {
	if n < 2 {
		return units
	}
	order := make([]int, len(units))
	keys := make([]float64, len(units))
	for i, u := range units {
		order[i] = i
		h := fnv.New64a()
		h.Write([]byte(u[0].Key()))
		keys[i] = float64(h.Sum64()>>11) / (1 << 53) // uniform in [0, 1)
		if perGroup > 0 {
			keys[i] = weightKey(keys[i], len(u))
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	taken := make([]bool, len(units))
	for _, i := range order {
		rows := units[i]
		if perGroup > 0 && len(rows) > perGroup {
			rows = rows[:perGroup]
		}
		switch {
		case len(s.TuneA) < n/2:
			s.TuneA = append(s.TuneA, rows...)
		case len(s.TuneB) < n-n/2:
			s.TuneB = append(s.TuneB, rows...)
		default:
			continue
		}
		taken[i] = true
	}
	var rest [][]tasks.Example
	for i, u := range units {
		if !taken[i] {
			rest = append(rest, u)
		}
	}
	s.Counts.Tune = len(s.TuneA) + len(s.TuneB)
	return rest
}

// TestSet is the test set an experiment scores with NTest n: test
// deduplicated and, when n > 0, cut to n rows after a fixed shuffle (the
// same for every seed).
func TestSet(test []tasks.Example, n int) []tasks.Example {
	kept, _ := testSet(test, n)
	return kept
}

// testSet is the test set, deduplicated and cut to nTest (0: all) after a
// fixed shuffle, so it is the same for every seed. seen holds the keys of
// the whole deduplicated set, not only the rows kept, so that no pool row
// repeats any test row.
func testSet(test []tasks.Example, nTest int) (kept []tasks.Example, seen map[string]bool) {
	seen = map[string]bool{}
	var uniq []tasks.Example
	for _, e := range test {
		if k := e.Key(); !seen[k] {
			seen[k] = true
			uniq = append(uniq, e)
		}
	}
	shuffle(uniq, 0x7e57)
	if nTest > 0 && nTest < len(uniq) {
		uniq = uniq[:nTest]
	}
	return uniq, seen
}

// cleanPool drops the pool rows that also appear in the test set or
// earlier in the pool, in the pool's order, and counts them.
func cleanPool(pool []tasks.Example, seenTest map[string]bool) (clean []tasks.Example, dropped int) {
	seen := map[string]bool{}
	for _, e := range pool {
		k := e.Key()
		if seenTest[k] || seen[k] {
			dropped++
			continue
		}
		seen[k] = true
		clean = append(clean, e)
	}
	return clean, dropped
}

// rows are the shuffled pool units (groups of rows) not yet given to a
// set.
type rows struct {
	units      [][]tasks.Example
	numClasses int
	balance    bool
	perGroup   int // most rows a set takes of a group (0: all)
	rest       int // rows of groups a set took only part of: given to no set
}

func (r *rows) len() int {
	n := 0
	for _, u := range r.units {
		n += len(u)
	}
	return n
}

// take removes the first n rows (under class quotas when balancing) and
// returns them, whole groups at a time: a group any of whose rows is taken
// leaves the pool, its other rows unused, so no group straddles two sets.
// Groups passed over stay, in order, for the next set.
func (r *rows) take(n int) ([]tasks.Example, error) {
	quota := r.quotas(n)
	var out []tasks.Example
	rest := r.units[:0:0]
	for _, u := range r.units {
		took := 0
		for _, e := range u {
			if r.perGroup > 0 && took == r.perGroup {
				break
			}
			if len(out) < n && (quota == nil || quota[e.Label] > 0) {
				out = append(out, e)
				took++
				if quota != nil {
					quota[e.Label]--
				}
			}
		}
		switch {
		case took == 0:
			rest = append(rest, u)
		case took < len(u):
			r.rest += len(u) - took
		}
	}
	r.units = rest
	if len(out) < n {
		return out, fmt.Errorf("split: asked for %d rows, the pool holds %d usable ones%s", n, len(out), balanceNote(quota))
	}
	return out, nil
}

// quotas are the rows of each class in a balanced set of n (the first
// n mod classes classes get one more), or nil when not balancing.
func (r *rows) quotas(n int) []int {
	if !r.balance {
		return nil
	}
	q := make([]int, r.numClasses)
	for i := range q {
		q[i] = n / r.numClasses
		if i < n%r.numClasses {
			q[i]++
		}
	}
	return q
}

// count fills in the sizes and class counts of the sets.
func (s *Splits) count(numClasses int) {
	s.Counts.A, s.Counts.B, s.Counts.Val, s.Counts.Test = len(s.A), len(s.B), len(s.Val), len(s.Test)
	s.Counts.ClassesA = classCounts(s.A, numClasses)
	s.Counts.ClassesB = classCounts(s.B, numClasses)
	s.Counts.ClassesVal = classCounts(s.Val, numClasses)
	s.Counts.ClassesTest = classCounts(s.Test, numClasses)
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

// weightedOrder orders units at random, a unit of k rows as likely to come
// first as k units of one row (Efraimidis and Spirakis' weighted sampling
// without replacement), and shuffles the rows within each unit: a set that
// takes a few rows per unit then draws rows with about equal chances.
func weightedOrder(us [][]tasks.Example, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x3e16))
	keys := make([]float64, len(us))
	for i, u := range us {
		keys[i] = weightKey(r.Float64(), len(u))
		r.Shuffle(len(u), func(a, b int) { u[a], u[b] = u[b], u[a] })
	}
	idx := make([]int, len(us))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	sorted := make([][]tasks.Example, len(us))
	for i, j := range idx {
		sorted[i] = us[j]
	}
	copy(us, sorted)
}

// weightKey turns a uniform draw u into a sort key (ascending) under which
// a unit of weight w comes first w times as often as one of weight 1.
func weightKey(u float64, w int) float64 {
	return -math.Log(max(u, 1e-300)) / float64(w)
}

// shuffleUnits permutes units as shuffle permutes rows (units of one row
// are shuffled exactly as shuffle would shuffle those rows).
func shuffleUnits(us [][]tasks.Example, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x5b1175))
	r.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i] })
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
	fmt.Fprintf(&b, "pool %d (test source %d), %d duplicates dropped, %d pool rows unused", c.Pool, c.PoolTest, c.DuplicatesDropped, c.Unused)
	if c.Groups > 0 && c.Groups < c.Pool-c.DuplicatesDropped {
		fmt.Fprintf(&b, " (%d of them left over from groups a set took only part of); %d groups", c.GroupRest, c.Groups)
	}
	if c.Tune > 0 {
		fmt.Fprintf(&b, "; tuning pool %d", c.Tune)
	}
	b.WriteString("\n")
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

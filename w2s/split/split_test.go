package split

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"

	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/testgate"
)

func synthetic(n int, prefix string, classes int) []tasks.Example {
	var out []tasks.Example
	for i := range n {
		out = append(out, tasks.Example{ID: fmt.Sprint(prefix, i), Text: fmt.Sprintf("%s text %d", prefix, i), Label: i % classes})
	}
	return out
}

func assertDisjoint(t *testing.T, s *Splits) {
	t.Helper()
	seen := map[string]string{}
	for name, set := range map[string][]tasks.Example{"A": s.A, "B": s.B, "val": s.Val, "test": s.Test} {
		for _, e := range set {
			if other, ok := seen[e.Key()]; ok {
				t.Fatalf("example %q is in both %s and %s", e.Key(), other, name)
			}
			seen[e.Key()] = name
		}
	}
}

func TestDeterministicDisjointHalves(t *testing.T) {
	pool := synthetic(1000, "p", 2)
	// Overlaps: two pool rows repeat test rows, one repeats a pool row.
	test := append(synthetic(300, "t", 2), pool[5], pool[17])
	pool = append(pool, pool[3])
	c := Config{NDocs: 400, NVal: 100, NTest: 200, Seed: 1}
	s1, err := Make(pool, test, 2, c)
	if err != nil {
		t.Fatal(err)
	}
	assertDisjoint(t, s1)
	if s1.Counts.A != 200 || s1.Counts.B != 200 || s1.Counts.Val != 100 || s1.Counts.Test != 200 {
		t.Errorf("counts %+v", s1.Counts)
	}
	if s1.Counts.DuplicatesDropped != 3 {
		t.Errorf("%d duplicates dropped, want 3", s1.Counts.DuplicatesDropped)
	}
	s2, _ := Make(pool, test, 2, c)
	if !reflect.DeepEqual(s1, s2) {
		t.Error("same seed, different splits")
	}
	c.Seed = 2
	s3, _ := Make(pool, test, 2, c)
	if reflect.DeepEqual(s1.A, s3.A) {
		t.Error("different seeds, same half A")
	}
	if !reflect.DeepEqual(s1.Test, s3.Test) {
		t.Error("the test set must not depend on the seed")
	}
	if !strings.Contains(s1.Counts.String(), "per class") {
		t.Errorf("counts report: %s", s1.Counts)
	}
}

func TestExtraHalvesLeaveTheRestAlone(t *testing.T) {
	pool, test := synthetic(2000, "p", 2), synthetic(100, "t", 2)
	c := Config{NDocs: 200, NVal: 50, Seed: 4}
	plain, _ := Make(pool, test, 2, c)
	c.NExtra = 2
	two, err := Make(pool, test, 2, c)
	if err != nil {
		t.Fatal(err)
	}
	c.NExtra = 1
	one, _ := Make(pool, test, 2, c)
	if !reflect.DeepEqual(plain.A, two.A) || !reflect.DeepEqual(plain.B, two.B) || !reflect.DeepEqual(plain.Val, two.Val) {
		t.Error("extra halves changed A, B or the validation slice")
	}
	if len(two.Extra) != 2 || len(two.Extra[1]) != 100 || !reflect.DeepEqual(one.Extra[0], two.Extra[0]) {
		t.Errorf("extra halves: %d, first equal %v", len(two.Extra), reflect.DeepEqual(one.Extra[0], two.Extra[0]))
	}
	all := append(append([]tasks.Example{}, two.Extra[0]...), two.Extra[1]...)
	assertDisjoint(t, &Splits{A: two.A, B: two.B, Val: all, Test: two.Test})
}

func TestBalance(t *testing.T) {
	// 3:1 imbalance; balanced halves of 100 need 50 of each class.
	var pool []tasks.Example
	for i := range 800 {
		label := 0
		if i%4 == 0 {
			label = 1
		}
		pool = append(pool, tasks.Example{Text: fmt.Sprint("x", i), Label: label})
	}
	s, err := Make(pool, synthetic(10, "t", 2), 2, Config{NDocs: 200, NVal: 40, Balance: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for name, counts := range map[string][]int{"A": s.Counts.ClassesA, "B": s.Counts.ClassesB, "val": s.Counts.ClassesVal} {
		if counts[0] != counts[1] {
			t.Errorf("%s unbalanced: %v", name, counts)
		}
	}
	if _, err := Make(pool, synthetic(10, "t", 2), 2, Config{NDocs: 600, Balance: true}); err == nil || !strings.Contains(err.Error(), "balanced") {
		t.Errorf("impossible balance: %v", err)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Make(nil, synthetic(3, "t", 2), 2, Config{}); err == nil {
		t.Error("empty pool accepted")
	}
	if _, err := Make(synthetic(3, "p", 2), nil, 2, Config{}); err == nil {
		t.Error("empty test accepted")
	}
	if _, err := Make(synthetic(10, "p", 2), synthetic(3, "t", 2), 2, Config{NDocs: 20}); err == nil || !strings.Contains(err.Error(), "asked for") {
		t.Errorf("n_docs beyond the pool: %v", err)
	}
}

// TestRealTasksDisjoint splits every registered task's real data (from
// $W2S_DATA) as scale cpu does, the budget fitted to the pool, and checks
// that the sets (test set and tuning pool included) share no example by
// content and no group, for two seeds.
func TestRealTasksDisjoint(t *testing.T) {
	testgate.Integration(t, "splits every dataset")
	datatest.Require(t)
	for _, name := range tasks.Names() {
		d, err := tasks.Load(context.Background(), name, tasks.LoadOptions{NoDownload: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, seed := range []uint64{0, 7} {
			c := Config{NDocs: 4000, NVal: 200, NTest: 10000, NTune: 4000, Seed: seed}
			c.NDocs = FitNDocs(d.Pool, d.Test, c)
			s, err := Make(d.Pool, d.Test, d.Task.NumClasses(), c)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sets := map[string][]tasks.Example{"A": s.A, "B": s.B, "val": s.Val, "test": s.Test, "tuneA": s.TuneA, "tuneB": s.TuneB}
			assertDisjoint(t, &Splits{A: s.A, B: s.B, Val: append(append(append([]tasks.Example{}, s.Val...), s.TuneA...), s.TuneB...), Test: s.Test})
			where := map[string]string{}
			for set, xs := range sets {
				for _, e := range xs {
					if e.Group == "" {
						continue
					}
					if other, ok := where[e.Group]; ok && other != set {
						t.Fatalf("%s seed %d: group %s is in %s and %s", name, seed, e.Group, other, set)
					}
					where[e.Group] = set
				}
			}
			if seed == 0 {
				t.Logf("%s: %s", name, strings.ReplaceAll(s.Counts.String(), "\n", "; "))
			}
		}
	}
}

// TestFitNDocs: the training rows fitted to a grouped pool with duplicates
// always split (every seed, with a tuning pool and an extra half), and a
// pool without groups or duplicates keeps the plain count.
func TestFitNDocs(t *testing.T) {
	var pool []tasks.Example
	for g := range 300 {
		for j := range 1 + g%10 { // groups of 1 to 10 rows
			pool = append(pool, tasks.Example{Text: fmt.Sprintf("g%d r%d", g, j), Label: (g + j) % 2, Group: fmt.Sprint("g", g)})
		}
	}
	test := append(synthetic(50, "t", 2), pool[:20]...) // 20 pool rows repeat test rows
	c := Config{NDocs: 1 << 20, NVal: 40, NTune: 300, NExtra: 1}
	n := FitNDocs(pool, test, c)
	clean := len(pool) - 20
	if lower := (clean - TuneRows(clean, 300) - 40 - 9*6) * 2 / 3; n < lower-2 || n > lower+2 {
		t.Errorf("fitted %d training rows of %d clean pool rows, want about %d", n, clean, lower)
	}
	for seed := range uint64(20) {
		c.NDocs, c.Seed = n, seed
		if _, err := Make(pool, test, 2, c); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	plain := synthetic(1000, "p", 2)
	if got := Available(plain, synthetic(10, "t", 2), 4000, 3); got != 900 {
		t.Errorf("available %d of a plain pool of 1000 with a tuning pool of 100, want 900", got)
	}
	if got := FitNDocs(plain, synthetic(10, "t", 2), Config{NDocs: 400, NVal: 100}); got != 400 {
		t.Errorf("a budget that fits was changed to %d", got)
	}
}

// TestLoadTask: a task's split asks for at most the rows its pool holds.
func TestLoadTask(t *testing.T) {
	datatest.Require(t)
	opt := tasks.LoadOptions{NoDownload: true}
	ts, err := LoadTask(context.Background(), "rotten_tomatoes", opt, Config{NDocs: 1 << 30, NVal: 100, NTest: 50, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	c := ts.Splits.Counts
	if ts.Data.Task.Name != "rotten_tomatoes" || c.Val != 100 || c.Test != 50 || c.A+c.B+c.Val > len(ts.Data.Pool) || c.A+c.B < len(ts.Data.Pool)/2 {
		t.Errorf("split of %d pool rows: %+v", len(ts.Data.Pool), c)
	}
	assertDisjoint(t, ts.Splits)
	if _, err := LoadTask(context.Background(), "rotten_tomatoes", opt, Config{NDocs: 100, NVal: 10, NTest: -1}); err == nil ||
		!strings.HasPrefix(err.Error(), "task rotten_tomatoes: split:") {
		t.Errorf("a bad split: %v", err)
	}
	if _, err := LoadTask(context.Background(), "no_such_task", opt, Config{}); err == nil {
		t.Error("unknown task accepted")
	}
}

// TestGroupsStayTogether: rows of one group land in one set (or in none),
// for every seed, and the tuning pool is the same for every seed and
// disjoint from every seed's sets; with MaxPerGroup a set takes at most
// that many rows of a group, and large groups are drawn as often as their
// rows would be.
func TestGroupsStayTogether(t *testing.T) {
	for _, perGroup := range []int{0, 1} {
		groupsStayTogether(t, perGroup)
	}
}

func groupsStayTogether(t *testing.T, perGroup int) {
	var pool []tasks.Example
	for g := range 600 {
		for j := range 1 + g%4 { // groups of 1 to 4 rows
			pool = append(pool, tasks.Example{Text: fmt.Sprintf("g%d r%d", g, j), Label: (g + j) % 2, Group: fmt.Sprint("g", g)})
		}
	}
	test := synthetic(50, "t", 2)
	var tune []tasks.Example
	for seed := range uint64(5) {
		s, err := Make(pool, test, 2, Config{NDocs: 200, NVal: 40, NExtra: 1, NTune: 60, Seed: seed, MaxPerGroup: perGroup})
		if err != nil {
			t.Fatal(err)
		}
		where := map[string]string{}
		for name, set := range map[string][]tasks.Example{"A": s.A, "B": s.B, "val": s.Val, "B1": s.Extra[0], "tuneA": s.TuneA, "tuneB": s.TuneB} {
			for _, e := range set {
				if other, ok := where[e.Group]; ok && other != name {
					t.Fatalf("seed %d: group %s is in %s and %s", seed, e.Group, other, name)
				}
				where[e.Group] = name
			}
		}
		if len(s.TuneA) < 30 || len(s.TuneB) < 30 || s.Counts.Tune != len(s.TuneA)+len(s.TuneB) {
			t.Fatalf("seed %d: tuning pool %d + %d rows, counts %d", seed, len(s.TuneA), len(s.TuneB), s.Counts.Tune)
		}
		if seed == 0 {
			tune = append(append(tune, s.TuneA...), s.TuneB...)
		} else if got := append(append([]tasks.Example{}, s.TuneA...), s.TuneB...); !reflect.DeepEqual(got, tune) {
			t.Fatalf("seed %d: the tuning pool differs from seed 0's", seed)
		}
		if s.Counts.Groups != 600 {
			t.Errorf("seed %d: %d groups, want 600", seed, s.Counts.Groups)
		}
		if perGroup > 0 {
			n := map[string]int{}
			for _, e := range append(append([]tasks.Example{}, s.A...), s.B...) {
				if n[e.Group]++; n[e.Group] > perGroup {
					t.Fatalf("seed %d: %d rows of group %s in one set", seed, n[e.Group], e.Group)
				}
			}
		}
	}
	// Without a tuning pool the sets are those of the rows alone.
	s, err := Make(pool, test, 2, Config{NDocs: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TuneA)+len(s.TuneB) != 0 || s.Counts.Tune != 0 {
		t.Errorf("a tuning pool nobody asked for: %d rows", s.Counts.Tune)
	}
	if TuneRows(1000, 4000) != 100 || TuneRows(100000, 4000) != 4000 {
		t.Errorf("TuneRows: %d, %d", TuneRows(1000, 4000), TuneRows(100000, 4000))
	}
}

// TestSST2PhrasesDoNotStraddleSplits splits the real SST-2 (phrases of
// treebank sentences) as scale cpu does, for seeds 0-4, and checks that no
// row of one set is a phrase of PhraseMinWords words or more of a row of
// another set, the test set and the tuning pool included.
func TestSST2PhrasesDoNotStraddleSplits(t *testing.T) {
	datatest.Require(t)
	d, err := tasks.Load(context.Background(), "sst2", tasks.LoadOptions{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Leaked == 0 {
		t.Error("no pool row dropped for repeating a test phrase; the real data has some")
	}
	for seed := range uint64(5) {
		s, err := Make(d.Pool, d.Test, 2, Config{NDocs: 4000, NVal: 200, NTest: 10000, NExtra: 4, NTune: 4000, MaxPerGroup: d.Task.MaxPerGroup, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		sets := map[string][]tasks.Example{"A": s.A, "B": s.B, "val": s.Val, "test": s.Test, "tuneA": s.TuneA, "tuneB": s.TuneB}
		for k, x := range s.Extra {
			sets[fmt.Sprint("B", k+1)] = x
		}
		owner := map[string]string{} // a row's words → its set
		for name, set := range sets {
			for _, e := range set {
				owner[strings.Join(strings.Fields(e.Text), " ")] = name
			}
		}
		bad := 0
		for name, set := range sets {
			for _, e := range set {
				w := strings.Fields(e.Text)
				for a := range w {
					for b := a + tasks.PhraseMinWords; b <= len(w); b++ {
						if other, ok := owner[strings.Join(w[a:b], " ")]; ok && other != name {
							if bad++; bad <= 5 {
								t.Errorf("seed %d: %q (%s) is a phrase of %q (%s)", seed, strings.Join(w[a:b], " "), other, e.Text, name)
							}
						}
					}
				}
			}
		}
		if bad > 0 {
			t.Fatalf("seed %d: %d phrases straddle two sets", seed, bad)
		}
		if seed == 0 {
			t.Logf("sst2: %d pool rows (%d dropped as phrases of test rows), test %d; %s", len(d.Pool), d.Leaked, len(d.Test), strings.ReplaceAll(s.Counts.String(), "\n", "; "))
		}
		// A set spans many sentences: at most MaxPerGroup rows of each.
		for name, set := range sets {
			perGroup := map[string]int{}
			for _, e := range set {
				if perGroup[e.Group]++; e.Group != "" && perGroup[e.Group] > d.Task.MaxPerGroup && name != "test" {
					t.Fatalf("seed %d: set %s holds %d rows of group %s", seed, name, perGroup[e.Group], e.Group)
				}
			}
		}
	}
}

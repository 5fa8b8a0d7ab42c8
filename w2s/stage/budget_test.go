package stage

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/store"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

func TestBudgetString(t *testing.T) {
	b, err := BudgetFor("cpu")
	if err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"scale cpu", "seeds [0 1 2 3 4]", "10000 test rows", "4000 training rows (halves A and B of 2000)",
		"cut to 64 tokens (its end kept)", "full finetuning", "the last token", "evaluated 10 times"} {
		if !strings.Contains(s, want) {
			t.Errorf("Budget.String() = %q, lacks %q", s, want)
		}
	}
}

func TestHyperFor(t *testing.T) {
	cpu, _ := BudgetFor("cpu")
	gpu, _ := BudgetFor("gpu")
	for _, c := range []struct {
		b     Budget
		model string
		want  Hyper
	}{
		{cpu, "zoo/cpu/xs", Hyper{1e-3, 4}},
		{cpu, "zoo/cpu/xxxs", Hyper{3e-3, 8}},
		{cpu, "zoo/cpu/xl+genft", Hyper{3e-4, 4}},     // a generative finetune counts as its base
		{cpu, "zoo/ci/xs", Hyper{cpu.LR, cpu.Epochs}}, // another scale's model: the defaults
		{cpu, "/models/xs", Hyper{cpu.LR, cpu.Epochs}},
		{gpu, "zoo/gpu/xl", Hyper{5e-5, 2}},
		{gpu, "gpt2-xl", Hyper{1e-5, 2}},
		{gpu, "openai-community/gpt2-large", Hyper{1e-5, 2}},
		{gpu, "openai-community/gpt2-medium", Hyper{5e-5, 2}},
	} {
		if got := c.b.HyperFor(c.model); got != c.want {
			t.Errorf("%s budget, HyperFor(%q) = %+v, want %+v", c.b.Scale, c.model, got, c.want)
		}
	}
}

// TestDefaultModelsSpanTheLadder: a sweep with no models named runs the
// bottom, the middle and the top of the scale's ladder.
func TestDefaultModelsSpanTheLadder(t *testing.T) {
	for scale, want := range map[string][]string{
		"cpu": {"zoo/cpu/xxxs", "zoo/cpu/s", "zoo/cpu/xl"},
		"ci":  {"zoo/ci/xs", "zoo/ci/m", "zoo/ci/xl"},
	} {
		if got := DefaultModels(scale); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", scale, got, want)
		}
	}
}

// TestWithHeadSwapsHypers: each head brings its own tuned hypers, and a
// head without its own keeps the budget's.
func TestWithHeadSwapsHypers(t *testing.T) {
	b, err := BudgetFor("cpu")
	if err != nil {
		t.Fatal(err)
	}
	for head, ft := range b.HeadFinetune {
		hb := b.WithHead(head)
		if hb.Head() != head {
			t.Errorf("WithHead(%s).Head() = %s", head, hb.Head())
		}
		for size, h := range ft {
			if got := hb.HyperFor("zoo/cpu/" + size); got != h {
				t.Errorf("head %s, %s: %+v, want %+v", head, size, got, h)
			}
		}
	}
	if b.Head() != "last" {
		t.Errorf("cpu's head is %s, want last (the paper's, re-measured in w2s/zoo/README.md)", b.Head())
	}
	if b.WithHead("last").HyperFor("zoo/cpu/s") == b.WithHead("mean").HyperFor("zoo/cpu/s") {
		t.Errorf("cpu s has the same hypers for both heads; the test no longer tells the heads apart")
	}
	ci, _ := BudgetFor("ci")
	if got := ci.WithHead("last").HyperFor("zoo/ci/xs"); got != (Hyper{ci.LR, ci.Epochs}) {
		t.Errorf("ci has no tuned hypers, got %+v", got)
	}
}

// TestEveryScaleHasABudget: the scales are zoo's, and each has a budget
// here named like it; a name outside zoo's list is refused with zoo's
// error.
func TestEveryScaleHasABudget(t *testing.T) {
	for _, name := range zoo.ScaleNames {
		if _, err := zoo.GetScale(name); err != nil {
			t.Errorf("zoo lists %s: %v", name, err)
		}
		b, err := BudgetFor(name)
		if err != nil || b.Scale != name {
			t.Errorf("BudgetFor(%s) = scale %q, %v", name, b.Scale, err)
		}
	}
	if len(budgets) != len(zoo.ScaleNames) {
		t.Errorf("%d budgets for %d scales", len(budgets), len(zoo.ScaleNames))
	}
	_, err := BudgetFor("huge")
	if err == nil || err.Error() != zoo.UnknownScale("huge").Error() {
		t.Errorf("BudgetFor(huge): %v", err)
	}
}

// TestSessionRunners: every runner of a session shares its budget, store,
// backend, log and StoredOnly; an unknown task is refused by name.
func TestSessionRunners(t *testing.T) {
	b, _ := BudgetFor("ci")
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sess := &Session{Budget: b, Store: st, StoredOnly: true}
	rs, err := sess.Runners("sst2")
	if err != nil || len(rs) != len(b.Seeds) {
		t.Fatalf("%d runners, %v", len(rs), err)
	}
	for i, r := range rs {
		if r.Seed != b.Seeds[i] || r.Store != st || !r.StoredOnly || r.Budget.Scale != "ci" || r.Task != "sst2" {
			t.Errorf("runner %d: %+v", i, r)
		}
	}
	if rs, _ := sess.Runners("sst2", 7); len(rs) != 1 || rs[0].Seed != 7 {
		t.Errorf("Runners(sst2, 7) = %v", rs)
	}
	if _, err := sess.Runner("no-such-task", 0); err == nil || !strings.Contains(err.Error(), "no-such-task") {
		t.Errorf("unknown task: %v", err)
	}
	if l := sess.Ladder(); len(l) != 5 || l[0] != "zoo/ci/xs" || l[4] != "zoo/ci/xl" {
		t.Errorf("Ladder() = %v", l)
	}
}

// TestSeedsFor: the chess task at cpu runs its own three seeds; every
// other task, and chess where its budget names none, the budget's.
func TestSeedsFor(t *testing.T) {
	cpu, err := BudgetFor("cpu")
	if err != nil {
		t.Fatal(err)
	}
	if got := cpu.SeedsFor(ChessTask); !slices.Equal(got, []uint64{0, 1, 2}) {
		t.Errorf("chess at cpu: seeds %v", got)
	}
	if got := cpu.SeedsFor("sst2"); !slices.Equal(got, cpu.Seeds) {
		t.Errorf("sst2 at cpu: seeds %v, want %v", got, cpu.Seeds)
	}
	ci, _ := BudgetFor("ci")
	if got := ci.SeedsFor(ChessTask); !slices.Equal(got, ci.Seeds) {
		t.Errorf("chess at ci: seeds %v, want the budget's %v", got, ci.Seeds)
	}
}

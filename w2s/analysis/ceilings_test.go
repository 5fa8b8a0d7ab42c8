package analysis

import (
	"testing"

	"github.com/w2s-lab/w2s/w2s/metrics"
)

// ceilings is a task whose best rung scores acc with standard error se
// against a majority class of 0.5.
func ceilings(task string, acc, se float64) *LadderCeilings {
	return &LadderCeilings{Task: task, Scale: "cpu", Seeds: []uint64{0, 1, 2}, Majority: 0.5,
		Acc: []metrics.Interval{{Estimate: 0.5, SE: 0.01}, {Estimate: metrics.Float(acc), SE: metrics.Float(se)}}}
}

// TestLearnt: a task is learnt when some rung beats the majority class by
// GapSEs standard errors, and not when it falls short or has no error.
func TestLearnt(t *testing.T) {
	for _, c := range []struct {
		acc, se float64
		want    bool
	}{
		{0.60, 0.01, true},
		{0.53, 0.01, true},   // exactly 3 standard errors
		{0.529, 0.01, false}, // just short
		{0.70, 0, false},     // no standard error: cannot be judged
		{0.40, 0.01, false},
	} {
		if got := ceilings("t", c.acc, c.se).Learnt(); got != c.want {
			t.Errorf("acc %.3f se %.3f: learnt %v, want %v", c.acc, c.se, got, c.want)
		}
	}
}

// TestCoverage: the sentence before medians over tasks names the learnt
// tasks, says whether the medians run over all of them, and names learnt
// tasks left out and swept tasks not learnt.
func TestCoverage(t *testing.T) {
	lcs := []*LadderCeilings{ceilings("a", 0.6, 0.01), ceilings("b", 0.5, 0.01), ceilings("c", 0.7, 0.01)}
	for _, c := range []struct {
		swept []string
		want  string
	}{
		{[]string{"a", "c"}, "2 of 3 tasks are learnt at scale cpu (ceilings over seeds [0 1 2]): a, c. The medians below run over all 2."},
		{[]string{"a"}, "2 of 3 tasks are learnt at scale cpu (ceilings over seeds [0 1 2]): a, c. The medians below run over 1 of them; not swept: c."},
		{[]string{"a", "b", "c"}, "2 of 3 tasks are learnt at scale cpu (ceilings over seeds [0 1 2]): a, c. The medians below run over all 2. Swept but not learnt by these ceilings: b."},
		{[]string{"a", "c", "x"}, "2 of 3 tasks are learnt at scale cpu (ceilings over seeds [0 1 2]): a, c. The medians below run over all 2. Swept but not learnt by these ceilings: x."},
	} {
		if got := Coverage(lcs, c.swept); got != c.want {
			t.Errorf("swept %v:\n got %q\nwant %q", c.swept, got, c.want)
		}
	}
	if got, want := Coverage(lcs[1:2], nil), "0 of 1 tasks are learnt at scale cpu (ceilings over seeds [0 1 2]). No median over tasks is meaningful here."; got != want {
		t.Errorf("none learnt:\n got %q\nwant %q", got, want)
	}
}

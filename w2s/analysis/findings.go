package analysis

import (
	"fmt"
	"strings"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

// The sentences notebooks print come from the functions below, never from
// decision logic in notebook cells: each states a verdict the numbers it
// quotes support, judged by intervals (metrics.Verdict), and the tests
// check every branch against the numbers.

func pct(x metrics.Float) string { return fmt.Sprintf("%.0f%%", 100*float64(x)) }

func ivs(iv metrics.Interval) string {
	if !iv.Low.Defined() || !iv.High.Defined() {
		return fmt.Sprintf("%.3f", iv.Estimate)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", iv.Estimate, iv.Low, iv.High)
}

func pctIv(iv metrics.Interval) string {
	return fmt.Sprintf("%s [%s, %s]", pct(iv.Estimate), pct(iv.Low), pct(iv.High))
}

// StudentSentence says how a weak→strong student fared: whether it beat
// its supervisor and how much of the gap to the ceiling it recovered, or
// why that cannot be said (no gap, or a gap too small to measure).
func StudentSentence(s Summary) string {
	head := fmt.Sprintf("%s → %s (%s): ", zoo.Short(s.WeakModel), zoo.Short(s.StrongModel), s.Loss.Short())
	switch s.StudentVerdict() {
	case metrics.Undefined:
		return head + fmt.Sprintf("the gold ceiling (%.3f) is not above the supervisor (%.3f), so there is no gap to recover and no PGR.",
			s.CeilingAcc.Estimate, s.WeakAcc.Estimate)
	case metrics.TooSmall:
		return head + fmt.Sprintf("the gold ceiling (%.3f) is above the supervisor (%.3f) by %.3f, less than %g standard errors (%.3f): the gap is too small to measure, so no PGR is reported (the student reached %.3f).",
			s.CeilingAcc.Estimate, s.WeakAcc.Estimate, s.Gap.Estimate, metrics.GapSEs, metrics.GapSEs*float64(s.GapSE), s.StudentAcc.Estimate)
	case metrics.Beat:
		return head + fmt.Sprintf("the student reached %s, above its supervisor's %s: it beat its supervisor and recovered %s of the gap to the gold ceiling (%s).",
			ivs(s.StudentAcc), ivs(s.WeakAcc), pctIv(s.PGR), ivs(s.CeilingAcc))
	case metrics.DidNotBeat:
		return head + fmt.Sprintf("the student reached %s, below its supervisor's %s: it did not beat its supervisor (PGR %s; ceiling %s).",
			ivs(s.StudentAcc), ivs(s.WeakAcc), ivs(s.PGR), ivs(s.CeilingAcc))
	}
	return head + fmt.Sprintf("the student reached %s against its supervisor's %s: no measurable difference (PGR %s, an interval that includes 0; ceiling %s).",
		ivs(s.StudentAcc), ivs(s.WeakAcc), ivs(s.PGR), ivs(s.CeilingAcc))
}

// Outcome is what a run says of one of the paper's findings.
type Outcome int

const (
	NotMeasurable Outcome = iota // the run cannot tell (no measurable gap, too few points)
	Reproduced
	NotReproduced
	Inconclusive // the estimates agree with the paper, their intervals do not decide
)

func (o Outcome) String() string {
	return [...]string{"not measurable here", "reproduced", "not reproduced", "inconclusive"}[o]
}

// Finding is one of the paper's findings, and what this run shows of it.
type Finding struct {
	Claim    string  // the finding, in a few words
	Paper    string  // what the paper reports
	Outcome  Outcome // here
	Evidence string  // the numbers behind the outcome
}

// FindPGRBetweenZeroAndOne: "0 < PGR < 1 almost everywhere". A pair with
// a measurable gap counts as inside when its whole PGR interval lies in
// (0, 1), outside when its whole interval lies at or beyond 0 or 1, and
// undecided otherwise. Reproduced when at least three quarters of the
// measurable pairs are inside; not reproduced when more than a quarter are
// outside; otherwise inconclusive: estimates between 0 and 1 alone do not
// carry the claim.
func FindPGRBetweenZeroAndOne(sw *Sweep, loss losses.Spec) Finding {
	f := Finding{Claim: "0 < PGR < 1 (students beat their supervisors but fall short of the ceiling)", Paper: "almost every pair, every task"}
	return judgeInsideZeroOne(f, []*Sweep{sw}, loss)
}

// FindPGRAcrossTasks judges "0 < PGR < 1" over every measurable pair of
// every task's sweep, as FindPGRBetweenZeroAndOne judges one task: each
// (task, pair) with a measurable gap is inside, outside or undecided by its
// whole interval, and three quarters inside reproduce the claim.
func FindPGRAcrossTasks(sws []*Sweep, loss losses.Spec) Finding {
	f := Finding{Claim: "0 < PGR < 1 on every task", Paper: "almost every pair of every task; NLP median PGR ≈ 50% overall, ≈ 25% at the largest gap"}
	return judgeInsideZeroOne(f, sws, loss)
}

// judgeInsideZeroOne classifies the measurable pairs of the sweeps with the
// loss by where their PGR interval lies against (0, 1); pairs are named by
// task as well when there are several sweeps.
func judgeInsideZeroOne(f Finding, sws []*Sweep, loss losses.Spec) Finding {
	var in, out, n, unmeasurable int
	var parts []string
	for _, sw := range sws {
		for _, s := range sw.Summary {
			if !s.Loss.Same(loss) {
				continue
			}
			if !s.Measurable {
				unmeasurable++
				continue
			}
			n++
			switch iv := s.PGR; {
			case iv.Low > 0 && iv.High < 1:
				in++
			case iv.High <= 0 || iv.Low >= 1:
				out++
			}
			name := fmt.Sprintf("%s→%s %s", zoo.Short(s.WeakModel), zoo.Short(s.StrongModel), ivs(s.PGR))
			if len(sws) > 1 {
				name = sw.Spec.Task + " " + name
			}
			parts = append(parts, name)
		}
	}
	what := "pairs"
	if len(sws) > 1 {
		what = fmt.Sprintf("pairs of %d tasks", len(sws))
	}
	if n == 0 {
		f.Evidence = fmt.Sprintf("no pair has a measurable gap (%d %s, %s)", unmeasurable, what, loss.Short())
		return f
	}
	switch {
	case 4*in >= 3*n:
		f.Outcome = Reproduced
	case 4*out > n:
		f.Outcome = NotReproduced
	default:
		f.Outcome = Inconclusive
	}
	f.Evidence = fmt.Sprintf("of %d measurable %s (%s), %d inside (0, 1) by their whole interval, %d outside, %d undecided: %s; %d pairs not measurable",
		n, what, loss.Short(), in, out, n-in-out, strings.Join(parts, ", "), unmeasurable)
	return f
}

// FindPGRGrowsWithSize: for each supervisor with at least two measurable
// students, does PGR grow from its smallest to its largest student?
// Reproduced when, for most such supervisors, the largest student's PGR
// interval lies wholly above the smallest's; inconclusive when only the
// estimates grow for most; not reproduced otherwise.
func FindPGRGrowsWithSize(sw *Sweep, loss losses.Spec) Finding {
	f := Finding{Claim: "PGR grows with the strong student's size", Paper: "yes, for a fixed supervisor"}
	byWeak := map[string][]Summary{}
	var order []string
	for _, s := range sw.Summary {
		if s.Loss.Same(loss) && s.Measurable {
			if _, ok := byWeak[s.WeakModel]; !ok {
				order = append(order, s.WeakModel)
			}
			byWeak[s.WeakModel] = append(byWeak[s.WeakModel], s)
		}
	}
	var grows, sure, n int
	var parts []string
	for _, w := range order {
		ss := byWeak[w]
		if len(ss) < 2 {
			continue
		}
		lo, hi := ss[0], ss[0]
		for _, s := range ss {
			if s.StrongParams < lo.StrongParams {
				lo = s
			}
			if s.StrongParams > hi.StrongParams {
				hi = s
			}
		}
		n++
		if hi.PGR.Estimate > lo.PGR.Estimate {
			grows++
		}
		if above(hi.PGR, lo.PGR) {
			sure++
		}
		parts = append(parts, fmt.Sprintf("supervisor %s: %s %s → %s %s", zoo.Short(w), zoo.Short(lo.StrongModel), ivs(lo.PGR), zoo.Short(hi.StrongModel), ivs(hi.PGR)))
	}
	if n == 0 {
		f.Evidence = "no supervisor has two students with measurable gaps"
		return f
	}
	f.Outcome = judge(2*sure > n, 2*grows > n)
	f.Evidence = fmt.Sprintf("grows for %d of %d supervisors (%s), beyond the intervals for %d: %s", grows, n, loss.Short(), sure, strings.Join(parts, "; "))
	return f
}

// FindConfidenceLoss: at the largest gap (weakest supervisor, strongest
// student), is the logconf student better than the xent one? Judged on the
// paired difference of their test accuracies (rows and seeds resampled).
func FindConfidenceLoss(sw *Sweep) Finding {
	f := Finding{Claim: "the auxiliary confidence loss raises PGR at large gaps", Paper: "median PGR ≈ 25% → ≈ 80% at the largest gaps"}
	if len(sw.Spec.Models) < 2 {
		f.Evidence = "the sweep has fewer than two models"
		return f
	}
	w, st := sw.Spec.Models[0], sw.Spec.Models[len(sw.Spec.Models)-1]
	var xs, ls []metrics.Hits
	var xSum, lSum Summary
	for _, loss := range sw.Spec.Losses {
		s, ok := sw.Find(w, st, loss)
		if !ok {
			continue
		}
		var students []metrics.Hits
		for _, h := range sw.seedHits(w, st, loss) {
			students = append(students, h.Student)
		}
		switch name := loss.Short(); {
		case name == "xent":
			xs, xSum = students, s
		case strings.HasPrefix(name, "logconf"):
			ls, lSum = students, s
		}
	}
	if len(xs) == 0 || len(ls) == 0 || len(xs) != len(ls) {
		f.Evidence = "the sweep lacks xent or logconf students for the largest gap"
		return f
	}
	d, err := metrics.PairedDiff(ls, xs, Level, Resamples, statsSeed)
	if err != nil {
		f.Evidence = err.Error()
		return f
	}
	f.Evidence = fmt.Sprintf("%s → %s: student %s with logconf, %s with xent; difference %s; PGR logconf %s, xent %s",
		zoo.Short(w), zoo.Short(st), ivs(lSum.StudentAcc), ivs(xSum.StudentAcc), ivs(d), lSum.PairedPGR, xSum.PairedPGR)
	f.Outcome = improvement(d)
	if !xSum.Measurable && !lSum.Measurable {
		f.Outcome = NotMeasurable
		f.Evidence += "; the gap is too small to measure"
	}
	return f
}

// FindImitation: students of the weakest supervisor agree with it more
// often than its accuracy (they copy its errors), and the largest student
// agrees less on the supervisor's errors than the smallest (inverse
// scaling).
func FindImitation(sw *Sweep, loss losses.Spec) Finding {
	f := Finding{Claim: "students imitate their supervisor's errors, less so when larger", Paper: "agreement > supervisor accuracy; agreement on its errors falls with student size"}
	if len(sw.Spec.Models) < 3 {
		f.Evidence = "needs at least two students of one supervisor"
		return f
	}
	w := sw.Spec.Models[0]
	var ss []Summary
	for _, s := range sw.Summary {
		if s.WeakModel == w && s.Loss.Same(loss) {
			ss = append(ss, s)
		}
	}
	if len(ss) < 2 {
		f.Evidence = "needs at least two students of one supervisor"
		return f
	}
	lo, hi := ss[0], ss[0]
	over, overSure := 0, 0
	for _, s := range ss {
		if s.Agree.Estimate > s.WeakAcc.Estimate {
			over++
		}
		if above(s.Agree, s.WeakAcc) {
			overSure++
		}
		if s.StrongParams < lo.StrongParams {
			lo = s
		}
		if s.StrongParams > hi.StrongParams {
			hi = s
		}
	}
	falls := hi.AgreeWrong.Estimate < lo.AgreeWrong.Estimate
	// Falls beyond noise: the paired difference of the two students'
	// agreement on the same supervisor errors (rows and seeds resampled),
	// or, for results without per-row agreement, disjoint intervals.
	fallsSure := above(lo.AgreeWrong, hi.AgreeWrong)
	diff := "disjoint intervals"
	if d, err := metrics.AgreeWrongDiff(sw.seedHits(w, lo.StrongModel, loss), sw.seedHits(w, hi.StrongModel, loss), Level, Resamples, statsSeed); err == nil {
		fallsSure, diff = metrics.Compare(d) == metrics.Beat, "difference "+ivs(d)
	}
	f.Evidence = fmt.Sprintf("supervisor %s (accuracy %s), %s: agreement above its accuracy for %d of %d students (%d beyond the intervals); agreement on its errors %s %s → %s %s (%s)",
		zoo.Short(w), ivs(lo.WeakAcc), loss.Short(), over, len(ss), overSure, zoo.Short(lo.StrongModel), ivs(lo.AgreeWrong), zoo.Short(hi.StrongModel), ivs(hi.AgreeWrong), diff)
	f.Outcome = judge(overSure == len(ss) && fallsSure, over == len(ss) && falls)
	return f
}

// FindEarlyStopping: does honest early stopping beat training to the end?
func FindEarlyStopping(es *EarlyStopping) Finding {
	f := Finding{Claim: "early stopping helps (students overfit their supervisor's errors)", Paper: "students overfit within about an epoch at large gaps; early stopping raises PGR"}
	f.Evidence = fmt.Sprintf("%s → %s (%s): final %s, honest stop %s (gain %s), cheating stop %s; %d of %d seeds peaked before the end",
		zoo.Short(es.WeakModel), zoo.Short(es.StrongModel), es.Loss.Short(), ivs(es.Final), ivs(es.Honest), ivs(es.HonestGain), ivs(es.Cheating), es.PeakedBeforeEnd, len(es.Seeds))
	f.Outcome = improvement(es.HonestGain)
	return f
}

// FindBootstrapping: does the chain beat direct supervision?
func FindBootstrapping(bs *Bootstrapping) Finding {
	f := Finding{Claim: "bootstrapping through intermediate sizes helps", Paper: "clearly for chess, a little for NLP, not for reward models"}
	f.Evidence = fmt.Sprintf("%s (%s): chain %s, direct %s, chain − direct %s",
		ChainName(bs.Chain), bs.Loss.Short(), ivs(bs.ChainPGR.StudentAcc), ivs(bs.DirectPGR.StudentAcc), ivs(bs.ChainMinusDirect))
	f.Outcome = improvement(bs.ChainMinusDirect)
	return f
}

// above reports whether interval a lies wholly above interval b.
func above(a, b metrics.Interval) bool { return a.Low > b.High }

// judge is the outcome of a claim that the intervals establish (sure) or
// that only the estimates support (estimates).
func judge(sure, estimates bool) Outcome {
	switch {
	case sure:
		return Reproduced
	case estimates:
		return Inconclusive
	}
	return NotReproduced
}

// improvement is the outcome of a claim that one method beats another,
// given the paired difference (method − baseline): reproduced when its
// interval is above zero, inconclusive when only its estimate is, not
// measurable when undefined.
func improvement(diff metrics.Interval) Outcome {
	switch metrics.Compare(diff) {
	case metrics.Undefined:
		return NotMeasurable
	case metrics.Beat:
		return Reproduced
	}
	return judge(false, diff.Estimate > 0)
}

// ChainName is "xs → m → xl".
func ChainName(chain []string) string {
	var parts []string
	for _, m := range chain {
		parts = append(parts, zoo.Short(m))
	}
	return strings.Join(parts, " → ")
}

// FindFewShot: for the largest model, few-shot with weak labels lands
// between zero-shot and few-shot with gold labels, and finetuning on weak
// labels beats few-shot with weak labels.
func FindFewShot(pc *PromptingComparison) Finding {
	f := Finding{Claim: "few-shot prompting with weak labels lands between zero-shot and gold; finetuning does better", Paper: "qualitatively like finetuning; competitive only for the largest models"}
	if len(pc.Rows) == 0 {
		f.Evidence = "no models"
		return f
	}
	r := pc.Rows[len(pc.Rows)-1]
	between := r.FewShotWeak.Estimate >= min(r.ZeroShot.Estimate, r.FewShotGold.Estimate) && r.FewShotWeak.Estimate <= max(r.ZeroShot.Estimate, r.FewShotGold.Estimate) &&
		r.FewShotGold.Estimate > r.ZeroShot.Estimate
	f.Evidence = fmt.Sprintf("%s: zero-shot %s, %d-shot gold %s, %d-shot weak %s, finetuned on weak labels %s", zoo.Short(r.Model),
		ivs(r.ZeroShot), pc.K, ivs(r.FewShotGold), pc.K, ivs(r.FewShotWeak), ivs(r.FinetuneWeak))
	if r.OneAnswer >= 0.99 {
		f.Evidence += fmt.Sprintf("; prompted, it gave the same answer to %.0f%% of the queries", 100*r.OneAnswer)
		f.Outcome = NotMeasurable
		return f
	}
	// The intervals (over seeds) decide when gold demonstrations beat none
	// and finetuning beats prompting beyond them; the estimates alone make
	// the outcome inconclusive.
	f.Outcome = judge(between && above(r.FewShotGold, r.ZeroShot) && above(r.FinetuneWeak, r.FewShotWeak),
		between && r.FinetuneWeak.Estimate > r.FewShotWeak.Estimate)
	return f
}

// FindGenerative: does generative finetuning help? Judged, like the
// confidence loss, on the paired difference of the two students' test
// accuracies (rows and seeds resampled), and on PGR: reproduced when the
// generative student is better beyond the interval and its PGR higher (or
// measurable where the base pipeline's is not); inconclusive when only the
// estimates say so.
func FindGenerative(gc *GenerativeComparison) Finding {
	f := Finding{Claim: "generative finetuning on the task's text helps", Paper: "raises weak, strong and PGR for reward models; 30–40% PGR with early stopping"}
	p, g := gc.Plain, gc.Generative
	f.Evidence = fmt.Sprintf("%s → %s (%s): student %s → %s (difference %s), PGR %s → %s",
		zoo.Short(gc.WeakModel), zoo.Short(gc.StrongModel), gc.Loss.Short(), ivs(p.StudentAcc), ivs(g.StudentAcc), ivs(gc.StudentGain), p.PairedPGR, g.PairedPGR)
	if !p.Measurable && !g.Measurable {
		f.Evidence += "; neither gap is measurable"
		return f
	}
	if metrics.Compare(gc.StudentGain) == metrics.Undefined {
		return f
	}
	pgrUp := g.Measurable && (!p.Measurable || g.PGR.Estimate > p.PGR.Estimate)
	f.Outcome = judge(metrics.Compare(gc.StudentGain) == metrics.Beat && pgrUp,
		gc.StudentGain.Estimate > 0 && (pgrUp || !g.Measurable))
	return f
}

// FindingsTable renders findings as rows: claim, paper, here, evidence.
func FindingsTable(fs []Finding) [][]string {
	var rows [][]string
	for _, f := range fs {
		rows = append(rows, []string{f.Claim, f.Paper, f.Outcome.String(), f.Evidence})
	}
	return rows
}

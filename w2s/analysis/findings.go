package analysis

import (
	"fmt"
	"strings"

	"github.com/w2s-lab/w2s/w2s/losses"
	"github.com/w2s-lab/w2s/w2s/metrics"
	"github.com/w2s-lab/w2s/w2s/stage"
	"github.com/w2s-lab/w2s/w2s/table"
	"github.com/w2s-lab/w2s/w2s/tasks"
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
	if s.Seeds < metrics.MinSeeds {
		return head + fmt.Sprintf("supervisor %.3f, student %.3f, ceiling %.3f on %d seed: an interval, and so a verdict, needs %d or more seeds.",
			s.WeakAcc.Estimate, s.StudentAcc.Estimate, s.CeilingAcc.Estimate, s.Seeds, metrics.MinSeeds)
	}
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
		return head + fmt.Sprintf("the student reached %s, below its supervisor's %s: it did not beat its supervisor (student − supervisor %s; PGR %s; ceiling %s).",
			ivs(s.StudentAcc), ivs(s.WeakAcc), ivs(s.StudentGain), ivs(s.PGR), ivs(s.CeilingAcc))
	}
	return head + fmt.Sprintf("the student reached %s against its supervisor's %s: no measurable difference (student − supervisor %s, an interval that includes 0; PGR %s; ceiling %s).",
		ivs(s.StudentAcc), ivs(s.WeakAcc), ivs(s.StudentGain), ivs(s.PGR), ivs(s.CeilingAcc))
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
	// Summary, when set, is Evidence short enough for a sentence (a long
	// list of pairs left to the findings table): what Conclusion quotes.
	Summary string
	// Beyond marks a question the paper leaves open: its claim is this
	// toolkit's, so it is shown or ruled out here, never "reproduced".
	Beyond bool
}

// Here is the outcome in words: for a question beyond the paper, "shown"
// and "ruled out" stand for "reproduced" and "not reproduced".
func (f Finding) Here() string {
	if f.Beyond {
		switch f.Outcome {
		case Reproduced:
			return "shown"
		case NotReproduced:
			return "ruled out"
		}
	}
	return f.Outcome.String()
}

// Every verdict below is symmetric: "reproduced" and "not reproduced" both
// need interval evidence (an interval wholly on one side of zero, or of the
// paper's claim); anything else is "inconclusive", and "not measurable"
// means the run has nothing to judge (no measurable gap, fewer than
// metrics.MinSeeds seeds, a degenerate model).

// decide judges a claim by the interval of a quantity the paper says is
// positive: reproduced when the interval lies above zero, not reproduced
// when below, inconclusive when it holds zero, not measurable without an
// interval.
func decide(diff metrics.Interval) Outcome {
	switch metrics.Compare(diff) {
	case metrics.Beat:
		return Reproduced
	case metrics.DidNotBeat:
		return NotReproduced
	case metrics.Tie:
		return Inconclusive
	}
	return NotMeasurable
}

// all combines the outcomes of the parts of one claim: reproduced when
// every part is, not reproduced when any part is, not measurable when a
// part cannot be judged (and none refutes the claim), inconclusive
// otherwise.
func all(parts ...Outcome) Outcome {
	out := Reproduced
	for _, p := range parts {
		switch {
		case p == NotReproduced:
			return NotReproduced
		case p == NotMeasurable:
			out = NotMeasurable
		case p == Inconclusive && out == Reproduced:
			out = Inconclusive
		}
	}
	return out
}

// FindPGRBetweenZeroAndOne judges "0 < PGR < 1 almost everywhere". Each pair
// with a measurable gap is judged on the claim's two halves: the student
// above its supervisor (student − weak > 0) and below its ceiling
// (ceiling − student > 0), each by its paired interval. A pair is inside
// when both halves hold beyond their intervals, outside when either
// interval rules its half out, undecided otherwise. Reproduced when at
// least three quarters of the measurable pairs are inside; not reproduced
// when more than a quarter are outside; otherwise inconclusive.
func (sw *Sweep) FindPGRBetweenZeroAndOne(loss losses.Spec) Finding {
	f := Finding{Claim: "0 < PGR < 1 (students beat their supervisors but fall short of the ceiling)", Paper: "almost every pair, every task"}
	return judgeInsideZeroOne(f, []*Sweep{sw}, loss)
}

// Sweeps are the sweeps of several tasks, one each, as the paper's NLP
// results are summarised over tasks (MedianOverTasks).
type Sweeps []*Sweep

// FindPGRAcrossTasks judges "0 < PGR < 1" over every measurable pair of
// every task's sweep, as FindPGRBetweenZeroAndOne judges one task.
func (sws Sweeps) FindPGRAcrossTasks(loss losses.Spec) Finding {
	f := Finding{Claim: "0 < PGR < 1 on every task", Paper: "almost every pair of every task; NLP median PGR ≈ 50% overall, ≈ 25% at the largest gap"}
	return judgeInsideZeroOne(f, sws, loss)
}

// judgeInsideZeroOne classifies the measurable pairs of the sweeps with the
// loss by the two halves of 0 < PGR < 1; pairs are named by task as well
// when there are several sweeps.
func judgeInsideZeroOne(f Finding, sws []*Sweep, loss losses.Spec) Finding {
	var in, out, n, unmeasurable, above, below, under, over, fewSeeds int
	var parts, outside []string
	for _, sw := range sws {
		for _, s := range sw.Summary {
			if !s.Loss.Same(loss) {
				continue
			}
			if !s.Measurable {
				unmeasurable++
				if s.Seeds < metrics.MinSeeds {
					fewSeeds++
				}
				continue
			}
			n++
			gain, margin := metrics.Compare(s.StudentGain), metrics.Compare(s.CeilingMargin)
			above += b2i(gain == metrics.Beat)
			under += b2i(gain == metrics.DidNotBeat)
			below += b2i(margin == metrics.Beat)
			over += b2i(margin == metrics.DidNotBeat)
			switch {
			case gain == metrics.Beat && margin == metrics.Beat:
				in++
			case gain == metrics.DidNotBeat || margin == metrics.DidNotBeat:
				out++
			}
			name := fmt.Sprintf("%s→%s %s", zoo.Short(s.WeakModel), zoo.Short(s.StrongModel), ivs(s.PGR))
			if len(sws) > 1 {
				name = sw.Spec.Task + " " + name
			}
			parts = append(parts, name)
			if gain == metrics.DidNotBeat || margin == metrics.DidNotBeat {
				outside = append(outside, name)
			}
		}
	}
	what := "pairs"
	if len(sws) > 1 {
		what = fmt.Sprintf("pairs of %d tasks", len(sws))
	}
	if n == 0 {
		f.Evidence = fmt.Sprintf("no pair has a measurable gap (%d %s, %s)", unmeasurable, what, loss.Short())
		if fewSeeds > 0 {
			f.Evidence += fmt.Sprintf("; %d of them have fewer than %d seeds: a verdict needs %d or more seeds", fewSeeds, metrics.MinSeeds, metrics.MinSeeds)
		}
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
	f.Evidence = fmt.Sprintf("of %d measurable %s (%s), %d inside (0, 1) by both halves' intervals, %d outside, %d undecided; "+
		"student above its supervisor in %d (below in %d), below its ceiling in %d (above in %d): %s; %d pairs not measurable",
		n, what, loss.Short(), in, out, n-in-out, above, under, below, over, strings.Join(parts, ", "), unmeasurable)
	if len(parts) > maxListed {
		f.Summary = fmt.Sprintf("of %d measurable %s (%s), %d inside (0, 1) by both halves' intervals, %d outside, %d undecided; "+
			"student above its supervisor in %d (below in %d), below its ceiling in %d (above in %d); %d pairs not measurable",
			n, what, loss.Short(), in, out, n-in-out, above, under, below, over, unmeasurable)
		if len(outside) > 0 {
			f.Summary += "; outside: " + strings.Join(outside, ", ")
		}
	}
	return f
}

// maxListed is the most pairs a conclusion names one by one; longer lists
// stay in the findings table's evidence.
const maxListed = 4

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FindPGRGrowsWithSize judges, for each supervisor with at least two
// measurable students, whether PGR grows from its smallest to its largest
// student. Each
// supervisor is judged on the paired interval of the difference of the two
// PGRs (metrics.PGRDiff, rows and seeds). Reproduced when at least half the
// supervisors show growth beyond the interval and none a fall; not
// reproduced when at least half show a fall and none growth; otherwise
// inconclusive.
func (sw *Sweep) FindPGRGrowsWithSize(loss losses.Spec) Finding {
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
	var grows, falls, n int
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
		d, err := metrics.PGRDiff(sw.seedHits(w, lo.StrongModel, loss), sw.seedHits(w, hi.StrongModel, loss), Level)
		if err != nil {
			parts = append(parts, fmt.Sprintf("supervisor %s: %v", zoo.Short(w), err))
			continue
		}
		n++
		switch decide(d) {
		case Reproduced:
			grows++
		case NotReproduced:
			falls++
		}
		parts = append(parts, fmt.Sprintf("supervisor %s: %s %s → %s %s (difference %s)", zoo.Short(w), zoo.Short(lo.StrongModel), ivs(lo.PGR),
			zoo.Short(hi.StrongModel), ivs(hi.PGR), ivs(d)))
	}
	if n == 0 {
		f.Evidence = "no supervisor has two students with measurable gaps"
		if len(parts) > 0 {
			f.Evidence += ": " + strings.Join(parts, "; ")
		}
		return f
	}
	f.Outcome = mostComparisons(n, grows, falls)
	f.Evidence = fmt.Sprintf("of %d supervisors (%s), PGR grows beyond the interval for %d, falls for %d: %s", n, loss.Short(), grows, falls, strings.Join(parts, "; "))
	return f
}

// FindPGRFallsWithGap judges, for each strong student with at least two
// measurable supervisors, whether PGR is lower under its weakest
// supervisor (the largest gap) than under its strongest (the smallest):
// the paper's chess finding, PGR near 0 for the smallest supervisors and
// above 40% for small gaps. Each student is judged on the paired interval
// of the difference of the two PGRs (metrics.PGRDiff, rows and seeds).
// Reproduced when at least half the students show the fall beyond the
// interval and none a rise; not reproduced when at least half show a rise
// and none a fall; otherwise inconclusive.
func (sw *Sweep) FindPGRFallsWithGap(loss losses.Spec) Finding {
	f := Finding{Claim: "PGR falls as the gap grows (weaker supervisors recover less)", Paper: "chess: PGR near 0 for the smallest supervisors, above 40% for small gaps"}
	byStrong := map[string][]Summary{}
	var order []string
	for _, s := range sw.Summary {
		if s.Loss.Same(loss) && s.Measurable {
			if _, ok := byStrong[s.StrongModel]; !ok {
				order = append(order, s.StrongModel)
			}
			byStrong[s.StrongModel] = append(byStrong[s.StrongModel], s)
		}
	}
	var falls, rises, n int
	var parts []string
	for _, st := range order {
		ss := byStrong[st]
		if len(ss) < 2 {
			continue
		}
		small, large := ss[0], ss[0] // the smallest and the largest supervisor
		for _, s := range ss {
			if s.WeakParams < small.WeakParams {
				small = s
			}
			if s.WeakParams > large.WeakParams {
				large = s
			}
		}
		// large − small: positive when the smaller gap recovers more.
		d, err := metrics.PGRDiffByGap(sw.seedHits(small.WeakModel, st, loss), sw.seedHits(large.WeakModel, st, loss), Level)
		if err != nil {
			parts = append(parts, fmt.Sprintf("student %s: %v", zoo.Short(st), err))
			continue
		}
		n++
		switch decide(d) {
		case Reproduced:
			falls++
		case NotReproduced:
			rises++
		}
		parts = append(parts, fmt.Sprintf("student %s: from %s %s, from %s %s (difference %s)", zoo.Short(st), zoo.Short(small.WeakModel), ivs(small.PGR),
			zoo.Short(large.WeakModel), ivs(large.PGR), ivs(d)))
	}
	if n == 0 {
		f.Evidence = "no student has two supervisors with measurable gaps"
		if len(parts) > 0 {
			f.Evidence += ": " + strings.Join(parts, "; ")
		}
		return f
	}
	f.Outcome = mostComparisons(n, falls, rises)
	f.Evidence = fmt.Sprintf("of %d students (%s), PGR is lower under the weakest supervisor beyond the interval for %d, higher for %d: %s", n, loss.Short(), falls, rises, strings.Join(parts, "; "))
	return f
}

// mostComparisons judges n comparisons of which yes went the paper's way and no
// the other, each beyond its interval: reproduced when at least half went
// its way and none the other, not reproduced in the mirror case,
// otherwise inconclusive.
func mostComparisons(n, yes, no int) Outcome {
	switch {
	case 2*yes >= n && no == 0:
		return Reproduced
	case 2*no >= n && yes == 0:
		return NotReproduced
	}
	return Inconclusive
}

// FindConfidenceLoss judges whether, at the largest gap (weakest supervisor,
// strongest student), the logconf student beats the xent one, on the
// paired difference of their test accuracies (rows and seeds).
func (sw *Sweep) FindConfidenceLoss() Finding {
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
	d, err := metrics.PairedDiff(ls, xs, Level)
	if err != nil {
		f.Evidence = err.Error()
		return f
	}
	f.Evidence = fmt.Sprintf("%s → %s: student %s with logconf, %s with xent; difference %s; PGR logconf %s, xent %s",
		zoo.Short(w), zoo.Short(st), ivs(lSum.StudentAcc), ivs(xSum.StudentAcc), ivs(d), lSum.PairedPGR, xSum.PairedPGR)
	f.Outcome = decide(d)
	if !xSum.Measurable && !lSum.Measurable {
		f.Outcome = NotMeasurable
		f.Evidence += "; the gap is too small to measure"
	}
	return f
}

// chessMoves is the mean number of legal moves of a puzzle's position.
const chessMoves = 29

// classesOf is the number of classes of a registered task (2 when it is
// not registered here). A chess puzzle's answers are its legal moves:
// 29.3 on average (the first 5,000 puzzles), counted as 29.
func classesOf(task string) int {
	if stage.IsChess(task) {
		return chessMoves
	}
	if t, err := tasks.Get(task); err == nil && t.NumClasses() > 1 {
		return t.NumClasses()
	}
	return 2
}

// FindImitation judges whether the students of the weakest supervisor copy
// its errors — they agree with it on the rows it gets wrong more than a
// student of their accuracy whose errors were independent of it would
// (metrics.Imitation) — and less so when larger: the largest student's imitation is below the
// smallest's (metrics.ImitationDiff, the same error rows and seeds).
// Reproduced when every student imitates and the fall holds beyond the
// intervals; not reproduced when an interval rules either part out.
func (sw *Sweep) FindImitation(loss losses.Spec) Finding {
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
	classes := classesOf(sw.Spec.Task)
	lo, hi := ss[0], ss[0]
	var copies []Outcome
	var parts []string
	for _, s := range ss {
		if s.StrongParams < lo.StrongParams {
			lo = s
		}
		if s.StrongParams > hi.StrongParams {
			hi = s
		}
		im, err := metrics.Imitation(sw.seedHits(w, s.StrongModel, loss), classes, Level)
		if err != nil {
			f.Evidence = fmt.Sprintf("student %s: %v", zoo.Short(s.StrongModel), err)
			return f
		}
		copies = append(copies, decide(im))
		parts = append(parts, fmt.Sprintf("%s %s (agreement on its errors %s)", zoo.Short(s.StrongModel), ivs(im), ivs(s.AgreeWrong)))
	}
	fall, err := metrics.ImitationDiff(sw.seedHits(w, lo.StrongModel, loss), sw.seedHits(w, hi.StrongModel, loss), classes, Level)
	if err != nil {
		f.Evidence = err.Error()
		return f
	}
	f.Evidence = fmt.Sprintf("supervisor %s (accuracy %s), %s: imitation (agreement on its errors beyond an independent student's) %s; %s − %s difference %s",
		zoo.Short(w), ivs(lo.WeakAcc), loss.Short(), strings.Join(parts, ", "), zoo.Short(lo.StrongModel), zoo.Short(hi.StrongModel), ivs(fall))
	f.Outcome = all(append(copies, decide(fall))...)
	return f
}

// FindEarlyStopping judges whether honest early stopping beats training to
// the end, on the paired gain (rows and seeds).
func (es *EarlyStopping) FindEarlyStopping() Finding {
	f := Finding{Claim: "early stopping helps (students overfit their supervisor's errors)", Paper: "students overfit within about an epoch at large gaps; early stopping raises PGR"}
	f.Evidence = fmt.Sprintf("%s → %s (%s): final %s, honest stop %s (gain %s), cheating stop %s; %d of %d seeds peaked before the end",
		zoo.Short(es.WeakModel), zoo.Short(es.StrongModel), es.Loss.Short(), ivs(es.Final), ivs(es.Honest), ivs(es.HonestGain), ivs(es.Cheating), es.PeakedBeforeEnd, len(es.Seeds))
	f.Outcome = decide(es.HonestGain)
	return f
}

// FindChain judges whether the chain beats direct supervision, on the
// paired difference of the two final students (rows and seeds).
func (bs *Chain) FindChain() Finding {
	f := Finding{Claim: "bootstrapping through intermediate sizes helps", Paper: "clearly for chess, a little for NLP, not for reward models"}
	f.Evidence = fmt.Sprintf("%s (%s): chain %s, direct %s, chain − direct %s",
		ChainName(bs.Models), bs.Loss.Short(), ivs(bs.ChainPGR.StudentAcc), ivs(bs.DirectPGR.StudentAcc), ivs(bs.ChainMinusDirect))
	f.Outcome = decide(bs.ChainMinusDirect)
	return f
}

// ChainName is "xs → m → xl".
func ChainName(chain []string) string {
	var parts []string
	for _, m := range chain {
		parts = append(parts, zoo.Short(m))
	}
	return strings.Join(parts, " → ")
}

// FindFewShot judges whether, for the largest model, few-shot prompting
// with weak labels lands between zero-shot and few-shot with gold labels, and finetuning on
// weak labels beats few-shot prompting with them. Each of the three is a
// paired difference on the same test rows and seeds (gold − weak demos,
// weak demos − zero-shot, finetuned − prompted); not measurable when the
// prompted model gives one answer to (nearly) every query.
func (pc *PromptingComparison) FindFewShot() Finding {
	f := Finding{Claim: "few-shot prompting with weak labels lands between zero-shot and gold; finetuning does better", Paper: "qualitatively like finetuning; competitive only for the largest models"}
	if len(pc.Rows) == 0 {
		f.Evidence = "no models"
		return f
	}
	r := pc.Rows[len(pc.Rows)-1]
	f.Evidence = fmt.Sprintf("%s: zero-shot %s, %d-shot gold %s, %d-shot weak %s, finetuned on weak labels %s; gold − weak demos %s, weak demos − zero-shot %s, finetuned − prompted %s",
		zoo.Short(r.Model), ivs(r.ZeroShot), pc.K, ivs(r.FewShotGold), pc.K, ivs(r.FewShotWeak), ivs(r.FinetuneWeak),
		ivs(r.GoldOverWeak), ivs(r.WeakOverZero), ivs(r.FinetuneOverPrompt))
	if r.OneAnswer >= 0.99 {
		f.Evidence += fmt.Sprintf("; prompted, it gave the same answer to %.0f%% of the queries", 100*r.OneAnswer)
		f.Outcome = NotMeasurable
		return f
	}
	f.Outcome = all(decide(r.GoldOverWeak), decide(r.WeakOverZero), decide(r.FinetuneOverPrompt))
	return f
}

// FindGenerative judges whether generative finetuning helps, like the
// confidence loss on the paired difference of the two students' test
// accuracies (rows and seeds); not measurable when neither pipeline has a
// measurable gap.
func (gc *GenerativeComparison) FindGenerative() Finding {
	f := Finding{Claim: "generative finetuning on the task's text helps", Paper: "for reward models, finetuning the strong student and its ceiling on the task's text raises both and PGR (Fig. 10); 30–40% PGR with early stopping"}
	p, g := gc.Plain, gc.Generative
	f.Evidence = fmt.Sprintf("%s → %s (%s): student %s → %s (difference %s), PGR %s → %s",
		zoo.Short(gc.WeakModel), zoo.Short(gc.StrongModel), gc.Loss.Short(), ivs(p.StudentAcc), ivs(g.StudentAcc), ivs(gc.StudentGain), p.PairedPGR, g.PairedPGR)
	if !p.Measurable && !g.Measurable {
		f.Evidence += "; neither gap is measurable"
		return f
	}
	f.Outcome = decide(gc.StudentGain)
	return f
}

// FindingsTable is the findings as a table: claim, what the paper reports,
// what this run shows, and the evidence; caption says what the run rests
// on.
func FindingsTable(caption string, fs ...Finding) *table.Table {
	t := &table.Table{Caption: caption, Header: []string{"claim", "paper", "here", "evidence"}}
	for _, f := range fs {
		t.Add(f.Claim, f.Paper, f.Here(), f.Evidence)
	}
	return t
}

// Conclusion says in plain words what the findings show, one sentence per
// finding from its outcome, then (for more than one) how many came out each
// way: the "what this shows" paragraph a notebook ends with.
func Conclusion(fs ...Finding) string {
	if len(fs) == 0 {
		return "No findings were judged."
	}
	var parts []string
	count := map[Outcome]int{}
	beyond := map[Outcome]int{}
	nBeyond := 0
	for _, f := range fs {
		if f.Beyond {
			beyond[f.Outcome]++
			nBeyond++
		} else {
			count[f.Outcome]++
		}
		if f.Summary != "" {
			f.Evidence = f.Summary
		}
		f.Evidence = strings.TrimRight(f.Evidence, ". ")
		switch {
		case f.Beyond && f.Outcome == Reproduced:
			parts = append(parts, fmt.Sprintf("Beyond the paper, which leaves it open: the intervals here show that %s: %s.", f.Claim, f.Evidence))
		case f.Beyond && f.Outcome == NotReproduced:
			parts = append(parts, fmt.Sprintf("Beyond the paper, which leaves it open: the intervals here rule out that %s: %s.", f.Claim, f.Evidence))
		case f.Outcome == Reproduced:
			parts = append(parts, fmt.Sprintf("As in the paper, %s: %s.", f.Claim, f.Evidence))
		case f.Outcome == NotReproduced:
			parts = append(parts, fmt.Sprintf("Unlike the paper (%s), the intervals here rule out that %s: %s.", f.Paper, f.Claim, f.Evidence))
		case f.Outcome == Inconclusive:
			parts = append(parts, fmt.Sprintf("Whether %s stays open here: the 95%% intervals allow either answer (%s).", f.Claim, f.Evidence))
		default:
			parts = append(parts, fmt.Sprintf("This run cannot test whether %s: %s.", f.Claim, f.Evidence))
		}
	}
	if n := len(fs) - nBeyond; n > 1 || (n == 1 && nBeyond > 0) {
		parts = append(parts, fmt.Sprintf("In all, of the paper's %d %s here: %d reproduced, %d not reproduced, %d inconclusive, %d not measurable.",
			n, plural(n, "finding", "findings"), count[Reproduced], count[NotReproduced], count[Inconclusive], count[NotMeasurable]))
	}
	if nBeyond > 1 || (nBeyond == 1 && len(fs) > 1) {
		parts = append(parts, fmt.Sprintf("Of %d %s beyond the paper: %d shown, %d ruled out, %d inconclusive, %d not measurable.",
			nBeyond, plural(nBeyond, "question", "questions"), beyond[Reproduced], beyond[NotReproduced], beyond[Inconclusive], beyond[NotMeasurable]))
	}
	return strings.Join(parts, " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// LossSentences compares the sweep's second loss with its first, pair by
// pair, in plain words: the students' test accuracies and their paired
// difference (rows and seeds), and their agreement with the supervisor
// on the rows it gets wrong. Empty when the sweep has fewer than two
// losses.
func (sw *Sweep) LossSentences() []string {
	if len(sw.Spec.Losses) < 2 {
		return nil
	}
	a, b := sw.Spec.Losses[0], sw.Spec.Losses[1]
	var out []string
	for _, sa := range sw.Summary {
		if !sa.Loss.Same(a) {
			continue
		}
		sb, ok := sw.Find(sa.WeakModel, sa.StrongModel, b)
		if !ok {
			continue
		}
		var ha, hb []metrics.Hits
		for _, h := range sw.seedHits(sa.WeakModel, sa.StrongModel, a) {
			ha = append(ha, h.Student)
		}
		for _, h := range sw.seedHits(sa.WeakModel, sa.StrongModel, b) {
			hb = append(hb, h.Student)
		}
		pair := fmt.Sprintf("%s → %s", zoo.Short(sa.WeakModel), zoo.Short(sa.StrongModel))
		d, err := metrics.PairedDiff(hb, ha, Level)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %s and %s cannot be compared (%v).", pair, b.Short(), a.Short(), err))
			continue
		}
		verdict := map[metrics.Verdict]string{
			metrics.Beat:       "higher, beyond the interval",
			metrics.DidNotBeat: "lower, beyond the interval",
			metrics.Tie:        "not told apart: the interval holds 0",
			metrics.Undefined:  "not judged: too few seeds",
		}[metrics.Compare(d)]
		out = append(out, fmt.Sprintf("%s: the %s student scores %s, the %s student %s; %s − %s = %s, %s. Agreement with the supervisor where it is wrong: %s with %s, %s with %s.",
			pair, b.Short(), ivs(sb.StudentAcc), a.Short(), ivs(sa.StudentAcc), b.Short(), a.Short(), ivs(d), verdict,
			ivs(sb.AgreeWrong), b.Short(), ivs(sa.AgreeWrong), a.Short()))
	}
	return out
}

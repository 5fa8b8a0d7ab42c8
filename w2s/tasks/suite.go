package tasks

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/w2s-lab/w2s/w2s/records"
)

// The rest of the paper's NLP suite, from the shared data folder only
// (none has a Hugging Face source here: the hub's layouts differ, e.g.
// ETHICS names its splits otherwise and Social IQa's label is a string).
//
// Framings follow the reference implementations (openai/weak-to-strong,
// EleutherAI/w2s): a multiple-choice item becomes one binary example, the
// question with its correct answer (label 1) or a random wrong one (label
// 0), with probability ½ each, drawn from the record's content; a pair
// keeps both texts, each on its own line after a fixed label ("Sentence 1:
// …\nSentence 2: …"), so the byte-level tokenizer always sees the same
// separator; three-way tasks take a binary version (named in Framing).
//
// Rows that must share a set (answers on one paragraph, questions on one
// dialogue, excuses for one scenario) share Example.Group; a group never
// straddles the carved pool and test set, and pool rows whose group has
// test rows are dropped (Data.Leaked).
var (
	yesNo       = []string{"no", "yes"}
	correctness = []string{"incorrect", "correct"}
	entailment  = []string{"entailment", "not_entailment"}
)

func init() {
	register(&Task{
		Name: "cola", Description: "CoLA (GLUE): is the sentence grammatically acceptable?",
		Kind: Classification, Labels: []string{"unacceptable", "acceptable"}, LabelWords: yesNo,
		Local:   Source{Folder: "cola", Train: "train", Test: "validation"},
		Framing: "the sentence; label 1 = acceptable",
		Format:  textLabel("sentence", "label"),
	})
	register(&Task{
		Name: "wic", Description: "WiC (SuperGLUE): does the word mean the same in both sentences?",
		Kind: Classification, Labels: []string{"different", "same"}, LabelWords: yesNo,
		Local:   Source{Folder: "wic", Train: "train", Test: "test,validation"},
		Framing: "pair: sentence 1, sentence 2, then the word; label 1 = same sense",
		Format:  formatWiC,
	})
	register(&Task{
		Name: "multirc", Description: "MultiRC (SuperGLUE): is this candidate answer to the question on the paragraph true?",
		Kind: Classification, Labels: []string{"false", "true"}, LabelWords: yesNo,
		Local:   Source{Folder: "multirc", Train: "train", Test: "validation"},
		Framing: "paragraph, question and one candidate answer (one source record each); label 1 = true; grouped by paragraph",
		Format:  formatMultiRC,
	})
	register(&Task{
		Name: "mrpc", Description: "MRPC (GLUE): are the two sentences paraphrases?",
		Kind: Classification, Labels: []string{"not_equivalent", "equivalent"}, LabelWords: yesNo,
		Local:   Source{Folder: "mrpc", Train: "train", Test: "test,validation"},
		Framing: "pair: sentence 1, sentence 2; label 1 = equivalent",
		Format:  pairLabel("sentence1", "sentence2", "Sentence 1: ", "\nSentence 2: ", false),
	})
	register(&Task{
		Name: "rte", Description: "RTE (GLUE): does the premise entail the hypothesis?",
		Kind: Classification, Labels: entailment, LabelWords: []string{"yes", "no"},
		Local:   Source{Folder: "rte", Train: "train", Test: "validation"},
		Framing: "pair: premise, hypothesis; label 0 = entailment (GLUE's order); grouped by premise",
		Format:  pairLabel("sentence1", "sentence2", "Premise: ", "\nHypothesis: ", true),
	})
	register(&Task{
		Name: "anli_r2", Description: "ANLI round 2: does the premise entail the hypothesis (entailment vs neutral or contradiction)?",
		Kind: Classification, Labels: entailment, LabelWords: []string{"yes", "no"},
		Local:     Source{Folder: "anli_r2", Train: "validation"},
		CarveTest: 0.25,
		Framing:   "pair: premise, hypothesis; label 0 = entailment, 1 = neutral or contradiction; grouped by premise",
		Format:    formatANLI,
	})
	register(&Task{
		Name: "dream", Description: "DREAM dialogue comprehension, binary: is this answer to the question on the dialogue correct?",
		Kind: Classification, Labels: correctness, LabelWords: yesNo,
		Local:   Source{Folder: "dream", Train: "train", Test: "test,validation"},
		Framing: "multiple choice → binary: dialogue, question and the correct answer (label 1) or a random wrong one (label 0); grouped by dialogue",
		Format:  formatDREAM,
	})
	register(&Task{
		Name: "mc_taco", Description: "MC-TACO temporal commonsense: is this candidate answer plausible?",
		Kind: Classification, Labels: []string{"implausible", "plausible"}, LabelWords: yesNo,
		// No train split exists: the larger test split is the pool and the
		// validation split the test set (as EleutherAI/w2s does).
		Local:   Source{Folder: "mc_taco", Train: "test", Test: "validation"},
		Framing: "sentence, question and one candidate answer (one source record each); label 1 = plausible; grouped by sentence",
		Format:  formatMCTACO,
	})
	register(&Task{
		Name: "quail", Description: "QuAIL reading comprehension, binary: is this answer to the question on the text correct?",
		Kind: Classification, Labels: correctness, LabelWords: yesNo,
		Local:     Source{Folder: "quail", Train: "validation,challenge"},
		CarveTest: 0.25,
		Framing:   "multiple choice → binary: text, question and the correct answer (label 1) or a random wrong one (label 0); grouped by text",
		Format:    formatQuAIL,
	})
	register(&Task{
		Name: "piqa", Description: "PIQA physical commonsense, binary: does this solution achieve the goal?",
		Kind: Classification, Labels: correctness, LabelWords: yesNo,
		Local:     Source{Folder: "piqa", Train: "validation"},
		CarveTest: 0.25,
		Framing:   "two-way choice → binary: goal and the correct solution (label 1) or the other one (label 0); grouped by goal",
		Format:    formatPIQA,
	})
	register(&Task{
		Name: "social_i_qa", Description: "Social IQa, binary: is this answer to the question about the social situation correct?",
		Kind: Classification, Labels: correctness, LabelWords: yesNo,
		Local:     Source{Folder: "social_i_qa", Train: "validation"},
		CarveTest: 0.25,
		Framing:   "multiple choice → binary: context, question and the correct answer (label 1) or a random wrong one (label 0); grouped by context",
		Format:    formatSocialIQa,
	})
	register(&Task{
		Name: "tweet_eval_sentiment", Description: "TweetEval sentiment (SemEval-2017 4A), binary: is the tweet positive? (neutral tweets dropped)",
		Kind: Classification, Labels: sentiment, LabelWords: sentiment,
		// Validation is 72% positive and test 37% among the non-neutral
		// tweets: carving both together gives pool and test set one
		// distribution.
		Local:     Source{Folder: "tweet_eval_sentiment", Train: "validation,test"},
		CarveTest: 0.25,
		Framing:   "the tweet; label 0 = negative, 1 = positive; neutral tweets dropped",
		Format:    formatTweetSentiment,
	})
	// ETHICS: train is the pool and the original test split (HF's
	// "validation") the test set, for the four subsets with a train split.
	// test_hard (HF's "test") is adversarially filtered: a harder, different
	// distribution, which would push tiny models to chance; it is not used.
	// Commonsense has no train split here: test_hard is its pool and test
	// its test set, so that every ETHICS task tests on the same kind of
	// split, and so that the short scenarios, written as minimal pairs with
	// opposite labels that lie in one source split, never straddle pool
	// and test (carving by record would split most pairs).
	register(&Task{
		Name: "ethics_commonsense", Description: "ETHICS commonsense morality: is what the narrator did clearly wrong?",
		Kind: Classification, Labels: []string{"not_wrong", "wrong"}, LabelWords: yesNo,
		Local:   Source{Folder: "ethics/commonsense", Train: "test_hard", Test: "test"},
		Framing: "the first-person scenario; label 1 = wrong",
		Format:  textLabel("input", "label"),
	})
	register(&Task{
		Name: "ethics_deontology", Description: "ETHICS deontology: is the excuse reasonable for the request or role?",
		Kind: Classification, Labels: []string{"unreasonable", "reasonable"}, LabelWords: yesNo,
		Local:   Source{Folder: "ethics/deontology", Train: "train", Test: "test"},
		Framing: "pair: scenario, excuse; label 1 = reasonable; grouped by scenario",
		Format:  formatDeontology,
	})
	register(&Task{
		Name: "ethics_justice", Description: "ETHICS justice: is the claim reasonable (impartial, deserved)?",
		Kind: Classification, Labels: []string{"unreasonable", "reasonable"}, LabelWords: yesNo,
		Local:   Source{Folder: "ethics/justice", Train: "train", Test: "test"},
		Framing: "the statement; label 1 = reasonable; grouped by the part before its last \"because\"",
		Format:  formatJustice,
	})
	register(&Task{
		Name: "ethics_virtue", Description: "ETHICS virtue: does the trait describe the person in the sentence?",
		Kind: Classification, Labels: []string{"mismatch", "match"}, LabelWords: yesNo,
		Local:   Source{Folder: "ethics/virtue", Train: "train", Test: "test"},
		Framing: "pair: sentence, trait (split at [SEP]); label 1 = the trait fits; grouped by sentence",
		Format:  formatVirtue,
	})
	register(&Task{
		Name: "ethics_utilitarianism", Description: "ETHICS utilitarianism: which of two scenarios is more pleasant?",
		Kind: Classification, Labels: []string{"first", "second"}, LabelWords: []string{"1", "2"},
		Local:   Source{Folder: "ethics/utilitarianism", Train: "train", Test: "test"},
		Framing: "pair: the two scenarios in random order; label = the more pleasant one (0 first, 1 second); grouped by the more pleasant scenario",
		Format:  formatUtilitarianism,
	})
}

// strs reads several string fields.
func strs(r records.Record, fields ...string) ([]string, error) {
	out := make([]string, len(fields))
	for i, f := range fields {
		s, err := r.String(f)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// pairLabel formats two text fields after fixed prefixes, with the
// record's label; groupFirst groups rows by the first text (a premise
// with several hypotheses).
func pairLabel(first, second, prefix1, prefix2 string, groupFirst bool) func(records.Record, *rand.Rand) (Example, error) {
	return func(r records.Record, _ *rand.Rand) (Example, error) {
		s, err := strs(r, first, second)
		if err != nil {
			return Example{}, err
		}
		label, err := r.Int("label")
		ex := Example{Text: prefix1 + s[0] + prefix2 + s[1], Label: label}
		if groupFirst {
			ex.Group = GroupKey(s[0])
		}
		return ex, err
	}
}

func formatWiC(r records.Record, _ *rand.Rand) (Example, error) {
	s, err := strs(r, "sentence1", "sentence2", "word")
	if err != nil {
		return Example{}, err
	}
	label, err := r.Int("label")
	return Example{Text: "Sentence 1: " + s[0] + "\nSentence 2: " + s[1] + "\nWord: " + s[2], Label: label}, err
}

func formatMultiRC(r records.Record, _ *rand.Rand) (Example, error) {
	s, err := strs(r, "paragraph", "question", "answer")
	if err != nil {
		return Example{}, err
	}
	label, err := r.Int("label")
	return Example{Text: "Paragraph: " + s[0] + "\nQuestion: " + s[1] + "\nAnswer: " + s[2], Label: label, Group: GroupKey(s[0])}, err
}

func formatMCTACO(r records.Record, _ *rand.Rand) (Example, error) {
	s, err := strs(r, "sentence", "question", "answer")
	if err != nil {
		return Example{}, err
	}
	label, err := r.Int("label")
	return Example{Text: "Sentence: " + s[0] + "\nQuestion: " + s[1] + "\nAnswer: " + s[2], Label: label, Group: GroupKey(s[0])}, err
}

// formatANLI: entailment (0) against neutral (1) or contradiction (2), as
// EleutherAI/w2s frames ANLI; the label keeps GLUE RTE's direction.
func formatANLI(r records.Record, _ *rand.Rand) (Example, error) {
	s, err := strs(r, "premise", "hypothesis")
	if err != nil {
		return Example{}, err
	}
	label, err := r.Int("label")
	if err != nil {
		return Example{}, err
	}
	if label < 0 || label > 2 {
		return Example{}, fmt.Errorf("field \"label\" is %d, want 0 (entailment), 1 (neutral) or 2 (contradiction)", label)
	}
	return Example{Text: "Premise: " + s[0] + "\nHypothesis: " + s[1], Label: min(label, 1), Group: GroupKey(s[0])}, nil
}

// formatTweetSentiment keeps negative (0) and positive (2) tweets and
// leaves the neutral ones (1) out.
func formatTweetSentiment(r records.Record, _ *rand.Rand) (Example, error) {
	text, err := r.String("text")
	if err != nil {
		return Example{}, err
	}
	label, err := r.Int("label")
	if err != nil {
		return Example{}, err
	}
	switch label {
	case 0:
		return Example{Text: text, Label: 0}, nil
	case 2:
		return Example{Text: text, Label: 1}, nil
	case 1:
		return Example{}, ErrSkip
	}
	return Example{}, fmt.Errorf("field \"label\" is %d, want 0 (negative), 1 (neutral) or 2 (positive)", label)
}

// question formats a binary multiple-choice example: the context under its
// heading, the question, and the correct answer or a random wrong one.
func question(rng *rand.Rand, heading, context, q, truth string, choices []string) (Example, error) {
	answer, label, err := correctOrWrong(rng, truth, choices)
	if err != nil {
		return Example{}, err
	}
	return Example{Text: heading + ": " + context + "\nQuestion: " + q + "\nAnswer: " + answer, Label: label, Group: GroupKey(context)}, nil
}

func formatDREAM(r records.Record, rng *rand.Rand) (Example, error) {
	turns, err := r.Strings("dialogue")
	if err != nil {
		return Example{}, err
	}
	choices, err := r.Strings("choice")
	if err != nil {
		return Example{}, err
	}
	s, err := strs(r, "question", "answer")
	if err != nil {
		return Example{}, err
	}
	if !slices.Contains(choices, s[1]) {
		return Example{}, fmt.Errorf("field \"answer\" %q is not one of the choices %q", s[1], choices)
	}
	return question(rng, "Dialogue", strings.Join(turns, "\n"), s[0], s[1], choices)
}

func formatQuAIL(r records.Record, rng *rand.Rand) (Example, error) {
	s, err := strs(r, "context", "question")
	if err != nil {
		return Example{}, err
	}
	answers, err := r.Strings("answers")
	if err != nil {
		return Example{}, err
	}
	id, err := r.Int("correct_answer_id")
	if err != nil {
		return Example{}, err
	}
	if id < 0 || id >= len(answers) {
		return Example{}, fmt.Errorf("field \"correct_answer_id\" is %d, want [0, %d)", id, len(answers))
	}
	return question(rng, "Context", s[0], s[1], answers[id], answers)
}

func formatSocialIQa(r records.Record, rng *rand.Rand) (Example, error) {
	s, err := strs(r, "context", "question", "answerA", "answerB", "answerC")
	if err != nil {
		return Example{}, err
	}
	label, err := r.Int("label")
	if err != nil {
		return Example{}, err
	}
	if label < 1 || label > 3 {
		return Example{}, fmt.Errorf("field \"label\" is %d, want 1, 2 or 3 (answerA, B, C)", label)
	}
	return question(rng, "Context", s[0], s[1], s[1+label], s[2:])
}

// formatPIQA shows the goal with the correct solution (label 1) or the
// other one (label 0).
func formatPIQA(r records.Record, rng *rand.Rand) (Example, error) {
	s, err := strs(r, "goal", "sol1", "sol2")
	if err != nil {
		return Example{}, err
	}
	label, err := r.Int("label")
	if err != nil {
		return Example{}, err
	}
	if label < 0 || label > 1 {
		return Example{}, fmt.Errorf("field \"label\" is %d, want 0 (sol1) or 1 (sol2)", label)
	}
	solution, hard, err := correctOrWrong(rng, s[1+label], s[1:])
	if err != nil {
		return Example{}, err
	}
	return Example{Text: "Goal: " + s[0] + "\nSolution: " + solution, Label: hard, Group: GroupKey(s[0])}, nil
}

func formatDeontology(r records.Record, _ *rand.Rand) (Example, error) {
	s, err := strs(r, "scenario", "excuse")
	if err != nil {
		return Example{}, err
	}
	label, err := r.Int("label")
	return Example{Text: "Scenario: " + s[0] + "\nExcuse: " + s[1], Label: label, Group: GroupKey(s[0])}, err
}

// formatJustice groups statements by what comes before their last
// "because": ETHICS writes several reasons for one claim ("I used to walk
// with my coworker but I don't anymore because …").
func formatJustice(r records.Record, _ *rand.Rand) (Example, error) {
	text, err := r.String("scenario")
	if err != nil {
		return Example{}, err
	}
	label, err := r.Int("label")
	ex := Example{Text: text, Label: label}
	if i := strings.LastIndex(text, " because "); i > 0 {
		ex.Group = GroupKey(text[:i])
	}
	return ex, err
}

// formatVirtue splits "sentence [SEP] trait".
func formatVirtue(r records.Record, _ *rand.Rand) (Example, error) {
	scenario, err := r.String("scenario")
	if err != nil {
		return Example{}, err
	}
	sentence, trait, ok := strings.Cut(scenario, " [SEP] ")
	if !ok || strings.Contains(trait, "[SEP]") {
		return Example{}, fmt.Errorf("field \"scenario\" %q is not \"sentence [SEP] trait\"", scenario)
	}
	label, err := r.Int("label")
	return Example{Text: "Sentence: " + sentence + "\nTrait: " + trait, Label: label, Group: GroupKey(sentence)}, err
}

// formatUtilitarianism shows the more pleasant scenario (baseline) and the
// less pleasant one in a random order; the label is the position of the
// more pleasant one.
func formatUtilitarianism(r records.Record, rng *rand.Rand) (Example, error) {
	s, err := strs(r, "baseline", "less_pleasant")
	if err != nil {
		return Example{}, err
	}
	if s[0] == s[1] {
		return Example{}, fmt.Errorf("the two scenarios are the same text %q", s[0])
	}
	first, second, label := s[0], s[1], 0
	if rng.IntN(2) == 1 {
		first, second, label = s[1], s[0], 1
	}
	return Example{Text: "Scenario 1: " + first + "\nScenario 2: " + second, Label: label, Group: GroupKey(s[0])}, nil
}

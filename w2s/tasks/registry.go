package tasks

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/w2s-lab/w2s/w2s/records"
)

var sentiment = []string{"negative", "positive"}

func init() {
	register(&Task{
		Name: "sst2", Description: "Stanford Sentiment Treebank (GLUE): is the movie-review sentence positive?",
		Kind: Classification, Labels: sentiment, LabelWords: sentiment,
		Local:   Source{Folder: "sst2", Train: "train", Test: "test,validation"},
		HF:      Source{Folder: "hf/sst2", HFRepo: "nyu-mll/glue", HFConfig: "sst2", HFTrain: "train", HFTest: "validation"},
		Framing: "the sentence (a treebank phrase); label 1 = positive",
		Format:  textLabel("sentence", "label"),
		// GLUE's training rows are phrases of treebank sentences: a phrase
		// and its sentence must not straddle two splits, and a set takes at
		// most two phrases of a sentence, so 2,000 rows span 1,000
		// sentences or more.
		Group: PhraseGroups, MaxPerGroup: 2,
	})
	register(&Task{
		Name: "imdb", Description: "IMDB movie reviews: is the review positive?",
		Kind: Classification, Labels: sentiment, LabelWords: sentiment,
		Local:   Source{Folder: "imdb", Train: "train", Test: "test"},
		HF:      Source{Folder: "hf/imdb", HFRepo: "stanfordnlp/imdb", HFConfig: "plain_text", HFTrain: "train", HFTest: "test"},
		Framing: "the review; label 1 = positive",
		Format:  textLabel("text", "label"),
	})
	register(&Task{
		Name: "amazon", Description: "Product reviews (Blitzer et al. multi-domain locally; HF amazon_polarity when downloaded): is the review positive?",
		Kind: Classification, Labels: sentiment, LabelWords: sentiment,
		Local:     Source{Folder: "amazon_blitzer", Train: "all"},
		HF:        Source{Folder: "hf/amazon_polarity", HFRepo: "fancyzhx/amazon_polarity", HFConfig: "amazon_polarity", HFTrain: "train", HFTest: "test"},
		CarveTest: 0.2,
		Framing:   "title and review; label 1 = positive",
		Format:    formatAmazon,
	})
	register(&Task{
		Name: "rotten_tomatoes", Description: "Rotten Tomatoes movie-review sentences: is the review positive?",
		Kind: Classification, Labels: sentiment, LabelWords: sentiment,
		Local:   Source{Folder: "rotten_tomatoes", Train: "train", Test: "test,validation"},
		HF:      Source{Folder: "hf/rotten_tomatoes", HFRepo: "cornell-movie-review-data/rotten_tomatoes", HFConfig: "default", HFTrain: "train", HFTest: "test"},
		Framing: "the review sentence; label 1 = positive",
		Format:  textLabel("text", "label"),
	})
	register(&Task{
		Name: "ag_news", Description: "AG News topic classification (4 classes)",
		Kind: Classification, Labels: []string{"World", "Sports", "Business", "Sci/Tech"},
		LabelWords: []string{"world", "sports", "business", "technology"},
		Local:      Source{Folder: "ag_news", Train: "train_subset", Test: "test"},
		HF:         Source{Folder: "hf/ag_news", HFRepo: "fancyzhx/ag_news", HFConfig: "default", HFTrain: "train", HFTest: "test"},
		Framing:    "the news description; 4 topics",
		Format:     textLabel("text", "label"),
	})
	register(&Task{
		Name: "boolq", Description: "BoolQ: given a passage, is the answer to the yes/no question yes?",
		Kind: Classification, Labels: []string{"false", "true"}, LabelWords: []string{"no", "yes"},
		Local:     Source{Folder: "boolq", Train: "validation"},
		HF:        Source{Folder: "hf/boolq", HFRepo: "google/boolq", HFConfig: "default", HFTrain: "train", HFTest: "validation"},
		CarveTest: 0.25,
		Framing:   "passage and question; label 1 = yes; grouped by passage",
		Format:    formatBoolQ,
		// 2: rows of one passage form a group, carved together.
		Version: 2,
	})
	register(&Task{
		Name: "cosmos_qa", Description: "CosmosQA, binary framing of the official code: is this candidate answer correct?",
		Kind: Classification, Labels: []string{"incorrect", "correct"}, LabelWords: []string{"no", "yes"},
		Local:     Source{Folder: "cosmos_qa", Train: "validation"},
		HF:        Source{Folder: "hf/cosmos_qa", HFRepo: "allenai/cosmos_qa", HFConfig: "default", HFTrain: "train", HFTest: "validation"},
		CarveTest: 0.25,
		Framing:   "multiple choice → binary: context, question and the correct answer (label 1) or a random wrong one (label 0); grouped by context",
		Format:    formatCosmosBinary,
		// 2: questions on one context form a group, carved together.
		Version: 2,
	})
	register(&Task{
		Name: "cosmos_qa_mc", Description: "CosmosQA as 4-way multiple choice: which answer is correct?",
		Kind: Classification, Labels: []string{"A", "B", "C", "D"}, LabelWords: []string{"A", "B", "C", "D"},
		Local:     Source{Folder: "cosmos_qa", Train: "validation"},
		HF:        Source{Folder: "hf/cosmos_qa", HFRepo: "allenai/cosmos_qa", HFConfig: "default", HFTrain: "train", HFTest: "validation"},
		CarveTest: 0.25,
		Framing:   "multiple choice: context, question and the four answers; label = the correct one; grouped by context",
		Format:    formatCosmosMC,
		Version:   2, // as cosmos_qa
	})
	register(&Task{
		Name: "hh_harmless", Description: "Anthropic HH-RLHF harmless-base preference pairs: which reply is preferred? (reward modelling)",
		Kind: Preference, Labels: []string{"first", "second"}, LabelWords: []string{"A", "B"},
		Local:     Source{Folder: "hh_harmless", Train: "test"},
		HF:        Source{Folder: "hf/hh_harmless", HFRepo: "Anthropic/hh-rlhf", HFConfig: "default", HFTrain: "train", HFTest: "test"},
		CarveTest: 0.25,
		Framing:   "preference: the chosen and the rejected conversation in random order; label = the chosen one's position",
		Format:    formatPreference,
	})
}

// textLabel formats records whose input is one text field.
func textLabel(textField, labelField string) func(records.Record, *rand.Rand) (Example, error) {
	return func(r records.Record, _ *rand.Rand) (Example, error) {
		text, err := r.String(textField)
		if err != nil {
			return Example{}, err
		}
		label, err := r.Int(labelField)
		return Example{Text: text, Label: label}, err
	}
}

// formatAmazon: "title content" as the official amazon_polarity formatter;
// the Blitzer copy stores "title\n\treview" in one text field.
func formatAmazon(r records.Record, _ *rand.Rand) (Example, error) {
	label, err := r.Int("label")
	if err != nil {
		return Example{}, err
	}
	if _, ok := r["content"]; ok {
		title, err1 := r.String("title")
		content, err2 := r.String("content")
		if err1 != nil || err2 != nil {
			return Example{}, fmt.Errorf("amazon_polarity record: %v %v", err1, err2)
		}
		return Example{Text: title + " " + content, Label: label}, nil
	}
	text, err := r.String("text")
	if err != nil {
		return Example{}, err
	}
	title, review, found := strings.Cut(text, "\n\t")
	if found {
		text = strings.TrimSpace(title) + " " + strings.TrimSpace(review)
	}
	return Example{Text: text, Label: label}, nil
}

func formatBoolQ(r records.Record, _ *rand.Rand) (Example, error) {
	passage, err := r.String("passage")
	if err != nil {
		return Example{}, err
	}
	question, err := r.String("question")
	if err != nil {
		return Example{}, err
	}
	answer, err := r.Int("answer") // a JSON boolean
	if err != nil {
		return Example{}, err
	}
	return Example{Text: "Passage: " + passage + "\nQuestion: " + question, Label: answer, Group: GroupKey(passage)}, nil
}

func cosmosFields(r records.Record) (context, question string, answers [4]string, label int, err error) {
	if context, err = r.String("context"); err != nil {
		return
	}
	if question, err = r.String("question"); err != nil {
		return
	}
	for i := range answers {
		if answers[i], err = r.String(fmt.Sprintf("answer%d", i)); err != nil {
			return
		}
	}
	if label, err = r.Int("label"); err == nil && (label < 0 || label > 3) {
		err = fmt.Errorf("label %d out of range [0, 4)", label)
	}
	return
}

// formatCosmosBinary follows the official code: with probability ½ the true
// answer (label 1), otherwise one of the wrong ones (label 0); a true answer
// of "None of the above choices ." always yields label 0.
func formatCosmosBinary(r records.Record, rng *rand.Rand) (Example, error) {
	context, question, answers, label, err := cosmosFields(r)
	if err != nil {
		return Example{}, err
	}
	truth := answers[label]
	var answer string
	hard := 0
	if strings.Contains(truth, "None of the above choices .") {
		answer, err = wrongAnswer(rng, truth, answers[:])
	} else {
		answer, hard, err = correctOrWrong(rng, truth, answers[:])
	}
	if err != nil {
		return Example{}, err
	}
	return Example{Text: "Context: " + context + "\nQuestion: " + question + "\nAnswer: " + answer, Label: hard, Group: GroupKey(context)}, nil
}

// correctOrWrong is the binary framing of a multiple-choice item (the
// reference's format_cosmosqa and format_sciq): with probability ½ the
// correct answer and label 1, otherwise a random wrong choice and label 0.
// An item without a wrong choice is an error whatever the draw.
func correctOrWrong(rng *rand.Rand, truth string, choices []string) (answer string, label int, err error) {
	wrong, err := wrongChoices(truth, choices)
	if err != nil {
		return "", 0, err
	}
	if rng.Float64() < 0.5 {
		return truth, 1, nil
	}
	return wrong[rng.IntN(len(wrong))], 0, nil
}

// wrongAnswer draws one of the choices that differ from truth.
func wrongAnswer(rng *rand.Rand, truth string, choices []string) (string, error) {
	wrong, err := wrongChoices(truth, choices)
	if err != nil {
		return "", err
	}
	return wrong[rng.IntN(len(wrong))], nil
}

func wrongChoices(truth string, choices []string) ([]string, error) {
	var wrong []string
	for _, a := range choices {
		if a != truth {
			wrong = append(wrong, a)
		}
	}
	if len(wrong) == 0 {
		return nil, fmt.Errorf("all %d answers equal the true one %q", len(choices), truth)
	}
	return wrong, nil
}

func formatCosmosMC(r records.Record, _ *rand.Rand) (Example, error) {
	context, question, answers, label, err := cosmosFields(r)
	if err != nil {
		return Example{}, err
	}
	var b strings.Builder
	b.WriteString("Context: " + context + "\nQuestion: " + question)
	for i, a := range answers {
		fmt.Fprintf(&b, "\n%c) %s", 'A'+i, a)
	}
	return Example{Text: b.String(), Label: label, Group: GroupKey(context)}, nil
}

// formatPreference shows the two conversations in a random order; the label
// is the position of the chosen one.
func formatPreference(r records.Record, rng *rand.Rand) (Example, error) {
	chosen, err := r.String("chosen")
	if err != nil {
		return Example{}, err
	}
	rejected, err := r.String("rejected")
	if err != nil {
		return Example{}, err
	}
	if rng.IntN(2) == 0 {
		return Example{Candidates: []string{chosen, rejected}, Label: 0}, nil
	}
	return Example{Candidates: []string{rejected, chosen}, Label: 1}, nil
}

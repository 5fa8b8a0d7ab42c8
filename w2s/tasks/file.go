package tasks

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/w2s-lab/w2s/w2s/records"
)

// FileSpec describes a dataset of your own: JSON Lines (optionally
// gzip-compressed) or Parquet files, read with the same checks as the
// built-in tasks (file and line in every error). Classification takes a
// text field and an integer label field; preference data takes a chosen
// and a rejected field instead.
type FileSpec struct {
	Name  string // task name (default "file:" + the training file's path)
	Train string // the training pool
	// Test is the test set; "" carves CarveTest of the pool out by a hash
	// of each record's content (the same rows for every seed).
	Test      string
	CarveTest float64 // default 0.2 when Test is ""

	TextField, LabelField string // classification (defaults "text", "label")
	// Labels are the class names in label order (0, 1, …). Empty: the
	// classes are read from the data, K = the largest label + 1, and named
	// "0", "1", …, "K−1" (every class must occur).
	Labels     []string
	LabelWords []string // what a language model says for each class (prompting; default the names, lowercased)

	ChosenField, RejectedField string // preference pairs: set both (reward modelling)

	Description string
}

// RegisterFile registers the task a FileSpec describes and returns it.
// Registering the same spec again returns the task already registered;
// another spec under a taken name is an error.
func RegisterFile(spec FileSpec) (*Task, error) {
	if err := spec.resolve(); err != nil {
		return nil, err
	}
	t := &Task{Name: spec.Name, Description: spec.Description, CarveTest: spec.CarveTest,
		Local: Source{TrainFile: spec.Train, TestFile: spec.Test}}
	if t.Description == "" {
		t.Description = "your dataset " + spec.Train
	}
	if t.Local.TestFile != "" {
		t.CarveTest = 0
	}
	var err error
	if spec.ChosenField != "" || spec.RejectedField != "" {
		err = spec.preference(t)
	} else {
		err = spec.classification(t)
	}
	if err != nil {
		return nil, err
	}
	t.spec = &spec
	if old, ok := registry.Lookup(t.Name); ok && old.spec != nil && reflect.DeepEqual(*old.spec, spec) {
		return old, nil
	}
	if err := registry.Add(t.Name, t); err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	return t, nil
}

// resolve checks the files and fills in the defaults. Paths become
// absolute so the spec, which names the task and is compared on
// re-registration, means the same files from any working directory.
func (spec *FileSpec) resolve() error {
	if spec.Train == "" {
		return fmt.Errorf("tasks: a file task needs its training file")
	}
	for _, p := range []*string{&spec.Train, &spec.Test} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		if err := records.CheckRegular(abs); err != nil {
			return fmt.Errorf("tasks: file task: %w", err)
		}
		if !hasSuffix(abs) {
			return fmt.Errorf("tasks: file task: %s: unknown format (want %s)", abs, strings.Join(records.Suffixes, ", "))
		}
		*p = abs
	}
	if spec.Name == "" {
		spec.Name = "file:" + spec.Train
	}
	if spec.Test == "" && spec.CarveTest == 0 {
		spec.CarveTest = 0.2
	}
	if spec.CarveTest < 0 || spec.CarveTest >= 1 {
		return fmt.Errorf("tasks: file task %s: test fraction %g must be in (0, 1)", spec.Name, spec.CarveTest)
	}
	return nil
}

// preference makes t a two-candidate task. The chosen answer goes first or
// second by a coin flip per record, so that "first" is not always right.
func (spec *FileSpec) preference(t *Task) error {
	if spec.ChosenField == "" || spec.RejectedField == "" {
		return fmt.Errorf("tasks: file task %s: preference data needs both the chosen and the rejected field", spec.Name)
	}
	t.Kind, t.Labels, t.LabelWords = Preference, []string{"first", "second"}, []string{"A", "B"}
	chosen, rejected := spec.ChosenField, spec.RejectedField
	t.Framing = fmt.Sprintf("preference: fields %q and %q in random order; label = the position of %q", chosen, rejected, chosen)
	t.Format = func(r records.Record, rng *rand.Rand) (Example, error) {
		c, err := r.String(chosen)
		if err != nil {
			return Example{}, err
		}
		rj, err := r.String(rejected)
		if err != nil {
			return Example{}, err
		}
		if rng.IntN(2) == 0 {
			return Example{Candidates: []string{c, rj}, Label: 0}, nil
		}
		return Example{Candidates: []string{rj, c}, Label: 1}, nil
	}
	return nil
}

// classification makes t a text classification task. The label words,
// what a prompted model answers, default to the class names lowercased.
func (spec *FileSpec) classification(t *Task) error {
	text, label := spec.TextField, spec.LabelField
	if text == "" {
		text = "text"
	}
	if label == "" {
		label = "label"
	}
	if len(spec.Labels) == 0 {
		files := []string{spec.Train}
		if spec.Test != "" {
			files = append(files, spec.Test)
		}
		names, err := InferLabels(label, files...)
		if err != nil {
			return fmt.Errorf("tasks: file task %s: %w", spec.Name, err)
		}
		spec.Labels = names
	}
	if len(spec.Labels) < 2 {
		return fmt.Errorf("tasks: file task %s: name its classes in label order, at least two (--labels neg,pos)", spec.Name)
	}
	words := spec.LabelWords
	if len(words) == 0 {
		for _, l := range spec.Labels {
			words = append(words, strings.ToLower(l))
		}
	}
	if len(words) != len(spec.Labels) {
		return fmt.Errorf("tasks: file task %s: %d label words for %d labels", spec.Name, len(words), len(spec.Labels))
	}
	t.Kind, t.Labels, t.LabelWords, t.Format = Classification, spec.Labels, words, textLabel(text, label)
	t.Framing = fmt.Sprintf("field %q; label = field %q", text, label)
	return nil
}

// Register adds a task defined in code (a notebook cell, say). Its name
// must be new; Format and at least two Labels are required, and its data
// comes from Local (files under a data folder, or TrainFile/TestFile) or HF.
func Register(t *Task) error {
	switch {
	case t == nil || t.Name == "":
		return fmt.Errorf("tasks: a task needs a name")
	case t.Format == nil:
		return fmt.Errorf("tasks: task %s has no Format", t.Name)
	case len(t.Labels) < 2:
		return fmt.Errorf("tasks: task %s needs at least two labels", t.Name)
	case t.Kind != Classification && t.Kind != Preference:
		return fmt.Errorf("tasks: task %s: kind %q (want %s or %s)", t.Name, t.Kind, Classification, Preference)
	}
	if len(t.LabelWords) == 0 {
		t.LabelWords = t.Labels
	}
	if err := registry.Add(t.Name, t); err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	return nil
}

func hasSuffix(path string) bool {
	for _, s := range records.Suffixes {
		if strings.HasSuffix(path, s) {
			return true
		}
	}
	return false
}

// InferLabels reads the integer labels in field of every record of files
// and names the classes they number: "0", "1", …, up to the largest label.
// Every class from 0 up must occur, and at least two: anything else is
// more likely a mistake (labels counted from 1, the wrong field) than a
// class no record has, and is an error saying to name the classes.
func InferLabels(field string, files ...string) ([]string, error) {
	seen := map[int]bool{}
	for _, f := range files {
		i := 0
		err := records.Each(f, func(r records.Record) error {
			i++
			l, err := r.Int(field)
			if err != nil {
				return fmt.Errorf("%s record %d: %w", f, i, err)
			}
			if l < 0 {
				return fmt.Errorf("%s record %d: label %d: classes are numbered from 0", f, i, l)
			}
			if l >= maxInferredClasses {
				return fmt.Errorf("%s record %d: label %d: more than %d classes; name them (--labels) if that is meant", f, i, l, maxInferredClasses)
			}
			seen[l] = true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	k := 0
	for l := range seen {
		k = max(k, l+1)
	}
	var names, missing []string
	for l := range k {
		names = append(names, strconv.Itoa(l))
		if !seen[l] {
			missing = append(missing, strconv.Itoa(l))
		}
	}
	switch {
	case len(missing) > 0:
		return nil, fmt.Errorf("no record of %s has label %s of the classes 0…%d that field %q numbers (labels counted from 1?): name the classes in label order (--labels), the class of label 0 first", strings.Join(files, ", "), strings.Join(missing, ", "), k-1, field)
	case k < 2:
		return nil, fmt.Errorf("every record of %s has label 0 in field %q: a task needs two classes at least", strings.Join(files, ", "), field)
	}
	return names, nil
}

// maxInferredClasses bounds the classes read from the data.
const maxInferredClasses = 1000

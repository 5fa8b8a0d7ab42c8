package slurm

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/w2s-lab/w2s/w2s/losses"
)

// The kinds of unit.
const (
	Supervise = "supervise" // a weak supervisor and its weak labels
	Student   = "student"   // a strong student on a supervisor's weak labels, evaluated
	Ceiling   = "ceiling"   // a strong model on gold labels, evaluated
)

// Unit is one unit of a sweep: what one array task runs, as
// `w2s sweep unit` followed by its Args.
type Unit struct {
	Kind   string // Supervise, Student or Ceiling
	Task   string // a task name, or file:PATH for a dataset of one's own
	Scale  string
	Probe  bool
	Seed   uint64
	Weak   string      // the supervisor (Supervise, Student)
	Strong string      // the student or ceiling model (Student, Ceiling)
	Loss   losses.Spec // the student's loss (Student)
	File   FileTask    // how a file task is read (file:PATH tasks)
	Train  Training    // how models train, where the sweep changed it
}

// Training is how a sweep's models train where its flags change the
// scale's defaults: a unit must train as the sweep would in one process,
// or its stages would not be the ones the sweep collects.
type Training struct {
	Head     string // --head: last or mean ("": the scale's)
	Shuffled bool   // --shuffled-batches
}

// FileTask is how a dataset of one's own is read: the file flags of
// `w2s sweep` a unit passes on ("" or nil: not given).
type FileTask struct {
	Test                                              string // --test-file (an absolute path: tasks may start anywhere)
	TextField, LabelField, ChosenField, RejectedField string
	Labels, LabelWords                                []string
}

// fileFlags are FileTask's flags in the order Args writes them.
func (ft *FileTask) fileFlags() []struct {
	name  string
	value *string
	list  *[]string
} {
	return []struct {
		name  string
		value *string
		list  *[]string
	}{
		{"--test-file", &ft.Test, nil}, {"--text-field", &ft.TextField, nil}, {"--label-field", &ft.LabelField, nil},
		{"--chosen-field", &ft.ChosenField, nil}, {"--rejected-field", &ft.RejectedField, nil},
		{"--labels", nil, &ft.Labels}, {"--label-words", nil, &ft.LabelWords},
	}
}

// Args are the arguments of `w2s sweep unit` that run u: the kind, then
// flags (--task NAME, or --task-file PATH for file:PATH; --scale, --probe,
// --head, --shuffled-batches, --seeds, --weak, --strong, --loss, and the
// file flags), each given only when set. ParseUnit reads them back.
func (u Unit) Args() []string {
	args := []string{u.Kind}
	if path, ok := strings.CutPrefix(u.Task, "file:"); ok {
		// A path may hold commas, which --task would split at.
		args = append(args, "--task-file", path)
	} else {
		args = append(args, "--task", u.Task)
	}
	if u.Scale != "" {
		args = append(args, "--scale", u.Scale)
	}
	if u.Probe {
		args = append(args, "--probe")
	}
	if u.Train.Head != "" {
		args = append(args, "--head", u.Train.Head)
	}
	if u.Train.Shuffled {
		args = append(args, "--shuffled-batches")
	}
	args = append(args, "--seeds", strconv.FormatUint(u.Seed, 10))
	for _, f := range []struct{ name, value string }{{"--weak", u.Weak}, {"--strong", u.Strong}, {"--loss", string(u.Loss)}} {
		if f.value != "" {
			args = append(args, f.name, f.value)
		}
	}
	ft := u.File
	for _, f := range ft.fileFlags() {
		v := ""
		if f.value != nil {
			v = *f.value
		} else {
			v = csvList(*f.list)
		}
		if v != "" {
			args = append(args, f.name, v)
		}
	}
	return args
}

// ParseUnit reads a unit back from its Args. It refuses a flag it does
// not know, one given twice, a unit without a task or seed, and a kind
// without the models it needs; a student without --loss trains with xent.
func ParseUnit(args []string) (Unit, error) {
	var u Unit
	if len(args) == 0 {
		return u, fmt.Errorf("a unit: want supervise, student or ceiling, then its flags")
	}
	u.Kind = args[0]
	switch u.Kind {
	case Supervise, Student, Ceiling:
	default:
		return u, fmt.Errorf("unknown unit %q (want supervise, student or ceiling)", u.Kind)
	}
	values := map[string]*string{"--task": new(string), "--task-file": new(string), "--scale": &u.Scale, "--seeds": new(string),
		"--weak": &u.Weak, "--strong": &u.Strong, "--loss": (*string)(&u.Loss), "--head": &u.Train.Head}
	lists := map[string]*[]string{}
	for _, f := range u.File.fileFlags() {
		if f.value != nil {
			values[f.name] = f.value
		} else {
			lists[f.name] = f.list
		}
	}
	seen := map[string]bool{}
	for i := 1; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		if seen[name] {
			return u, fmt.Errorf("unit: %s given twice", name)
		}
		seen[name] = true
		if name == "--probe" && !hasValue {
			u.Probe = true
			continue
		}
		if name == "--shuffled-batches" && !hasValue {
			u.Train.Shuffled = true
			continue
		}
		p, list := values[name], lists[name]
		if p == nil && list == nil {
			return u, fmt.Errorf("unit: unknown argument %q", args[i])
		}
		if !hasValue {
			if i+1 == len(args) {
				return u, fmt.Errorf("unit: %s needs a value", name)
			}
			i++
			value = args[i]
		}
		if p != nil {
			*p = value
			continue
		}
		xs, err := csv.NewReader(strings.NewReader(value)).Read()
		if err != nil {
			return u, fmt.Errorf("unit: %s %q: %w", name, value, err)
		}
		*list = xs
	}
	switch task, file := *values["--task"], *values["--task-file"]; {
	case seen["--task"] && seen["--task-file"]:
		return u, fmt.Errorf("unit: --task and --task-file: a unit runs one task")
	case task != "":
		u.Task = task
	case file != "":
		u.Task = "file:" + file
	default:
		return u, fmt.Errorf("unit: no --task or --task-file")
	}
	if !seen["--seeds"] {
		return u, fmt.Errorf("a unit runs one seed: --seeds N")
	}
	seed, err := strconv.ParseUint(*values["--seeds"], 10, 64)
	if err != nil {
		return u, fmt.Errorf("a unit runs one seed: --seeds %q: %w", *values["--seeds"], err)
	}
	u.Seed = seed
	if (u.Kind == Supervise || u.Kind == Student) && u.Weak == "" {
		return u, fmt.Errorf("unit %s: no --weak", u.Kind)
	}
	if (u.Kind == Student || u.Kind == Ceiling) && u.Strong == "" {
		return u, fmt.Errorf("unit %s: no --strong", u.Kind)
	}
	if u.Kind == Student && u.Loss == "" {
		u.Loss = "xent"
	}
	return u, nil
}

// csvList writes a list as one CSV record, so that a name may hold a
// comma (a string-slice flag reads it back).
func csvList(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(xs)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

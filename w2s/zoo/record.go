package zoo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/w2s-lab/w2s/w2s/internal/checksum"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/train"
)

// RecordFile is the build record in each model folder.
const RecordFile = "build.json"

// Record says how a model was built, and the sha256 of each file.
type Record struct {
	Name, Scale          string
	Layers, Width, Heads int
	Context, Vocab       int
	Params               int
	NonEmbeddingParams   int
	Steps, Tokens        int
	Batch                int
	LR                   float64
	Recipe               Scale
	Mixture              map[string]float64 // each corpus's share of the training bytes
	Passes               float64            // how many times this size read the training documents
	ValidLoss            float64            // nats per token on the held-out stream
	ValidBitsPerByte     float64            // the same, per byte of text (comparable across tokenizers)
	TrainLoss            float64            // mean over the last tenth of the steps
	Curve                []train.Point
	WallSeconds          float64
	Machine              Machine
	Command              string
	Commit               string
	Created              string
	DataFiles            map[string]string // data file (relative to its data folder) → sha256
	Files                map[string]string // file of this folder → sha256
}

// Compute is the model's pretraining compute as the ladder measures it:
// non-embedding parameters × pretraining tokens (the paper's axis, up to
// the constant 6 of training FLOPs).
func (r *Record) Compute() float64 { return float64(r.NonEmbeddingParams) * float64(r.Tokens) }

// Machine describes where a build ran.
type Machine struct {
	Host, CPU, OS, Go, GoMLX, Backend, Device string
	CPUs, GOMAXPROCS                          int
}

// BuildDir is where `w2s zoo build` puts a scale's ladder.
func BuildDir(scale string) string { return filepath.Join(paths.Cache(), "zoo", scale) }

// ReadRecord reads dir/build.json.
func ReadRecord(dir string) (*Record, error) {
	raw, err := os.ReadFile(filepath.Join(dir, RecordFile))
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, RecordFile), err)
	}
	return &r, nil
}

// Verify checks the files of a model folder against its build record,
// reading every file.
func Verify(dir string) error {
	rec, err := ReadRecord(dir)
	if err != nil {
		return err
	}
	return describeMismatch(dir, verifyFiles(dir, rec, fullSum), "its build record",
		"the files are corrupt or were changed; rebuild it (w2s zoo build) or restore them")
}

// fullSum reads a whole file for its sha256.
func fullSum(p string) (string, error) { s, _, err := checksum.File(p); return s, err }

// verifyFiles compares the files of dir with the sha256 rec lists for
// them, and returns one line per file that differs or cannot be read.
func verifyFiles(dir string, rec *Record, sum func(string) (string, error)) []string {
	if len(rec.Files) == 0 {
		return []string{"the build record lists no files"}
	}
	var bad []string
	for f, want := range rec.Files {
		got, err := sum(filepath.Join(dir, f))
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", f, err))
		} else if got != want {
			bad = append(bad, fmt.Sprintf("%s: sha256 %s, record says %s", f, short(got), short(want)))
		}
	}
	sort.Strings(bad)
	return bad
}

func short(sum string) string { return sum[:min(12, len(sum))] }

// describeMismatch is nil when bad is empty, else an error saying that dir
// does not match the record (named by against) and how to repair it.
func describeMismatch(dir string, bad []string, against, repair string) error {
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s does not match %s (%s): %s", dir, against, strings.Join(bad, "; "), repair)
}

package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/internal/checksum"
	"github.com/w2s-lab/w2s/w2s/safetensors"
)

// Files of the resumable state in Config.Dir. Each save writes its tensors
// to a new file, trainer_state-<steps>.safetensors, then the JSON naming
// that file and its SHA-256 (atomically), and only then removes older
// tensor files: a save interrupted at any point leaves the previous pair
// intact, and a mismatched pair is detected rather than silently mixed.
const (
	StateJSON = "trainer_state.json"
	// StateTensors is the tensors file of format revision 1, read for
	// states saved by older builds.
	StateTensors = "trainer_state.safetensors"
)

type stateRecord struct {
	Config         Config  `json:"config"`
	Steps          int     `json:"steps"`
	Curve          []Point `json:"curve"`
	TensorsFile    string  `json:"tensors_file,omitempty"` // revision 2
	TensorsSHA256  string  `json:"tensors_sha256"`
	NumVariables   int     `json:"num_variables"`
	FormatRevision int     `json:"format_revision"`
}

const formatRevision = 2

// saveHook, when set (tests), runs between writing a save's tensors and its
// JSON: the kill point that used to leave a mismatched pair.
var saveHook func(steps int)

func tensorsFile(steps int) string { return fmt.Sprintf("trainer_state-%07d.safetensors", steps) }

var dtypeNames = map[dtypes.DType]safetensors.DType{
	dtypes.Float32: safetensors.F32, dtypes.Float64: safetensors.F64,
	dtypes.Int32: safetensors.I32, dtypes.Int64: safetensors.I64, dtypes.Uint64: safetensors.U64,
}

// save writes every variable of the context (model, optimizer, RNG) and the
// curve so far.
func (t *Trainer) save(curve []Point) error {
	if err := os.MkdirAll(t.cfg.Dir, 0o755); err != nil {
		return err
	}
	var ts []safetensors.Tensor
	for v := range t.Ctx.IterVariables() {
		val, err := v.Value()
		if err != nil {
			return fmt.Errorf("train: save %s: %w", v.ScopeAndName(), err)
		}
		dt, ok := dtypeNames[val.DType()]
		if !ok {
			return fmt.Errorf("train: save %s: unsupported dtype %s", v.ScopeAndName(), val.DType())
		}
		var data []byte
		if err := val.ConstBytes(func(b []byte) { data = append([]byte(nil), b...) }); err != nil {
			return err
		}
		ts = append(ts, safetensors.Tensor{Name: v.ScopeAndName(), DType: dt, Shape: val.Shape().Dimensions, Data: data})
	}
	name := tensorsFile(len(curve))
	h := sha256.New()
	err := atomicfile.Write(filepath.Join(t.cfg.Dir, name), func(w io.Writer) error {
		return safetensors.Encode(io.MultiWriter(w, h), ts, nil)
	})
	if err != nil {
		return err
	}
	if saveHook != nil {
		saveHook(len(curve))
	}
	rec := stateRecord{Config: t.cfg, Steps: len(curve), Curve: curve, TensorsFile: name, TensorsSHA256: hex.EncodeToString(h.Sum(nil)),
		NumVariables: len(ts), FormatRevision: formatRevision}
	js, err := json.MarshalIndent(rec, "", " ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(t.cfg.Dir, StateJSON), js); err != nil {
		return err
	}
	// The new pair is in place: older tensor files can go.
	old, _ := filepath.Glob(filepath.Join(t.cfg.Dir, "trainer_state*.safetensors"))
	for _, f := range old {
		if filepath.Base(f) != name {
			os.Remove(f)
		}
	}
	return nil
}

// restore loads state from Config.Dir when there is some, and returns the
// curve it holds (nil for a fresh run).
func (t *Trainer) restore() ([]Point, error) {
	jsPath := filepath.Join(t.cfg.Dir, StateJSON)
	raw, err := os.ReadFile(jsPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec stateRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("train: resume from %s: %w", jsPath, err)
	}
	if rec.FormatRevision != formatRevision && rec.FormatRevision != 1 {
		return nil, fmt.Errorf("train: resume from %s: format revision %d, this build reads 1 and %d", jsPath, rec.FormatRevision, formatRevision)
	}
	mine, theirs := t.cfg, rec.Config
	mine.SaveEvery, theirs.SaveEvery = 0, 0 // how often we save does not change the run
	if mine != theirs {
		return nil, fmt.Errorf("train: %s holds state of a different run (config %+v, this run %+v); remove the folder to start afresh", t.cfg.Dir, rec.Config, t.cfg)
	}
	path := filepath.Join(t.cfg.Dir, StateTensors)
	if rec.FormatRevision >= 2 {
		if rec.TensorsFile == "" || filepath.Base(rec.TensorsFile) != rec.TensorsFile {
			return nil, fmt.Errorf("train: resume from %s: bad tensors file name %q", jsPath, rec.TensorsFile)
		}
		path = filepath.Join(t.cfg.Dir, rec.TensorsFile)
	}
	sum, _, err := checksum.File(path)
	if err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	if sum != rec.TensorsSHA256 {
		return nil, fmt.Errorf("train: resume: %s does not match the checksum in %s (an interrupted save?)", path, jsPath)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	defer f.Close()
	if len(f.Tensors) != rec.NumVariables {
		return nil, fmt.Errorf("train: resume: %s holds %d variables, record says %d", path, len(f.Tensors), rec.NumVariables)
	}
	seen := 0
	for v := range t.Ctx.IterVariables() {
		info, data, err := f.Bytes(v.ScopeAndName())
		if err != nil {
			return nil, fmt.Errorf("train: resume: variable %s: %w", v.ScopeAndName(), err)
		}
		if dtypeNames[v.DType()] != info.DType || !shapes.Make(v.DType(), info.Shape...).Equal(v.Shape()) {
			return nil, fmt.Errorf("train: resume: variable %s is %s%v in %s, the model has %s", v.ScopeAndName(), info.DType, info.Shape, path, v.Shape())
		}
		val := tensors.FromShape(v.Shape())
		if err := val.MutableBytes(func(b []byte) { copy(b, data) }); err != nil {
			return nil, err
		}
		if err := v.SetValue(val); err != nil {
			return nil, err
		}
		seen++
	}
	if seen != len(f.Tensors) {
		return nil, fmt.Errorf("train: resume: %s holds %d variables, the context %d", path, len(f.Tensors), seen)
	}
	if len(rec.Curve) != rec.Steps {
		return nil, fmt.Errorf("train: resume: %s records %d steps but a curve of %d", jsPath, rec.Steps, len(rec.Curve))
	}
	return rec.Curve, nil
}

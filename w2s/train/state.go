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
	"strings"

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
//
// The pair of the save before stays too (StatePrevJSON names it): when the
// last save's files are found damaged (truncated, changed), training
// resumes from the one before, and says so; with neither usable it starts
// afresh, and says so.
const (
	StateJSON = "trainer_state.json"
	// StatePrevJSON is the JSON of the save before the last.
	StatePrevJSON = "trainer_state.prev.json"
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
	// The pair in place becomes the previous one (unless this save replaced
	// its tensors file: saved twice at one step).
	jsPath, prevPath := filepath.Join(t.cfg.Dir, StateJSON), filepath.Join(t.cfg.Dir, StatePrevJSON)
	if raw, err := os.ReadFile(jsPath); err == nil {
		var cur stateRecord
		if json.Unmarshal(raw, &cur) == nil && cur.TensorsFile != "" && cur.TensorsFile != name {
			if err := atomicfile.WriteBytes(prevPath, raw); err != nil {
				return err
			}
		}
	}
	rec := stateRecord{Config: t.cfg, Steps: len(curve), Curve: curve, TensorsFile: name, TensorsSHA256: hex.EncodeToString(h.Sum(nil)),
		NumVariables: len(ts), FormatRevision: formatRevision}
	js, err := json.MarshalIndent(rec, "", " ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(jsPath, js); err != nil {
		return err
	}
	// The new pair is in place: tensor files of neither pair can go.
	keep := map[string]bool{name: true}
	if raw, err := os.ReadFile(prevPath); err == nil {
		var prev stateRecord
		if json.Unmarshal(raw, &prev) == nil {
			keep[prev.TensorsFile] = true
		}
	}
	old, _ := filepath.Glob(filepath.Join(t.cfg.Dir, "trainer_state*.safetensors"))
	for _, f := range old {
		if !keep[filepath.Base(f)] {
			os.Remove(f)
		}
	}
	return nil
}

// errDamaged marks a saved state whose files cannot be used (truncated,
// changed, missing): resuming falls back to the save before.
var errDamaged = errors.New("damaged")

// restore loads state from Config.Dir when there is some, and returns the
// curve it holds (nil for a fresh run): the last save, else, when its files
// are damaged, the save before, else nothing; a fallback is reported on
// the trainer's Log. Another run's state, or a format this build does not
// read, is an error.
func (t *Trainer) restore() ([]Point, error) {
	log := t.Log
	if log == nil {
		log = os.Stderr
	}
	var damaged []string
	for _, name := range []string{StateJSON, StatePrevJSON} {
		st, err := t.readState(filepath.Join(t.cfg.Dir, name))
		if errors.Is(err, os.ErrNotExist) && name == StateJSON {
			if _, perr := os.Stat(filepath.Join(t.cfg.Dir, StatePrevJSON)); perr != nil {
				return nil, nil // a fresh run
			}
		}
		if errors.Is(err, errDamaged) || errors.Is(err, os.ErrNotExist) {
			damaged = append(damaged, err.Error())
			continue
		}
		if err != nil {
			return nil, err
		}
		defer st.f.Close()
		if len(damaged) > 0 {
			fmt.Fprintf(log, "train: %s; resuming from the save before, at step %d of %d\n", damaged[0], st.rec.Steps, t.cfg.Steps)
		}
		if err := t.apply(st); err != nil {
			return nil, err
		}
		return st.rec.Curve, nil
	}
	fmt.Fprintf(log, "train: no saved state in %s can be used (%s): starting afresh\n", t.cfg.Dir, strings.Join(damaged, "; "))
	return nil, nil
}

// savedState is a save checked for use: its record and its tensors file,
// open.
type savedState struct {
	rec  stateRecord
	path string
	f    *safetensors.File
}

// readState reads and checks the save whose JSON is jsPath without
// touching the model: damage is an error wrapping errDamaged (or
// os.ErrNotExist), another run's state a plain error.
func (t *Trainer) readState(jsPath string) (*savedState, error) {
	raw, err := os.ReadFile(jsPath)
	if err != nil {
		return nil, err
	}
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("%w state: "+format, append([]any{errDamaged}, args...)...)
	}
	var rec stateRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, damaged("%s: %v", jsPath, err)
	}
	if rec.FormatRevision != formatRevision && rec.FormatRevision != 1 {
		return nil, fmt.Errorf("train: resume from %s: format revision %d, this build reads 1 and %d", jsPath, rec.FormatRevision, formatRevision)
	}
	mine, theirs := t.cfg, rec.Config
	mine.SaveEvery, theirs.SaveEvery = 0, 0 // how often we save does not change the run
	if mine != theirs {
		return nil, fmt.Errorf("train: %s holds state of a different run (config %+v, this run %+v); remove the folder to start afresh", t.cfg.Dir, rec.Config, t.cfg)
	}
	if len(rec.Curve) != rec.Steps {
		return nil, damaged("%s records %d steps but a curve of %d", jsPath, rec.Steps, len(rec.Curve))
	}
	path := filepath.Join(t.cfg.Dir, StateTensors)
	if rec.FormatRevision >= 2 {
		if rec.TensorsFile == "" || filepath.Base(rec.TensorsFile) != rec.TensorsFile {
			return nil, damaged("%s: bad tensors file name %q", jsPath, rec.TensorsFile)
		}
		path = filepath.Join(t.cfg.Dir, rec.TensorsFile)
	}
	sum, _, err := checksum.File(path)
	if err != nil {
		return nil, damaged("%v", err)
	}
	if sum != rec.TensorsSHA256 {
		return nil, damaged("%s does not match the checksum in %s (truncated or changed)", path, jsPath)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, damaged("%v", err)
	}
	if len(f.Tensors) != rec.NumVariables {
		f.Close()
		return nil, damaged("%s holds %d variables, record says %d", path, len(f.Tensors), rec.NumVariables)
	}
	seen := 0
	for v := range t.Ctx.IterVariables() {
		info, ok := f.Tensor(v.ScopeAndName())
		if !ok {
			f.Close()
			return nil, fmt.Errorf("train: resume: %s has no variable %s: state of another model", path, v.ScopeAndName())
		}
		if dtypeNames[v.DType()] != info.DType || !shapes.Make(v.DType(), info.Shape...).Equal(v.Shape()) {
			f.Close()
			return nil, fmt.Errorf("train: resume: variable %s is %s%v in %s, the model has %s", v.ScopeAndName(), info.DType, info.Shape, path, v.Shape())
		}
		seen++
	}
	if seen != len(f.Tensors) {
		f.Close()
		return nil, fmt.Errorf("train: resume: %s holds %d variables, the context %d", path, len(f.Tensors), seen)
	}
	return &savedState{rec: rec, path: path, f: f}, nil
}

// apply sets every variable of the context from a checked save.
func (t *Trainer) apply(st *savedState) error {
	for v := range t.Ctx.IterVariables() {
		_, data, err := st.f.Bytes(v.ScopeAndName())
		if err != nil {
			return fmt.Errorf("train: resume: variable %s: %w", v.ScopeAndName(), err)
		}
		val := tensors.FromShape(v.Shape())
		if err := val.MutableBytes(func(b []byte) { copy(b, data) }); err != nil {
			return err
		}
		if err := v.SetValue(val); err != nil {
			return err
		}
	}
	return nil
}

package zoo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/hub"
	"github.com/w2s-lab/w2s/w2s/internal/checksum"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

// LadderDirs are the folders searched for a scale's ladder, in order:
// $W2S_ZOO_DIR/<scale>, the cache (what `w2s zoo build` made), the ladder
// shipped inside the program (see ShippedDir).
func LadderDirs(scale string) []string {
	var dirs []string
	for _, l := range ladders(scale) {
		dirs = append(dirs, l.dir)
	}
	return dirs
}

// origin says where a ladder folder comes from, which decides the record
// its models are checked against and how a mismatch is repaired.
type origin int

const (
	fromZooDir  origin = iota // $W2S_ZOO_DIR/<scale>
	fromBuild                 // the cache's zoo/<scale>, made by w2s zoo build
	fromShipped               // compiled into this program, extracted into the cache
)

type ladderDir struct {
	dir  string
	from origin
}

func ladders(scale string) []ladderDir {
	var out []ladderDir
	if d := os.Getenv("W2S_ZOO_DIR"); d != "" {
		out = append(out, ladderDir{filepath.Join(d, scale), fromZooDir})
	}
	out = append(out, ladderDir{BuildDir(scale), fromBuild})
	if d := ShippedDir(scale); d != "" {
		out = append(out, ladderDir{d, fromShipped})
	}
	return out
}

// locate finds the folder of a ladder model: the first ladder folder that
// holds a build record for it. It returns the ladder folder too, and the
// folders looked in.
func locate(scale, size string) (l ladderDir, dir string, looked []string, ok bool) {
	for _, l := range ladders(scale) {
		dir := filepath.Join(l.dir, size)
		looked = append(looked, dir)
		if _, err := os.Stat(filepath.Join(dir, RecordFile)); err == nil {
			return l, dir, looked, true
		}
	}
	return ladderDir{}, "", looked, false
}

// checkLadderModel verifies the model size of scale found in dir, a
// folder of ladder l, with sum computing each file's sha256. A model of the
// shipped ladder must match the build record compiled into this program
// (build.json included); any other must match its own build record, and
// that record must be of this scale and size. The error says what differs
// and how to repair it.
func checkLadderModel(l ladderDir, dir, scale, size string, sum func(string) (string, error)) error {
	name := Name(scale, size)
	var repair string
	switch l.from {
	case fromShipped:
		rec, recSum, ok := ShippedRecord(scale, size)
		if !ok {
			return fmt.Errorf("%s: this program ships no %s, yet the folder of its extracted ladder has it: remove %s and the next command extracts the ladder again", dir, name, l.dir)
		}
		bad := verifyFiles(dir, rec, sum)
		if got, err := sum(filepath.Join(dir, RecordFile)); err != nil || got != recSum {
			bad = append(bad, RecordFile+": not the build record of "+name)
		}
		return describeMismatch(dir, bad, "the build record of "+name+" compiled into this program",
			fmt.Sprintf("the extracted files were changed or replaced; remove %s and the next command extracts them again from this program", l.dir))
	case fromBuild:
		repair = fmt.Sprintf("rebuild it: w2s zoo build --scale %s --sizes %s", scale, size)
	default:
		repair = "restore the files from where the ladder was built, or unset W2S_ZOO_DIR to use the ladder built here or shipped"
	}
	rec, err := ReadRecord(dir)
	if err != nil {
		return fmt.Errorf("%w: %s", err, repair)
	}
	if rec.Name != size || rec.Scale != scale {
		return fmt.Errorf("%s holds the build record of %s, not of %s: the folder was replaced or copied; %s", dir, Name(rec.Scale, rec.Name), name, repair)
	}
	return describeMismatch(dir, verifyFiles(dir, rec, sum), "its build record", "the files are corrupt or were changed; "+repair)
}

// HFModels are the Hugging Face GPT-2 checkpoints that can be named.
var HFModels = []string{"openai-community/gpt2", "openai-community/gpt2-medium", "openai-community/gpt2-large", "openai-community/gpt2-xl"}

// Resolve turns a model name into a checkpoint folder:
//
//	zoo/SIZE, zoo/SCALE/SIZE   a ladder model (active scale: $W2S_SCALE, else cpu)
//	a folder path              a local checkpoint in the HF layout
//	org/name (an HF id)        downloaded into the cache on first use
func Resolve(ctx context.Context, name string) (string, error) {
	if rest, ok := strings.CutPrefix(name, "zoo/"); ok {
		scale, size := ActiveScale(), rest
		if a, b, ok := strings.Cut(rest, "/"); ok {
			scale, size = a, b
		}
		s, err := GetScale(scale)
		if err != nil {
			return "", err
		}
		if _, err := s.Size(size); err != nil {
			return "", err
		}
		l, dir, looked, ok := locate(s.Name, size)
		if !ok {
			return "", fmt.Errorf("%s is not built: looked in %s (run `w2s zoo build --scale %s`)", name, strings.Join(looked, ", "), scale)
		}
		// Checksums remembered by size and modification time
		// (checksum.Cached): cheap enough for every load.
		if err := checkLadderModel(l, dir, s.Name, size, checksum.Cached); err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return dir, nil
	}
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		if _, err := os.Stat(filepath.Join(name, checkpoint.ConfigFile)); err != nil {
			return "", fmt.Errorf("%s has no %s: not a checkpoint folder", name, checkpoint.ConfigFile)
		}
		if _, err := os.Stat(filepath.Join(name, RecordFile)); err == nil {
			rec, err := ReadRecord(name)
			if err != nil {
				return "", err
			}
			if err := describeMismatch(name, verifyFiles(name, rec, checksum.Cached), "its build record",
				"the files are corrupt or were changed; restore them"); err != nil {
				return "", err
			}
		}
		return name, nil
	}
	if strings.Count(name, "/") == 1 && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "/") {
		return DownloadHF(ctx, hub.FromEnv(), name)
	}
	return "", fmt.Errorf("unknown model %q: want zoo/SIZE, a checkpoint folder, or a Hugging Face id like %s", name, HFModels[0])
}

// DownloadHF fetches a GPT-2 checkpoint (config.json, model.safetensors and,
// when the repository has it, tokenizer.json) into the cache, unless it is
// already there. Each file is downloaded atomically.
func DownloadHF(ctx context.Context, c *hub.Client, repo string) (string, error) {
	dir := filepath.Join(paths.Cache(), "models", filepath.FromSlash(repo))
	files := []struct {
		name     string
		required bool
	}{{checkpoint.ConfigFile, true}, {checkpoint.WeightsFile, true}, {tokenizer.FileName, false}}
	for _, f := range files {
		dest := filepath.Join(dir, f.name)
		if _, err := os.Stat(dest); err == nil {
			continue
		}
		if c.Progress == nil {
			c.Progress = os.Stderr
		}
		err := c.Download(ctx, c.ModelFileURL(repo, "", f.name), dest)
		if err != nil && (f.required || errors.Is(err, hub.ErrOffline)) {
			return "", fmt.Errorf("model %s: %w", repo, err)
		}
	}
	return dir, nil
}

// Load resolves name and loads its model (with opts) and tokenizer.
func Load(ctx context.Context, name string, opts checkpoint.LoadOptions) (*model.Model, tokenizer.Tokenizer, error) {
	dir, err := Resolve(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	return LoadDir(dir, opts)
}

// LoadDir loads the checkpoint in dir (with opts) and its tokenizer.
func LoadDir(dir string, opts checkpoint.LoadOptions) (*model.Model, tokenizer.Tokenizer, error) {
	m, err := checkpoint.Load(dir, opts)
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenizer.ForModel(dir, m.Config.VocabSize)
	if err != nil {
		return nil, nil, err
	}
	return m, tok, nil
}

// Entry is one model of a ladder listing.
type Entry struct {
	Size   Size
	Dir    string // "" when not built, or when it fails verification (Err)
	Record *Record
	Err    error // the model was found but fails verification: what differs, and how to repair it
}

// List describes each size of a scale's ladder: where it was found (in
// ladder, or where Resolve looks when ladder is "") and its build record.
// Where Resolve looks, a model that fails its checks (the cached checksums
// of Resolve) has no Dir or Record, and Err says why.
func List(ctx context.Context, scale, ladder string) ([]Entry, error) {
	return list(scale, ladder, checksum.Cached)
}

func list(scale, ladder string, sum func(string) (string, error)) ([]Entry, error) {
	s, err := GetScale(scale)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, z := range s.Sizes {
		e := Entry{Size: z}
		if ladder != "" {
			dir := filepath.Join(ladder, z.Name)
			if _, err := os.Stat(filepath.Join(dir, RecordFile)); err == nil {
				e.Dir = dir
				e.Record, e.Err = ReadRecord(dir)
			}
		} else if l, dir, _, ok := locate(s.Name, z.Name); ok {
			if e.Err = checkLadderModel(l, dir, s.Name, z.Name, sum); e.Err == nil {
				e.Dir = dir
				e.Record, e.Err = ReadRecord(dir)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// VerifyLadder checks every model of a scale's ladder, where Resolve finds
// it, reading every file: a model of the ladder shipped in this program
// against the build record compiled into it, any other against its own
// build record. It returns the entries that pass, and the failures joined:
// a model that is not built, or whose files do not match (what differs,
// and how to repair it).
func VerifyLadder(ctx context.Context, scale string) ([]Entry, error) {
	entries, err := list(scale, "", fullSum)
	if err != nil {
		return nil, err
	}
	var ok []Entry
	var errs []error
	for _, e := range entries {
		switch {
		case e.Err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", e.Size.Name, e.Err))
		case e.Dir == "":
			errs = append(errs, fmt.Errorf("%s: not built", e.Size.Name))
		default:
			ok = append(ok, e)
		}
	}
	return ok, errors.Join(errs...)
}

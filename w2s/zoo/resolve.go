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
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

// LadderDirs are the folders searched for a scale's ladder, in order:
// $W2S_ZOO_DIR/<scale>, the cache (what `w2s zoo build` made), the ladder
// shipped inside the program (see ShippedDir).
func LadderDirs(scale string) []string {
	var dirs []string
	if d := os.Getenv("W2S_ZOO_DIR"); d != "" {
		dirs = append(dirs, filepath.Join(d, scale))
	}
	dirs = append(dirs, BuildDir(scale))
	if d := ShippedDir(scale); d != "" {
		dirs = append(dirs, d)
	}
	return dirs
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
		var looked []string
		for _, d := range LadderDirs(scale) {
			dir := filepath.Join(d, size)
			looked = append(looked, dir)
			if _, err := os.Stat(filepath.Join(dir, RecordFile)); err == nil {
				if err := verifyCached(dir); err != nil {
					return "", fmt.Errorf("%s: %w", name, err)
				}
				return dir, nil
			}
		}
		return "", fmt.Errorf("%s is not built: looked in %s (run `w2s zoo build --scale %s`)", name, strings.Join(looked, ", "), scale)
	}
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		if _, err := os.Stat(filepath.Join(name, checkpoint.ConfigFile)); err != nil {
			return "", fmt.Errorf("%s has no %s: not a checkpoint folder", name, checkpoint.ConfigFile)
		}
		if _, err := os.Stat(filepath.Join(name, RecordFile)); err == nil {
			if err := verifyCached(name); err != nil {
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
	Dir    string // "" when not built
	Record *Record
	Err    error // a verification failure
}

// List describes each size of a scale's ladder: where it was found (in
// ladder, or by Resolve when ladder is "") and its build record.
func List(ctx context.Context, scale, ladder string) ([]Entry, error) {
	s, err := GetScale(scale)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, z := range s.Sizes {
		e := Entry{Size: z}
		dir := filepath.Join(ladder, z.Name)
		if ladder == "" {
			dir, err = Resolve(ctx, "zoo/"+s.Name+"/"+z.Name)
		} else {
			_, err = os.Stat(filepath.Join(dir, RecordFile))
		}
		if err == nil {
			e.Dir = dir
			e.Record, e.Err = ReadRecord(dir)
		}
		out = append(out, e)
	}
	return out, nil
}

// VerifyLadder checks every model of a scale's ladder, where List finds
// it, against the sha256 of each file in its build record. It returns the
// entries that pass, and the failures joined: a model that is not built
// or whose files do not match.
func VerifyLadder(ctx context.Context, scale string) ([]Entry, error) {
	entries, err := List(ctx, scale, "")
	if err != nil {
		return nil, err
	}
	var ok []Entry
	var errs []error
	for _, e := range entries {
		if e.Dir == "" {
			errs = append(errs, fmt.Errorf("%s: not built", e.Size.Name))
			continue
		}
		if err := Verify(e.Dir); err != nil {
			errs = append(errs, err)
			continue
		}
		ok = append(ok, e)
	}
	return ok, errors.Join(errs...)
}

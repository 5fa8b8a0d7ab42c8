package slurm

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
)

// EnvVars are the variables of the submitting shell that every array task
// gets when they are set: where the data, the backend, its plugin, the
// venv and the ladder are.
var EnvVars = []string{"W2S_DATA", "W2S_BACKEND", "GOMLX_BACKEND", "W2S_VENV", "W2S_ZOO_DIR", "PJRT_PLUGIN_LIBRARY_PATH", "XLA_FLAGS"}

// Env is the environment every array task runs with: W2S_CACHE (the
// store), W2S_SCALE, and those of EnvVars set here. The store and the
// data are made absolute, since array tasks may start in another folder.
func Env(cache, scale string) (map[string]string, error) {
	env := map[string]string{"W2S_CACHE": cache, "W2S_SCALE": scale}
	for _, k := range EnvVars {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	for _, k := range []string{"W2S_CACHE", "W2S_DATA"} {
		if v := env[k]; v != "" && !filepath.IsAbs(v) {
			abs, err := filepath.Abs(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			env[k] = abs
		}
	}
	return env, nil
}

// CopyExecutable copies the executable src to dst (atomically, mode
// 0755): array tasks run a copy, since the submitting one may be a
// temporary file (go run) that is gone when the command returns.
func CopyExecutable(src, dst string) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(dst, raw); err != nil {
		return err
	}
	return os.Chmod(dst, 0o755)
}

// KindCount is how many units of one kind are done.
type KindCount struct {
	Kind        string
	Done, Total int
}

// Status counts the finished units of a sweep, by kind.
type Status struct {
	Kinds       []KindCount // in the order the units list them
	Done, Total int
}

// CountDone asks done of every unit whether it is finished, and counts
// them by kind. An error from done ends the count.
func CountDone(units []Unit, done func(Unit) (bool, error)) (Status, error) {
	var s Status
	index := map[string]int{}
	for _, u := range units {
		ok, err := done(u)
		if err != nil {
			return s, err
		}
		i, seen := index[u.Kind]
		if !seen {
			i = len(s.Kinds)
			index[u.Kind] = i
			s.Kinds = append(s.Kinds, KindCount{Kind: u.Kind})
		}
		s.Kinds[i].Total++
		s.Total++
		if ok {
			s.Kinds[i].Done++
			s.Done++
		}
	}
	return s, nil
}

// WriteText writes a line per kind, then the total.
func (s Status) WriteText(w io.Writer) error {
	for _, k := range s.Kinds {
		if _, err := fmt.Fprintf(w, "%-10s %d of %d done\n", k.Kind, k.Done, k.Total); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d of %d units done\n", s.Done, s.Total)
	return err
}

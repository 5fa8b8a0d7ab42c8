package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/zoo"
)

// TestZooVerifyNamesWhatIsWrong: with the extracted xs replaced by s's
// whole folder, or one byte of its weights flipped, zoo verify does not
// print "ok  xs", and its error says what differs and how to repair it.
func TestZooVerifyNamesWhatIsWrong(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(shipped string) error
		want   string
	}{
		{"swapped", func(shipped string) error {
			xs := filepath.Join(shipped, "xs")
			if err := os.RemoveAll(xs); err != nil {
				return err
			}
			return os.CopyFS(xs, os.DirFS(filepath.Join(shipped, "s")))
		}, "build.json: not the build record of zoo/ci/xs"},
		{"flipped", func(shipped string) error {
			p := filepath.Join(shipped, "xs", "model.safetensors")
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			raw[len(raw)-1] ^= 1
			return os.WriteFile(p, raw, 0o644)
		}, "model.safetensors: sha256"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("W2S_CACHE", t.TempDir())
			t.Setenv("W2S_ZOO_DIR", "")
			shipped := zoo.ShippedDir("ci")
			if err := c.change(shipped); err != nil {
				t.Fatal(err)
			}
			out, err := run(t, "zoo", "verify", "--scale", "ci")
			if strings.Contains(out, "ok  xs") || !strings.Contains(out, "ok  s ") {
				t.Errorf("output:\n%s", out)
			}
			if err == nil || strings.Contains(err.Error(), "not built") || !strings.Contains(err.Error(), c.want) ||
				!strings.Contains(err.Error(), "remove "+shipped) {
				t.Errorf("error: %v", err)
			}
		})
	}
}

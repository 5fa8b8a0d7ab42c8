package zoo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/hub"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

func TestRecipe(t *testing.T) {
	for _, name := range ScaleNames {
		s, err := GetScale(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Sizes) < 5 {
			t.Errorf("%s: %d sizes", name, len(s.Sizes))
		}
		_, first := s.Config(s.Sizes[0]).NumParams()
		_, last := s.Config(s.Sizes[len(s.Sizes)-1]).NumParams()
		if last < 30*first {
			t.Errorf("%s: non-embedding parameters span %.1f×, want ≥ 30×", name, float64(last)/float64(first))
		}
		prevN, prevTokens := 0, 0
		for _, z := range s.Sizes {
			if err := s.Config(z).Validate(); err != nil {
				t.Errorf("%s/%s: %v", name, z.Name, err)
			}
			_, n := s.Config(z).NumParams()
			if n <= prevN || s.Tokens(z) < prevTokens {
				t.Errorf("%s/%s: parameters and token budgets must grow with size", name, z.Name)
			}
			prevN, prevTokens = n, s.Tokens(z)
		}
	}
	if _, err := GetScale("tpu"); err == nil {
		t.Error("unknown scale accepted")
	}
}

// TestDownloadHF fetches a GPT-2 checkpoint by HF id from a local server in
// the hub's layout, into the cache, and loads it with its tokenizer.
func TestDownloadHF(t *testing.T) {
	src := "../checkpoint/testdata/tiny-gpt2"
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		name := strings.TrimPrefix(r.URL.Path, "/org/tiny-gpt2/resolve/main/")
		if name == r.URL.Path || name == tokenizer.FileName { // this repository has no tokenizer.json
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(src, name))
	}))
	defer srv.Close()
	t.Setenv("W2S_CACHE", t.TempDir())
	c := &hub.Client{Endpoint: srv.URL, Progress: io.Discard}
	dir, err := DownloadHF(context.Background(), c, "org/tiny-gpt2")
	if err != nil {
		t.Fatal(err)
	}
	m, err := checkpoint.Load(dir, checkpoint.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.VocabSize != 96 {
		t.Errorf("vocabulary %d", m.Config.VocabSize)
	}
	before := requests
	if _, err := DownloadHF(context.Background(), c, "org/tiny-gpt2"); err != nil {
		t.Fatal(err)
	}
	if requests != before+1 { // only the optional, absent tokenizer is asked again
		t.Errorf("a second resolve made %d requests", requests-before)
	}
	if _, err := DownloadHF(context.Background(), c, "org/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing repository: %v", err)
	}
}

// TestVerifyLadder checks the shipped ci ladder, then one whose smallest
// model's weights were changed.
func TestVerifyLadder(t *testing.T) {
	t.Setenv("W2S_CACHE", t.TempDir())
	t.Setenv("W2S_ZOO_DIR", "")
	ctx := context.Background()
	ok, err := VerifyLadder(ctx, "ci")
	if err != nil || len(ok) != 5 || ok[0].Size.Name != "xs" || ok[0].Record == nil {
		t.Fatalf("shipped ladder: %d verified, %v", len(ok), err)
	}
	// A ladder folder of $W2S_ZOO_DIR comes first: xs with other weights.
	zooDir := t.TempDir()
	xs := filepath.Join(zooDir, "ci", "xs")
	if err := os.MkdirAll(xs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{RecordFile, checkpoint.ConfigFile, "model.safetensors", tokenizer.FileName} {
		raw, err := os.ReadFile(filepath.Join(ok[0].Dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "model.safetensors" {
			raw[len(raw)-1] ^= 1
		}
		os.WriteFile(filepath.Join(xs, f), raw, 0o644)
	}
	t.Setenv("W2S_ZOO_DIR", zooDir)
	ok, err = VerifyLadder(ctx, "ci")
	if err == nil || !strings.Contains(err.Error(), "xs: not built") || len(ok) != 4 {
		t.Errorf("changed xs: %d verified, %v", len(ok), err)
	}
	if _, err := VerifyLadder(ctx, "tpu"); err == nil {
		t.Error("unknown scale accepted")
	}
}

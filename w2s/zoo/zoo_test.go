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

// TestVerifyLadder checks the shipped ci ladder, then ladders whose xs was
// changed or replaced where each ladder folder is searched: Resolve refuses
// it and VerifyLadder says what differs and how to repair it, never "not
// built". The shipped ladder is checked against the records compiled into
// the program, so a swapped folder whose build.json came along is caught.
func TestVerifyLadder(t *testing.T) {
	ctx := context.Background()
	copyModel := func(t *testing.T, from, to string, flip bool) {
		t.Helper()
		os.RemoveAll(to)
		if err := os.MkdirAll(to, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{RecordFile, checkpoint.ConfigFile, checkpoint.WeightsFile, tokenizer.FileName} {
			raw, err := os.ReadFile(filepath.Join(from, f))
			if err != nil {
				t.Fatal(err)
			}
			if flip && f == checkpoint.WeightsFile {
				raw[len(raw)/2] ^= 1
			}
			if err := os.WriteFile(filepath.Join(to, f), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name string
		// change changes xs somewhere, given the extracted shipped ladder
		// and a $W2S_ZOO_DIR; want are substrings of the errors.
		change func(t *testing.T, shipped, zooDir string)
		want   []string
	}{
		{"shipped xs replaced by s, build.json included", func(t *testing.T, shipped, _ string) {
			copyModel(t, filepath.Join(shipped, "s"), filepath.Join(shipped, "xs"), false)
		}, []string{"compiled into this program", "config.json: sha256", "build.json: not the build record of zoo/ci/xs", "remove " + "SHIPPED"}},
		{"shipped xs weights with one byte flipped", func(t *testing.T, shipped, _ string) {
			copyModel(t, filepath.Join(shipped, "xs"), filepath.Join(shipped, "xs"+".new"), true)
			os.RemoveAll(filepath.Join(shipped, "xs"))
			os.Rename(filepath.Join(shipped, "xs.new"), filepath.Join(shipped, "xs"))
		}, []string{"model.safetensors: sha256", "compiled into this program", "extracts them again"}},
		{"$W2S_ZOO_DIR xs with one byte flipped", func(t *testing.T, shipped, zooDir string) {
			copyModel(t, filepath.Join(shipped, "xs"), filepath.Join(zooDir, "ci", "xs"), true)
		}, []string{"model.safetensors: sha256", "its build record", "unset W2S_ZOO_DIR"}},
		{"$W2S_ZOO_DIR xs is a copy of s", func(t *testing.T, shipped, zooDir string) {
			copyModel(t, filepath.Join(shipped, "s"), filepath.Join(zooDir, "ci", "xs"), false)
		}, []string{"holds the build record of zoo/ci/s, not of zoo/ci/xs"}},
		{"built xs is a copy of s", func(t *testing.T, shipped, _ string) {
			copyModel(t, filepath.Join(shipped, "s"), filepath.Join(BuildDir("ci"), "xs"), false)
		}, []string{"holds the build record of zoo/ci/s", "w2s zoo build --scale ci --sizes xs"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("W2S_CACHE", t.TempDir())
			t.Setenv("W2S_ZOO_DIR", "")
			ok, err := VerifyLadder(ctx, "ci")
			if err != nil || len(ok) != 5 || ok[0].Size.Name != "xs" || ok[0].Record == nil {
				t.Fatalf("shipped ladder: %d verified, %v", len(ok), err)
			}
			shipped := ShippedDir("ci")
			if filepath.Dir(ok[0].Dir) != shipped {
				t.Fatalf("xs found in %s, not in the shipped ladder %s", ok[0].Dir, shipped)
			}
			zooDir := t.TempDir()
			t.Setenv("W2S_ZOO_DIR", zooDir)
			c.change(t, shipped, zooDir)
			var want []string
			for _, w := range c.want {
				want = append(want, strings.ReplaceAll(w, "SHIPPED", shipped))
			}
			ok, err = VerifyLadder(ctx, "ci")
			if err == nil || len(ok) != 4 || strings.Contains(err.Error(), "not built") || !strings.HasPrefix(err.Error(), "xs: ") {
				t.Errorf("VerifyLadder: %d verified, %v", len(ok), err)
			}
			_, rerr := Resolve(ctx, "zoo/ci/xs")
			for _, e := range []error{err, rerr} {
				for _, w := range want {
					if e == nil || !strings.Contains(e.Error(), w) {
						t.Errorf("error lacks %q: %v", w, e)
					}
				}
			}
			entries, err := List(ctx, "ci", "")
			if err != nil || entries[0].Err == nil || entries[0].Dir != "" || entries[0].Record != nil || entries[1].Dir == "" {
				t.Errorf("List: xs %+v, %v", entries[0], err)
			}
		})
	}
	if _, err := VerifyLadder(ctx, "tpu"); err == nil {
		t.Error("unknown scale accepted")
	}
}

// TestShippedRecords: every model shipped has a readable build record,
// naming its own scale and size.
func TestShippedRecords(t *testing.T) {
	for _, scale := range ScaleNames {
		s, _ := GetScale(scale)
		n := 0
		for _, z := range s.Sizes {
			rec, sum, ok := ShippedRecord(scale, z.Name)
			if !ok {
				if _, err := shipped.ReadFile("ladders/" + scale + "/" + z.Name + "/" + RecordFile); err == nil {
					t.Errorf("%s/%s: the shipped build record does not parse", scale, z.Name)
				}
				continue
			}
			n++
			if rec.Name != z.Name || rec.Scale != scale || len(sum) != 64 || len(rec.Files) == 0 {
				t.Errorf("%s/%s: record of %s/%s, sha256 %q, %d files", scale, z.Name, rec.Scale, rec.Name, sum, len(rec.Files))
			}
		}
		if scale != "gpu" && n != len(s.Sizes) {
			t.Errorf("scale %s ships %d of %d sizes", scale, n, len(s.Sizes))
		}
	}
}

func TestExpandAndSizeOf(t *testing.T) {
	for in, want := range map[string]string{"zoo/xl": "zoo/cpu/xl", "zoo/cpu/xl": "zoo/cpu/xl", "zoo/ci/s": "zoo/ci/s", "gpt2": "gpt2", "./m": "./m"} {
		if got := Expand("cpu", in); got != want {
			t.Errorf("Expand(cpu, %s) = %s, want %s", in, got, want)
		}
	}
	if size, ok := SizeOf("cpu", "zoo/cpu/xl"); !ok || size != "xl" {
		t.Errorf("SizeOf(cpu, zoo/cpu/xl) = %s, %v", size, ok)
	}
	for _, m := range []string{"zoo/ci/xl", "zoo/cpu/", "zoo/cpu/a/b", "gpt2"} {
		if size, ok := SizeOf("cpu", m); ok {
			t.Errorf("SizeOf(cpu, %s) = %s", m, size)
		}
	}
}

// TestChessScales: each experiment scale but gpu has a chess ladder
// pretrained on chess game text alone; the text ladders keep the mixture.
func TestChessScales(t *testing.T) {
	for _, name := range []string{"ci", "cpu"} {
		s, err := GetScale(ChessScale(name))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Mixture(); len(got) != 1 || got[0] != "chess_games" || len(s.Sizes) < 3 {
			t.Errorf("%s: corpora %v, %d sizes", s.Name, got, len(s.Sizes))
		}
		text, _ := GetScale(name)
		if len(text.Mixture()) != len(Mixture) {
			t.Errorf("%s: corpora %v, want the mixture", name, text.Mixture())
		}
	}
	if s, _ := GetScale("chess-cpu"); len(s.Sizes) < 5 {
		t.Errorf("the cpu chess ladder has %d sizes, issue 26 asks for 5", len(s.Sizes))
	}
}

package ladder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/w2s-lab/w2s/w2s/internal/datatest"

	"github.com/w2s-lab/w2s/w2s/backend"
	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/corpus"
	"github.com/w2s-lab/w2s/w2s/testgate"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
	"github.com/w2s-lab/w2s/w2s/train"
	"github.com/w2s-lab/w2s/w2s/zoo"
)

func TestStreamReadsEveryDocumentOncePerPass(t *testing.T) {
	tok, err := tokenizer.Train(func(yield func(string) bool) { yield("abcdefgh abc def gh") }, 260, "t")
	if err != nil {
		t.Fatal(err)
	}
	var docs []corpus.Doc
	for _, w := range []string{"aa", "bbb", "c", "dddd", "ee"} {
		docs = append(docs, corpus.Doc{Source: "x", Text: w})
	}
	stream, pass, err := streamOf(context.Background(), tok, docs, 7, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(stream) != 100 {
		t.Fatalf("%d tokens, want 100", len(stream))
	}
	// Split into documents at end-of-text; each pass holds every document once.
	var texts []string
	cur := []int32{}
	for _, id := range stream {
		if id == tok.EOS() {
			texts = append(texts, tok.Decode(cur))
			cur = cur[:0]
			continue
		}
		cur = append(cur, id)
	}
	want := 0
	for _, d := range docs {
		want += len(tok.Encode(d.Text)) + 1
	}
	if pass != want {
		t.Errorf("pass of %d tokens, want %d", pass, want)
	}
	var orders []string
	for p := 0; (p+1)*len(docs) <= len(texts); p++ {
		got := append([]string(nil), texts[p*len(docs):(p+1)*len(docs)]...)
		orders = append(orders, strings.Join(got, " "))
		slices.Sort(got)
		if strings.Join(got, " ") != "aa bbb c dddd ee" {
			t.Errorf("pass %d reads %v", p, got)
		}
	}
	if len(orders) < 3 || (orders[0] == orders[1] && orders[1] == orders[2]) {
		t.Errorf("passes %v: want several, in different orders", orders)
	}
	again, _, _ := streamOf(context.Background(), tok, docs, 7, 100)
	if !slices.Equal(stream, again) {
		t.Error("the same seed gave another stream")
	}
}

// TestCIBuildDeterministicAndResumable builds the ci ladder, then rebuilds
// two sizes — one straight, one interrupted and resumed — and checks the
// checkpoint bytes are identical; then resolves and loads zoo names.
func TestCIBuildDeterministicAndResumable(t *testing.T) {
	testgate.Integration(t, "builds the ci ladder twice")
	datatest.Require(t)
	s, _ := zoo.GetScale("ci")
	ctx := context.Background()
	b := backend.MustDefault()
	first := filepath.Join(t.TempDir(), "first")
	recs, err := Build(ctx, s, BuildOptions{Out: first, Backend: b, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(s.Sizes) {
		t.Fatalf("%d records", len(recs))
	}
	for _, r := range recs {
		if r.Commit == "" || len(r.DataFiles) == 0 || r.Tokens != s.Tokens(mustSize(t, s, r.Name)) || r.ValidLoss <= 0 || r.WallSeconds <= 0 {
			t.Errorf("incomplete record for %s: %+v", r.Name, r)
		}
		if err := zoo.Verify(filepath.Join(first, r.Name)); err != nil {
			t.Error(err)
		}
	}

	// Straight rebuild of xs; interrupted and resumed rebuild of m.
	second := filepath.Join(t.TempDir(), "second")
	if _, err := Build(ctx, s, BuildOptions{Out: second, Backend: b, Log: io.Discard, Sizes: []string{"xs"}}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	stopAt := s.Steps(mustSize(t, s, "m")) / 2
	_, err = Build(cctx, s, BuildOptions{Out: second, Backend: b, Log: io.Discard, Sizes: []string{"m"},
		Progress: func(string) train.Progress { return cancelAt{stopAt, cancel} }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted build: %v", err)
	}
	if _, err := os.Stat(filepath.Join(second, "m", "state", train.StateJSON)); err != nil {
		t.Fatalf("no resumable state after the interrupt: %v", err)
	}
	if _, err := Build(ctx, s, BuildOptions{Out: second, Backend: b, Log: io.Discard, Sizes: []string{"m"}}); err != nil {
		t.Fatal(err)
	}
	for _, size := range []string{"xs", "m"} {
		for _, f := range []string{checkpoint.WeightsFile, checkpoint.ConfigFile, tokenizer.FileName} {
			a, _ := os.ReadFile(filepath.Join(first, size, f))
			c, _ := os.ReadFile(filepath.Join(second, size, f))
			if len(a) == 0 || !bytes.Equal(a, c) {
				t.Errorf("%s/%s differs between two builds", size, f)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(second, "m", "state")); !os.IsNotExist(err) {
		t.Error("training state left behind after a finished build")
	}

	// A tampered file fails verification.
	tampered := filepath.Join(second, "xs", checkpoint.ConfigFile)
	os.WriteFile(tampered, []byte("{}"), 0o644)
	if err := zoo.Verify(filepath.Join(second, "xs")); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("tampered config: %v", err)
	}

	// Names resolve through W2S_ZOO_DIR, and load with their tokenizer.
	t.Setenv("W2S_ZOO_DIR", filepath.Dir(first))
	os.Rename(first, filepath.Join(filepath.Dir(first), "ci"))
	t.Setenv("W2S_SCALE", "ci")
	m, tok, err := zoo.Load(ctx, "zoo/xl", checkpoint.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.NEmbd != 64 || tok.VocabSize() != s.Vocab {
		t.Errorf("zoo/xl: width %d, vocabulary %d", m.Config.NEmbd, tok.VocabSize())
	}
	if _, err := zoo.Resolve(ctx, "zoo/xxl"); err == nil || !strings.Contains(err.Error(), "sizes: xs") {
		t.Errorf("unknown size: %v", err)
	}
	if _, err := zoo.Resolve(ctx, "zoo/gpu/xl"); err == nil || !strings.Contains(err.Error(), "zoo build --scale gpu") {
		t.Errorf("unbuilt scale: %v", err)
	}
}

func mustSize(t *testing.T, s *zoo.Scale, name string) zoo.Size {
	z, err := s.Size(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// cancelAt cancels a build once a step is reached.
type cancelAt struct {
	step   int
	cancel func()
}

func (c cancelAt) Start(int, int) {}
func (c cancelAt) Update(done int, _ train.Point) {
	if done == c.step {
		c.cancel()
	}
}
func (c cancelAt) Done() {}

func TestVariants(t *testing.T) {
	s, _ := zoo.GetScale("ci")
	base := Variant{Vocab: 512, Context: 32, Batch: 8, Layers: 2, Width: 32, Heads: 2, LR0: 3e-3}
	if got := BaseVariant(s); got != base {
		t.Errorf("base variant %+v, want %+v", got, base)
	}
	if vs, err := Variants(s, "", nil); err != nil || len(vs) != 1 || vs[0] != base {
		t.Errorf("no variants: %+v, %v", vs, err)
	}
	vs, err := Variants(s, "L1", []string{"V1024", "d64"})
	if err != nil || len(vs) != 2 {
		t.Fatalf("variants: %+v, %v", vs, err)
	}
	if vs[0].Layers != 1 || vs[0].Vocab != 1024 || vs[0].Width != 32 || vs[1].Layers != 1 || vs[1].Vocab != 512 || vs[1].Width != 64 || vs[1].Heads != 2 {
		t.Errorf("variants changing L1: %+v", vs)
	}
	if _, err := Variants(s, "Q1", nil); err == nil {
		t.Error("a bad base accepted")
	}
	if _, err := Variants(s, "", []string{"V1024", "d33"}); err == nil {
		t.Error("a bad variant accepted")
	}
}

// TestBuiltSizesRebuildsAnotherSizesFolder: a ladder folder whose xs holds
// a copy of s (its build record included) passes the checksums of that
// record, but is not xs: the build must make xs again.
func TestBuiltSizesRebuildsAnotherSizesFolder(t *testing.T) {
	t.Setenv("W2S_CACHE", t.TempDir())
	s, err := zoo.GetScale("ci")
	if err != nil {
		t.Fatal(err)
	}
	shipped := zoo.ShippedDir("ci")
	out := t.TempDir()
	for _, c := range []struct{ from, to string }{{"s", "xs"}, {"s", "s"}} {
		if err := os.CopyFS(filepath.Join(out, c.to), os.DirFS(filepath.Join(shipped, c.from))); err != nil {
			t.Fatal(err)
		}
	}
	xs, _ := s.Size("xs")
	sz, _ := s.Size("s")
	recs, toBuild := builtSizes(s, []zoo.Size{xs, sz}, BuildOptions{Out: out, Log: io.Discard})
	if len(recs) != 1 || recs[0].Name != "s" || len(toBuild) != 1 || toBuild[0].Name != "xs" {
		t.Errorf("built %v, to build %v; want s built and xs to build", recs, toBuild)
	}
}

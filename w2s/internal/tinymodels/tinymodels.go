// Package tinymodels writes small random GPT checkpoints for tests of the
// stages and analyses: two widths sharing a tokenizer trained on task text.
package tinymodels

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/w2s-lab/w2s/w2s/checkpoint"
	"github.com/w2s-lab/w2s/w2s/model"
	"github.com/w2s-lab/w2s/w2s/tasks"
	"github.com/w2s-lab/w2s/w2s/tokenizer"
)

var (
	once sync.Once
	root string
	dirs []string
	err  error
)

// Cleanup removes the models Get made; a package's TestMain calls it after
// its tests (they share the models, so no single test's TempDir can own
// them).
func Cleanup() {
	if root != "" {
		os.RemoveAll(root)
	}
}

// Widths of the models Get makes, smallest first.
var Widths = []int{16, 32, 48}

// Get returns checkpoint folders of one-layer models of Widths (made once
// per process in a temporary folder), with a 320-token BPE trained on sst2
// and hh_harmless text read through the data folders.
func Get() ([]string, error) {
	once.Do(func() {
		if root, err = os.MkdirTemp("", "w2s-tiny-models-"); err != nil {
			return
		}
		var texts []string
		for _, name := range []string{"sst2", "hh_harmless"} {
			var d *tasks.Data
			if d, err = tasks.Load(context.Background(), name, tasks.LoadOptions{NoDownload: true}); err != nil {
				return
			}
			for _, e := range d.Pool[:400] {
				texts = append(texts, e.Text)
				texts = append(texts, e.Candidates...)
			}
		}
		var tok *tokenizer.BPE
		tok, err = tokenizer.Train(func(y func(string) bool) {
			for _, s := range texts {
				if !y(s) {
					return
				}
			}
		}, 320, "tiny")
		if err != nil {
			return
		}
		eos := int(tok.EOS())
		for i, width := range Widths {
			var m *model.Model
			if m, err = model.New(model.Small(tok.VocabSize(), 32, width, 1, 2), uint64(i+1), dtypes.Float32); err != nil {
				return
			}
			dir := filepath.Join(root, fmt.Sprintf("tiny-d%d", width))
			if err = checkpoint.Save(dir, m, checkpoint.Options{EOS: &eos}); err != nil {
				return
			}
			if err = tok.Save(filepath.Join(dir, tokenizer.FileName)); err != nil {
				return
			}
			dirs = append(dirs, dir)
		}
	})
	return dirs, err
}

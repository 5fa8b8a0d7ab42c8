package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/w2s-lab/w2s/w2s/hub"
	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
	"github.com/w2s-lab/w2s/w2s/internal/paths"
	"github.com/w2s-lab/w2s/w2s/records"
)

// Data is a task's formatted examples before splitting.
type Data struct {
	Task  *Task
	Pool  []Example // training candidates
	Test  []Example
	Files []string // the files read: the pool's, then the test set's
	// TestFiles are the files of Files that hold the test set (none when
	// it was carved out of the pool).
	TestFiles []string
	// Carved is true when the test set was carved out of the pool file.
	Carved bool
	// Leaked counts pool rows dropped because they repeat a phrase of a
	// test row (Task.Group) or belong to a group that has test rows (the
	// same passage or scenario in the pool file and the test file).
	Leaked int
	// Skipped counts records the task's framing leaves out (ErrSkip).
	Skipped int
}

// Source says where the data came from: the folder and name of each file
// read ("sst2/train.jsonl.gz, sst2/test.jsonl"; the task's whole data
// folder when it is nested, "ethics/justice/train.jsonl"), and the share of
// the pool carved out as the test set when there was no test file.
func (d *Data) Source() string {
	source := strings.Join(d.FileNames(d.Files), ", ")
	if d.Carved {
		source += fmt.Sprintf(" (test carved: %.0f%%)", 100*d.Task.CarveTest)
	}
	return source
}

// FileNames names files as Source does: by folder and file name.
func (d *Data) FileNames(files []string) []string {
	var names []string
	for _, f := range files {
		dir := filepath.Base(filepath.Dir(f))
		if folder := d.Task.Local.Folder; folder != "" && strings.HasSuffix(filepath.ToSlash(filepath.Dir(f)), "/"+folder) {
			dir = folder
		}
		names = append(names, dir+"/"+filepath.Base(f))
	}
	return names
}

// LoadOptions say where to look.
type LoadOptions struct {
	Roots []string    // data folders, in order (default paths.Data())
	Hub   *hub.Client // for downloads when nothing is local (default hub.FromEnv()); nil Roots and Hub use the environment
	// NoDownload forbids the network: a missing dataset is an error.
	NoDownload bool
	// Cache is where downloads go (default paths.Cache()/data).
	Cache string
}

// Load reads and formats a task's data: from the local layout in the data
// folders if present, else from previously downloaded Hugging Face files
// in the cache, else by downloading them.
func Load(ctx context.Context, name string, opt LoadOptions) (*Data, error) {
	t, err := Get(name)
	if err != nil {
		return nil, err
	}
	roots := opt.Roots
	if roots == nil {
		roots = paths.Data()
	}
	cache := opt.Cache
	if cache == "" {
		cache = filepath.Join(paths.Cache(), "data")
	}
	if t.Local.TrainFile != "" { // a task of your own, by path
		var test []string
		if t.Local.TestFile != "" {
			test = []string{t.Local.TestFile}
		}
		return t.read([]string{t.Local.TrainFile}, test)
	}
	if train, ok := findAll(roots, t.Local.Folder, t.Local.Train); ok {
		var test []string
		if t.Local.Test != "" {
			if test, ok = findAll(roots, t.Local.Folder, t.Local.Test); !ok {
				return nil, fmt.Errorf("task %s: found %s but not its test files %s/{%s}.{jsonl,jsonl.gz,parquet} in %v",
					name, train[0], t.Local.Folder, t.Local.Test, roots)
			}
		}
		return t.read(train, test)
	}
	if t.HF.HFRepo == "" {
		return nil, fmt.Errorf("task %s: no local data: looked for %s/{%s}.{jsonl,jsonl.gz,parquet} in %v (this task has no Hugging Face source to download)%s",
			name, t.Local.Folder, t.Local.Train, roots, paths.RelativeDataHint())
	}
	hfRoots := append([]string{}, roots...)
	if !slices.Contains(hfRoots, cache) {
		hfRoots = append(hfRoots, cache)
	}
	train, okTrain := find(hfRoots, t.HF.Folder, t.HF.HFTrain)
	test, okTest := find(hfRoots, t.HF.Folder, t.HF.HFTest)
	if okTrain && okTest {
		return t.read(train, test)
	}
	missing := fmt.Errorf("task %s: no local data: looked for %s/%s.{jsonl,jsonl.gz,parquet} and %s/ in %v%s",
		name, t.Local.Folder, t.Local.Train, t.HF.Folder, hfRoots, paths.RelativeDataHint())
	if opt.NoDownload {
		return nil, missing
	}
	client := opt.Hub
	if client == nil {
		client = hub.FromEnv()
		client.Progress = os.Stderr
	}
	for _, split := range []string{t.HF.HFTrain, t.HF.HFTest} {
		if err := downloadSplit(ctx, client, t.HF, split, filepath.Join(cache, t.HF.Folder)); err != nil {
			return nil, errors.Join(missing, fmt.Errorf("download from the hub failed: %w", err))
		}
	}
	train, _ = find([]string{cache}, t.HF.Folder, t.HF.HFTrain)
	test, _ = find([]string{cache}, t.HF.Folder, t.HF.HFTest)
	return t.read(train, test)
}

// downloadSplit fetches every parquet shard of a split into dir as
// split-00000.parquet, split-00001.parquet, …, each atomically, then writes
// split.shards.json naming them. Shards count only once that list exists,
// so an interrupted download is resumed, never read half-done.
func downloadSplit(ctx context.Context, c *hub.Client, src Source, split, dir string) error {
	urls, err := c.DatasetParquetURLs(ctx, src.HFRepo, src.HFConfig, split)
	if err != nil {
		return err
	}
	var names []string
	for i, u := range urls {
		name := fmt.Sprintf("%s-%05d.parquet", split, i)
		names = append(names, name)
		dest := filepath.Join(dir, name)
		if _, err := os.Stat(dest); err == nil {
			continue
		}
		if err := c.Download(ctx, u, dest); err != nil {
			return err
		}
	}
	js, _ := json.Marshal(shardList{Repo: src.HFRepo, Config: src.HFConfig, Split: split, Files: names, URLs: urls})
	return atomicfile.WriteBytes(filepath.Join(dir, split+shardsSuffix), js)
}

const shardsSuffix = ".shards.json"

// shardList records a completed download of a split's parquet shards.
type shardList struct {
	Repo, Config, Split string
	Files, URLs         []string
}

// findAll is find for each of a comma-separated list of files, all of
// which must be found.
func findAll(roots []string, folder, files string) ([]string, bool) {
	var out []string
	for _, f := range strings.Split(files, ",") {
		got, ok := find(roots, folder, strings.TrimSpace(f))
		if !ok {
			return nil, false
		}
		out = append(out, got...)
	}
	return out, len(out) > 0
}

// find returns the files of split `file` in folder under the first root
// that has them: file.jsonl, file.jsonl.gz, file.parquet, or the parquet
// shards listed in file.shards.json by a completed download.
func find(roots []string, folder, file string) ([]string, bool) {
	if folder == "" || file == "" {
		return nil, false
	}
	for _, root := range roots {
		base := filepath.Join(root, folder, file)
		for _, suffix := range records.Suffixes {
			if st, err := os.Stat(base + suffix); err == nil && !st.IsDir() {
				return []string{base + suffix}, true
			}
		}
		if raw, err := os.ReadFile(base + shardsSuffix); err == nil {
			var list shardList
			if json.Unmarshal(raw, &list) == nil && len(list.Files) > 0 {
				var files []string
				for _, f := range list.Files {
					files = append(files, filepath.Join(root, folder, f))
				}
				return files, true
			}
		}
	}
	return nil, false
}

// read formats the records of the pool files and the test files (or carves
// the test set out of the pool when there are none).
func (t *Task) read(trainFiles, testFiles []string) (*Data, error) {
	d := &Data{Task: t, Carved: len(testFiles) == 0}
	load := func(files []string, split string, carve bool) (pool, test []Example, err error) {
		for _, f := range files {
			// Records are formatted as they are read, and only examples
			// kept: a record's map costs far more than its example.
			i := 0
			var formatErr error
			err := records.Each(f, func(r records.Record) error {
				ex, err := t.format(r, f, i)
				if err == ErrSkip { // the framing leaves this record out
					d.Skipped++
					i++
					return nil
				}
				if err != nil {
					formatErr = err
					return err
				}
				ex.ID = fmt.Sprintf("%s:%s:%s:%d", t.Name, split, filepath.Base(f), i)
				if carve && t.inTest(r, ex) {
					test = append(test, ex)
				} else {
					pool = append(pool, ex)
				}
				i++
				return nil
			})
			if formatErr != nil {
				return nil, nil, formatErr
			}
			if err != nil {
				return nil, nil, fmt.Errorf("task %s: %w", t.Name, err)
			}
			d.Files = append(d.Files, f)
		}
		return pool, test, nil
	}
	var err error
	if d.Carved {
		if t.CarveTest <= 0 {
			return nil, fmt.Errorf("task %s: no test file and no carving fraction", t.Name)
		}
		if d.Pool, d.Test, err = load(trainFiles, "pool", true); err != nil {
			return nil, err
		}
	} else {
		if d.Pool, _, err = load(trainFiles, "train", false); err != nil {
			return nil, err
		}
		if d.Test, _, err = load(testFiles, "test", false); err != nil {
			return nil, err
		}
		d.TestFiles = d.Files[len(d.Files)-len(testFiles):]
	}
	if t.Group != nil {
		leaks := t.Group(d.Pool, d.Test)
		d.Pool, d.Leaked = dropRows(d.Pool, leaks), len(leaks)
	}
	leaks := groupLeaks(d.Pool, d.Test)
	d.Pool, d.Leaked = dropRows(d.Pool, leaks), d.Leaked+len(leaks)
	if len(d.Pool) == 0 {
		return nil, fmt.Errorf("task %s: the training pool is empty (files %v)", t.Name, trainFiles)
	}
	if len(d.Test) == 0 {
		return nil, fmt.Errorf("task %s: the test set is empty (files %v)", t.Name, append(trainFiles, testFiles...))
	}
	return d, nil
}

// groupLeaks lists (ascending) the pool rows whose group also has test
// rows: a passage or scenario the test set asks about must not be in
// training under another question.
func groupLeaks(pool, test []Example) []int {
	inTest := map[string]bool{}
	for _, e := range test {
		if e.Group != "" {
			inTest[e.Group] = true
		}
	}
	var leaks []int
	for i, e := range pool {
		if e.Group != "" && inTest[e.Group] {
			leaks = append(leaks, i)
		}
	}
	return leaks
}

// dropRows returns xs without the rows at the (ascending) indices drop.
func dropRows(xs []Example, drop []int) []Example {
	if len(drop) == 0 {
		return xs
	}
	out := make([]Example, 0, len(xs)-len(drop))
	k := 0
	for i, x := range xs {
		if k < len(drop) && drop[k] == i {
			k++
			continue
		}
		out = append(out, x)
	}
	return out
}

// Records returns the source records of examples by their IDs
// ("task:split:file:row"), in order, reading each file of the data once:
// the rows of a split in the dataset's own fields, for other tools.
func (d *Data) Records(ids []string) ([]records.Record, error) {
	byBase := map[string]string{}
	for _, f := range d.Files {
		byBase[filepath.Base(f)] = f
	}
	loaded := map[string][]records.Record{}
	out := make([]records.Record, len(ids))
	for i, id := range ids {
		parts := strings.Split(id, ":")
		if len(parts) < 4 {
			return nil, fmt.Errorf("task %s: example id %q is not task:split:file:row", d.Task.Name, id)
		}
		file, rowText := parts[len(parts)-2], parts[len(parts)-1]
		path, ok := byBase[file]
		if !ok {
			return nil, fmt.Errorf("task %s: example %s names file %s, which the task did not read", d.Task.Name, id, file)
		}
		recs, ok := loaded[path]
		if !ok {
			var err error
			if recs, err = records.ReadFile(path); err != nil {
				return nil, fmt.Errorf("task %s: %w", d.Task.Name, err)
			}
			loaded[path] = recs
		}
		row, err := strconv.Atoi(rowText)
		if err != nil || row < 0 || row >= len(recs) {
			return nil, fmt.Errorf("task %s: example %s: no row %s in %s (%d records)", d.Task.Name, id, rowText, path, len(recs))
		}
		out[i] = recs[row]
	}
	return out, nil
}

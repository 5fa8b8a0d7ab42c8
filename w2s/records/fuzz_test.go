package records

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets feed arbitrary bytes to each reader: any input must give
// records or an error, never a panic, a hang or a runaway allocation.
// CI runs each for a few seconds (.ci/run); seeds are valid files and
// their corruptions.

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(jsonl))
	f.Add([]byte("{\"a\":1}\n\n{\"b\":2}\n"))
	f.Add([]byte("{\"a\":\"\xff\"}\n"))
	f.Add([]byte(`{"label":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ReadJSONL(bytes.NewReader(data), "fuzz.jsonl")
		if err == nil {
			for _, r := range recs {
				r.Int("label")
				r.String("sentence")
			}
		}
	})
}

func FuzzReadGzipJSONL(f *testing.F) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(jsonl))
	zw.Close()
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Add([]byte{0x1f, 0x8b})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.jsonl.gz")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ReadFile(p)
	})
}

func FuzzReadParquet(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "seed.parquet")
	writeParquet(f, good, []row{{"a fine film", 1, true, 0.5}, {"dull", 0, false, -1}})
	raw, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	huge := append([]byte(nil), raw...)
	copy(huge[len(huge)-8:], []byte{0x0c, 0x01, 0x00, 0xde})
	f.Add(huge)
	f.Add(raw[:len(raw)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ReadFile(p)
	})
}

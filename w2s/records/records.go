// Package records reads datasets stored as JSON Lines (.jsonl, optionally
// gzip-compressed as .jsonl.gz) or Parquet (.parquet), with Hugging Face
// field names, into records: one map from field name to value per row.
//
// Errors name the file and, for JSON Lines, the line.
package records

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Record is one row: field name → value (string, bool, float64 or int64
// numbers, nested maps and slices as JSON decodes them).
type Record map[string]any

// Formats this package reads, by file-name suffix.
var Suffixes = []string{".jsonl", ".jsonl.gz", ".parquet"}

// ReadFile reads every record of path, choosing the format by suffix.
func ReadFile(path string) ([]Record, error) {
	switch {
	case strings.HasSuffix(path, ".jsonl.gz"):
		return readGzipJSONL(path)
	case strings.HasSuffix(path, ".jsonl"):
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadJSONL(f, path)
	case strings.HasSuffix(path, ".parquet"):
		return readParquet(path)
	}
	return nil, fmt.Errorf("%s: unknown format (want %s)", path, strings.Join(Suffixes, ", "))
}

func readGzipJSONL(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid gzip file: %w", path, err)
	}
	recs, err := ReadJSONL(gzipErrors{zr}, path)
	if err != nil {
		return nil, err
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("%s: corrupt gzip data: %w", path, err)
	}
	return recs, nil
}

// gzipErrors labels decompression failures as such.
type gzipErrors struct{ r io.Reader }

func (g gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("corrupt or truncated gzip data: %w", err)
	}
	return n, err
}

// ReadJSONL reads one JSON object per line from r; name is used in errors.
// Record i comes from line i+1: a blank line is an error, except after the
// last record. Lines may be long (the scanner buffer grows to 64 MiB).
func ReadJSONL(r io.Reader, name string) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out []Record
	line, blank := 0, 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			if blank == 0 {
				blank = line
			}
			continue
		}
		if blank != 0 {
			return nil, fmt.Errorf("%s line %d: blank line inside the file", name, blank)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			// A read error (such as truncated gzip data) surfaces as a cut
			// last line: report the read error, not the JSON it broke.
			if !sc.Scan() && sc.Err() != nil {
				return nil, fmt.Errorf("%s: read error at line %d: %w", name, line, sc.Err())
			}
			return nil, fmt.Errorf("%s line %d: malformed JSON: %w", name, line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s line %d: more than one JSON value on the line", name, line)
		}
		rec := make(Record, len(raw))
		for k, v := range raw {
			rec[k] = normalizeNumber(v)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: read error after line %d: %w", name, line, err)
	}
	return out, nil
}

// normalizeNumber turns json.Number into int64 when integral, else float64.
func normalizeNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumber(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumber(e)
		}
	}
	return v
}

func readParquet(path string) (out []Record, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// parquet-go can panic on some malformed files; report those as errors.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%s: corrupt parquet file: %v", path, r)
		}
	}()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt parquet file: %w", path, err)
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	for row := 0; ; row++ {
		m := map[string]any{}
		if err := r.Read(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s row %d: %w", path, row, err)
		}
		rec := make(Record, len(m))
		for k, v := range m {
			rec[k] = normalizeParquet(v)
		}
		out = append(out, rec)
	}
	return out, nil
}

// normalizeParquet maps parquet's Go values onto the JSON ones.
func normalizeParquet(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case []byte:
		return string(x)
	}
	return v
}

// String returns field as a string, or an error naming it.
func (r Record) String(field string) (string, error) {
	v, ok := r[field]
	if !ok {
		return "", fmt.Errorf("missing field %q", field)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("field %q is %T, want a string", field, v)
	}
	return s, nil
}

// Int returns field as an integer (integral numbers and booleans qualify).
func (r Record) Int(field string) (int, error) {
	v, ok := r[field]
	if !ok {
		return 0, fmt.Errorf("missing field %q", field)
	}
	switch x := v.(type) {
	case int64:
		return int(x), nil
	case float64:
		if x == math.Trunc(x) {
			return int(x), nil
		}
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("field %q is %v (%T), want an integer", field, v, v)
}

// Bool returns field as a boolean.
func (r Record) Bool(field string) (bool, error) {
	v, ok := r[field]
	if !ok {
		return false, fmt.Errorf("missing field %q", field)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("field %q is %v (%T), want a boolean", field, v, v)
	}
	return b, nil
}

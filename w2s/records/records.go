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
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// Record is one row: field name → value (string, bool, float64 or int64
// numbers, nested maps and slices as JSON decodes them).
type Record map[string]any

// Suffixes are the formats this package reads, by file-name suffix.
var Suffixes = []string{".jsonl", ".jsonl.gz", ".parquet"}

// CheckRegular returns an error unless path is a regular file (or a link
// to one). A dataset is read more than once (its sha256 is part of every
// stage key), which a named pipe or a device cannot give, and opening a
// named pipe with no writer would wait for one forever.
func CheckRegular(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	m := st.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "not a regular file"
	switch {
	case m.IsDir():
		what = "a folder"
	case m&os.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&os.ModeDevice != 0 || m&os.ModeCharDevice != 0:
		what = "a device"
	case m&os.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("%s is %s: a dataset must be a regular file, since it is read more than once (its sha256 is part of every stage key); copy the data into one", path, what)
}

// MaxRecords bounds the records of one file: an experiment reads at most
// tens of thousands, and each record kept costs memory.
const MaxRecords = 5_000_000

// maxRecords is MaxRecords, lowered by tests.
var maxRecords = MaxRecords

// MaxBlankLines bounds the blank lines in a row at the end of a JSON Lines
// file (the only place they are allowed), so a file of nothing but
// newlines is refused at once instead of read to its end.
const MaxBlankLines = 1000

// ReadFile reads every record of path, choosing the format by suffix.
func ReadFile(path string) ([]Record, error) {
	var out []Record
	err := Each(path, func(r Record) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// Each calls fn with every record of path in order, choosing the format by
// suffix, keeping none: memory does not grow with the file unless fn keeps
// what it is given. An error of fn stops the reading and is returned.
// More than MaxRecords records are an error.
func Each(path string, fn func(Record) error) error {
	if err := CheckRegular(path); err != nil {
		return err
	}
	n := 0
	count := func(r Record) error {
		if n++; n > maxRecords {
			return fmt.Errorf("%s: more than %d records, the most this toolkit reads from a file (an experiment uses tens of thousands): take a sample", path, maxRecords)
		}
		return fn(r)
	}
	switch {
	case strings.HasSuffix(path, ".jsonl.gz"):
		return eachGzipJSONL(path, count)
	case strings.HasSuffix(path, ".jsonl"):
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return EachJSONL(f, path, count)
	case strings.HasSuffix(path, ".parquet"):
		return eachParquet(path, count)
	}
	return fmt.Errorf("%s: unknown format (want %s)", path, strings.Join(Suffixes, ", "))
}

func eachGzipJSONL(path string, fn func(Record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: not a valid gzip file: %w", path, err)
	}
	if err := EachJSONL(gzipErrors{zr}, path, fn); err != nil {
		return err
	}
	if err := zr.Close(); err != nil {
		return fmt.Errorf("%s: corrupt gzip data: %w", path, err)
	}
	return nil
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
// last record (at most MaxBlankLines of them). Lines may be long (the
// scanner buffer grows to 64 MiB).
func ReadJSONL(r io.Reader, name string) ([]Record, error) {
	var out []Record
	err := EachJSONL(r, name, func(rec Record) error {
		out = append(out, rec)
		return nil
	})
	return out, err
}

// EachJSONL is ReadJSONL calling fn with each record instead of keeping it.
func EachJSONL(r io.Reader, name string, fn func(Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line, blank := 0, 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 { // a byte-order mark, as some editors write, is not data
			b = bytes.TrimPrefix(b, utf8BOM)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			if blank == 0 {
				blank = line
			}
			if line-blank+1 > MaxBlankLines {
				return fmt.Errorf("%s line %d: more than %d blank lines in a row (from line %d): not JSON Lines, which has one record per line", name, line, MaxBlankLines, blank)
			}
			continue
		}
		if blank != 0 {
			return fmt.Errorf("%s line %d: blank line inside the file", name, blank)
		}
		// encoding/json would replace invalid bytes with U+FFFD silently.
		if !utf8.Valid(b) {
			return fmt.Errorf("%s line %d: invalid UTF-8 (byte offset %d)", name, line, invalidAt(b))
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			// A read error (such as truncated gzip data) surfaces as a cut
			// last line: report the read error, not the JSON it broke.
			if !sc.Scan() && sc.Err() != nil {
				return fmt.Errorf("%s: read error at line %d: %w", name, line, sc.Err())
			}
			return fmt.Errorf("%s line %d: malformed JSON: %w", name, line, err)
		}
		if dec.More() {
			return fmt.Errorf("%s line %d: more than one JSON value on the line", name, line)
		}
		rec := make(Record, len(raw))
		for k, v := range raw {
			rec[k] = normalizeNumber(v)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: read error after line %d: %w", name, line, err)
	}
	return nil
}

// utf8BOM is the UTF-8 encoding of U+FEFF, the byte-order mark.
var utf8BOM = []byte("\xef\xbb\xbf")

// invalidAt is the offset of the first byte of b that is not valid UTF-8.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
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

func eachParquet(path string, fn func(Record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := checkParquetFrame(f, st.Size()); err != nil {
		return fmt.Errorf("%s: corrupt parquet file: %w", path, err)
	}
	// parquet-go can panic on some malformed files; report those as errors.
	corrupt := func(err *error) {
		if r := recover(); r != nil {
			*err = fmt.Errorf("%s: corrupt parquet file: %v", path, r)
		}
	}
	var r interface {
		Read(any) error
		Close() error
	}
	err = func() (err error) {
		defer corrupt(&err)
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			return fmt.Errorf("%s: corrupt parquet file: %w", path, err)
		}
		r = parquet.NewReader(pf)
		return nil
	}()
	if err != nil {
		return err
	}
	defer r.Close()
	for row := 0; ; row++ {
		m := map[string]any{}
		err := func() (err error) {
			defer corrupt(&err)
			return r.Read(&m)
		}()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s row %d: %w", path, row, err)
		}
		rec := make(Record, len(m))
		for k, v := range m {
			rec[k] = normalizeParquet(v)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// checkParquetFrame validates what parquet-go would trust before reading:
// the file starts and ends with the magic "PAR1", and the footer length
// stored before the trailing magic fits in the file. (parquet-go allocates
// the footer length it reads before checking it: a corrupt length of 3.7 GB
// exhausted memory, which no recover can catch.)
func checkParquetFrame(f io.ReaderAt, size int64) error {
	const magic = "PAR1"
	if size < 12 {
		return fmt.Errorf("%d bytes is too short for a parquet file", size)
	}
	head := make([]byte, 4)
	if _, err := f.ReadAt(head, 0); err != nil {
		return err
	}
	tail := make([]byte, 8)
	if _, err := f.ReadAt(tail, size-8); err != nil {
		return err
	}
	if string(head) != magic || string(tail[4:]) != magic {
		return errors.New("missing the PAR1 magic at its start or end")
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer == 0 || footer > size-12 {
		return fmt.Errorf("footer length %d does not fit in a file of %d bytes", footer, size)
	}
	return nil
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
	if !utf8.ValidString(s) { // Parquet strings are bytes as stored
		return "", fmt.Errorf("field %q is not valid UTF-8 (byte offset %d)", field, invalidAt([]byte(s)))
	}
	return s, nil
}

// Strings returns field as a list of strings (a JSON array of strings, or
// a Parquet list), or an error naming the field and the bad element.
func (r Record) Strings(field string) ([]string, error) {
	v, ok := r[field]
	if !ok {
		return nil, fmt.Errorf("missing field %q", field)
	}
	var out []string
	switch x := v.(type) {
	case []string:
		out = x
	case []any:
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("field %q element %d is %T, want a string", field, i, e)
			}
			out = append(out, s)
		}
	default:
		return nil, fmt.Errorf("field %q is %T, want a list of strings", field, v)
	}
	for i, s := range out {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("field %q element %d is not valid UTF-8 (byte offset %d)", field, i, invalidAt([]byte(s)))
		}
	}
	return out, nil
}

// Int returns field as an integer (integral numbers and booleans qualify).
func (r Record) Int(field string) (int, error) {
	v, ok := r[field]
	if !ok {
		return 0, fmt.Errorf("missing field %q", field)
	}
	switch x := v.(type) {
	case int64:
		if x < math.MinInt32 || x > math.MaxInt32 {
			return 0, fmt.Errorf("field %q is %d, outside the integers this toolkit takes (±2³¹)", field, x)
		}
		return int(x), nil
	case float64:
		if x != math.Trunc(x) {
			break
		}
		if x < math.MinInt32 || x > math.MaxInt32 {
			return 0, fmt.Errorf("field %q is %g, outside the integers this toolkit takes (±2³¹)", field, x)
		}
		return int(x), nil
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

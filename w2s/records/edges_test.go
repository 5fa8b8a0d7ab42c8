package records

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParquetFooterLengthCheckedFirst: a footer length of about 3.7 GB
// (bytes 0c 01 00 de before the trailing PAR1) made parquet-go allocate it
// and the process die of out-of-memory; it is now refused before reading.
func TestParquetFooterLengthCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeParquet(t, good, []row{{"a fine film", 1, true, 0.5}})
	raw, _ := os.ReadFile(good)
	bad := append([]byte(nil), raw...)
	copy(bad[len(bad)-8:], []byte{0x0c, 0x01, 0x00, 0xde})
	if binary.LittleEndian.Uint32(bad[len(bad)-8:]) < 3_000_000_000 {
		t.Fatal("the test's footer length is not huge")
	}
	path := filepath.Join(dir, "huge-footer.parquet")
	os.WriteFile(path, bad, 0o644)
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), "footer length") || !strings.Contains(err.Error(), path) {
		t.Errorf("huge footer length: %v", err)
	}
	for name, data := range map[string][]byte{
		"short.parquet":    []byte("PAR1PAR1"),
		"no-magic.parquet": append([]byte("XXXX"), raw[4:]...),
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		if _, err := ReadFile(p); err == nil || !strings.Contains(err.Error(), "corrupt parquet") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestIntegersOutOfRange(t *testing.T) {
	for _, line := range []string{`{"label":1e20}`, `{"label":9223372036854775807}`, `{"label":-3000000000}`} {
		recs, err := ReadJSONL(strings.NewReader(line+"\n"), "x.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		_, err = recs[0].Int("label")
		if err == nil || !strings.Contains(err.Error(), "outside the integers") {
			t.Errorf("%s: %v (1e20 was once read as -9223372036854775808)", line, err)
		}
	}
	recs, _ := ReadJSONL(strings.NewReader(`{"label":3}`+"\n"), "x.jsonl")
	if n, err := recs[0].Int("label"); n != 3 || err != nil {
		t.Errorf("label 3: %d, %v", n, err)
	}
}

func TestInvalidUTF8Refused(t *testing.T) {
	data := []byte("{\"text\":\"fine\"}\n{\"text\":\"bad \xff byte\"}\n")
	_, err := ReadJSONL(bytes.NewReader(data), "x.jsonl")
	if err == nil || !strings.Contains(err.Error(), "x.jsonl line 2: invalid UTF-8 (byte offset 13)") {
		t.Errorf("invalid UTF-8: %v", err)
	}
	r := Record{"text": "bad \xff"}
	if _, err := r.String("text"); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("invalid UTF-8 string field: %v", err)
	}
}

package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	a := F32Tensor("a", []int{2, 3}, []float32{1, 2, 3, 4, 5, -6.5})
	b := F32Tensor("b.bias", []int{}, []float32{math.Pi})
	bf := Tensor{Name: "c", DType: BF16, Shape: []int{2}, Data: []byte{0x80, 0x3f, 0x00, 0xc0}} // 1.0, -2.0
	if err := Write(path, []Tensor{b, a, bf}, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v", f.Metadata)
	}
	got, shape, err := f.Float32s("a")
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 2 || shape[0] != 2 || shape[1] != 3 || got[5] != -6.5 || got[0] != 1 {
		t.Errorf("a = %v %v", got, shape)
	}
	got, shape, _ = f.Float32s("b.bias")
	if len(shape) != 0 || got[0] != float32(math.Pi) {
		t.Errorf("b.bias = %v %v", got, shape)
	}
	got, _, _ = f.Float32s("c")
	if got[0] != 1 || got[1] != -2 {
		t.Errorf("bf16 c = %v", got)
	}
	if _, _, err := f.Float32s("missing"); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("missing tensor: err %v", err)
	}
	// The data section starts 8-byte aligned.
	raw, _ := os.ReadFile(path)
	if n := binary.LittleEndian.Uint64(raw); (8+n)%8 != 0 {
		t.Errorf("header length %d leaves data unaligned", n)
	}
}

func TestHalfToFloat32(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 5.960464477539063e-08},
		{0x0400, 6.103515625e-05}, {0x3555, 0.333251953125}, {0x8000, float32(math.Copysign(0, -1))},
	} {
		if got := HalfToFloat32(c.h); got != c.want || math.Signbit(float64(got)) != math.Signbit(float64(c.want)) {
			t.Errorf("HalfToFloat32(%#04x) = %g, want %g", c.h, got, c.want)
		}
	}
	if !math.IsInf(float64(HalfToFloat32(0x7c00)), 1) || !math.IsNaN(float64(HalfToFloat32(0x7e00))) {
		t.Error("Inf/NaN not preserved")
	}
}

// file builds raw safetensors bytes from a header string and a data size.
func file(header string, data int) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, uint64(len(header)))
	buf.WriteString(header)
	buf.Write(make([]byte, data))
	return buf.Bytes()
}

func TestRejectsBadFiles(t *testing.T) {
	cases := []struct {
		name, want string
		raw        []byte
	}{
		{"too short", "shorter than the 8-byte", []byte{1, 2, 3}},
		{"header past end", "exceeds the 4 bytes after it", append(file("", 0)[:0], 0xff, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ')},
		{"huge header length", "exceeds the", []byte{0, 0, 0, 0, 0, 0, 0, 0x7f, '{'}},
		{"not json", "not a JSON object", file("[1,2]", 0)},
		{"truncated json", "header JSON", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`, 4)},
		{"bad dtype", `unsupported dtype "I8"`, file(`{"a":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}}`, 4)},
		{"size mismatch", "needs 8 bytes but data_offsets span 4", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4)},
		{"past data", "lies past the 4 bytes", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4)},
		{"backwards", "run backwards", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, 4)},
		{"negative dim", "negative dimension", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4)},
		{"overflowing shape", "too large", file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4)},
		{"overlap", "overlaps", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4)},
		{"hole", "not covered", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8)},
		{"trailing data", "cover 4 bytes but the data section holds 8", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8)},
		{"duplicate name", "appears twice", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4)},
		{"bad metadata", "__metadata__", file(`{"__metadata__":{"x":1}}`, 0)},
		{"garbage after", "unexpected bytes", file(`{}  x`, 0)},
		{"missing offsets", "data_offsets must be", file(`{"a":{"dtype":"F32","shape":[1]}}`, 4)},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "bad.safetensors")
		if err := os.WriteFile(path, c.raw, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q, want it to name the file and say %q", c.name, err, c.want)
		}
	}
}

func TestEncodeRejectsInconsistentTensors(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, []Tensor{{Name: "a", DType: F32, Shape: []int{3}, Data: make([]byte, 8)}}, nil); err == nil {
		t.Error("short data accepted")
	}
	if err := Encode(&buf, []Tensor{F32Tensor("a", []int{1}, []float32{1}), F32Tensor("a", []int{1}, []float32{1})}, nil); err == nil {
		t.Error("duplicate names accepted")
	}
}

// FuzzParseHeader feeds arbitrary headers to the parser: it must never panic,
// and whatever it accepts must satisfy the invariants it promises.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`), int64(16))
	f.Add([]byte(`{"__metadata__":{"format":"pt"},"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}}`), int64(6))
	f.Add([]byte(`{"a":{"dtype":"F16","shape":[],"data_offsets":[0,2]},"b":{"dtype":"F32","shape":[0],"data_offsets":[2,2]}}`), int64(2))
	f.Add([]byte(`{}`), int64(0))
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`), int64(4))
	f.Fuzz(func(t *testing.T, header []byte, dataSize int64) {
		if dataSize < 0 {
			dataSize = -dataSize
		}
		h, err := ParseHeader(header, dataSize)
		if err != nil {
			return
		}
		var pos int64
		for _, ti := range h.Tensors {
			if ti.Begin != pos || ti.End < ti.Begin || ti.End-ti.Begin != ti.NumElements()*int64(ti.DType.Size()) {
				t.Fatalf("accepted inconsistent tensor %+v", ti)
			}
			pos = ti.End
		}
		if pos != dataSize {
			t.Fatalf("accepted header covering %d of %d bytes", pos, dataSize)
		}
	})
}

// FuzzOpen feeds whole files to Open and reads every tensor: any bytes must
// give tensors or an error, never a panic or a runaway allocation.
func FuzzOpen(f *testing.F) {
	var buf bytes.Buffer
	if err := Encode(&buf, []Tensor{F32Tensor("w", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}), F32Tensor("b", []int{3}, []float32{7, 8, 9})},
		map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	f.Add(good)
	f.Add(good[:len(good)-5])
	huge := append([]byte(nil), good...)
	huge[7] = 0x7f // header length near 2^63
	f.Add(huge)
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.safetensors")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sf, err := Open(p)
		if err != nil {
			return
		}
		defer sf.Close()
		for _, ti := range sf.Tensors {
			sf.Bytes(ti.Name)
			sf.Float32s(ti.Name)
		}
	})
}

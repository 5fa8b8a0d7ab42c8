// Package safetensors reads and writes the safetensors format used by
// Hugging Face checkpoints: an 8-byte little-endian header length N, N bytes
// of JSON describing each tensor (dtype, shape, byte offsets into the data
// that follows) plus optional "__metadata__", then the tensor bytes.
//
// The reader trusts nothing in a file: the header length, every offset,
// shape and dtype are checked, tensors may neither overlap nor leave holes,
// and each error names the file and the tensor at fault.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/w2s-lab/w2s/w2s/internal/atomicfile"
)

// DType is a tensor element type as spelled in safetensors headers.
type DType string

const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	F64  DType = "F64"
	I32  DType = "I32"
	I64  DType = "I64"
	U64  DType = "U64"
)

// Size is the number of bytes of one element, or 0 for an unsupported dtype.
func (d DType) Size() int {
	switch d {
	case F16, BF16:
		return 2
	case F32, I32:
		return 4
	case F64, I64, U64:
		return 8
	}
	return 0
}

// MaxHeaderSize bounds the JSON header, as the reference implementation does.
const MaxHeaderSize = 100 << 20

// TensorInfo describes one tensor of a file. Begin and End are byte offsets
// into the data section (after the header).
type TensorInfo struct {
	Name       string
	DType      DType
	Shape      []int
	Begin, End int64
}

// NumElements is the product of the shape (1 for a scalar).
func (t TensorInfo) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

// Header is a parsed and validated header.
type Header struct {
	Tensors  []TensorInfo // sorted by Begin
	Metadata map[string]string
	DataSize int64 // bytes of the data section the header describes
}

// Tensor returns the named tensor's description.
func (h *Header) Tensor(name string) (TensorInfo, bool) {
	for _, t := range h.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return TensorInfo{}, false
}

type rawEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// ParseHeader parses and validates the JSON header of a file whose data
// section holds dataSize bytes. Every tensor must have a supported dtype, a
// non-negative shape whose byte size equals its offset range, and lie inside
// the data; tensors must cover the data exactly, without overlap or holes.
func ParseHeader(header []byte, dataSize int64) (*Header, error) {
	if len(header) == 0 || header[0] != '{' {
		return nil, errors.New("header is not a JSON object")
	}
	// Decode key by key to reject duplicate names, which a map would hide.
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("header JSON: %w", err)
	}
	h := &Header{DataSize: dataSize}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("header JSON: expected a tensor name, got %v", tok)
		}
		if seen[name] {
			return nil, fmt.Errorf("header: tensor %q appears twice", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			if err := dec.Decode(&h.Metadata); err != nil {
				return nil, fmt.Errorf("header: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var e rawEntry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("header: tensor %q: %w", name, err)
		}
		t, err := e.validate(name, dataSize)
		if err != nil {
			return nil, err
		}
		h.Tensors = append(h.Tensors, t)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("header JSON: %w", err)
	}
	// Only spaces may follow the object (the format pads headers with them).
	rest, _ := io.ReadAll(dec.Buffered())
	if len(bytes.Trim(rest, " ")) != 0 {
		return nil, errors.New("header: unexpected bytes after the JSON object")
	}
	sort.Slice(h.Tensors, func(i, j int) bool {
		a, b := h.Tensors[i], h.Tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	var pos int64
	for _, t := range h.Tensors {
		if t.Begin < pos {
			return nil, fmt.Errorf("header: tensor %q [%d, %d) overlaps the tensor before it", t.Name, t.Begin, t.End)
		}
		if t.Begin > pos {
			return nil, fmt.Errorf("header: %d bytes before tensor %q are not covered by any tensor", t.Begin-pos, t.Name)
		}
		pos = t.End
	}
	if pos != dataSize {
		return nil, fmt.Errorf("header: tensors cover %d bytes but the data section holds %d", pos, dataSize)
	}
	return h, nil
}

func (e rawEntry) validate(name string, dataSize int64) (TensorInfo, error) {
	t := TensorInfo{Name: name, DType: DType(e.DType)}
	size := int64(t.DType.Size())
	if size == 0 {
		return t, fmt.Errorf("tensor %q: unsupported dtype %q (want F32, F16, BF16, F64, I32, I64 or U64)", name, e.DType)
	}
	if e.Shape == nil {
		return t, fmt.Errorf("tensor %q: missing shape", name)
	}
	if len(e.DataOffsets) != 2 {
		return t, fmt.Errorf("tensor %q: data_offsets must be [begin, end], got %v", name, e.DataOffsets)
	}
	n := int64(1)
	for _, d := range e.Shape {
		if d < 0 {
			return t, fmt.Errorf("tensor %q: negative dimension in shape %v", name, e.Shape)
		}
		if d > 0 && n > math.MaxInt64/size/d {
			return t, fmt.Errorf("tensor %q: shape %v is too large", name, e.Shape)
		}
		n *= d
		t.Shape = append(t.Shape, int(d))
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin > end {
		return t, fmt.Errorf("tensor %q: data_offsets [%d, %d] run backwards", name, begin, end)
	}
	if end > uint64(dataSize) {
		return t, fmt.Errorf("tensor %q: data_offsets end %d lies past the %d bytes of data", name, end, dataSize)
	}
	if int64(end-begin) != n*size {
		return t, fmt.Errorf("tensor %q: %s shape %v needs %d bytes but data_offsets span %d", name, e.DType, e.Shape, n*size, end-begin)
	}
	t.Begin, t.End = int64(begin), int64(end)
	return t, nil
}

// File is an open safetensors file; tensors are read on demand.
type File struct {
	Path string
	Header
	f          *os.File
	dataOffset int64
}

// Open opens and validates path.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	sf, err := readHeader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	sf.Path, sf.f = path, f
	return sf, nil
}

func readHeader(r io.ReaderAt, fileSize int64) (*File, error) {
	if fileSize < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", fileSize)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if int64(n) > fileSize-8 {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes after it", n, fileSize-8)
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, 8); err != nil {
		return nil, err
	}
	h, err := ParseHeader(header, fileSize-8-int64(n))
	if err != nil {
		return nil, err
	}
	return &File{Header: *h, dataOffset: 8 + int64(n)}, nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// Bytes returns the raw little-endian bytes of the named tensor.
func (f *File) Bytes(name string) (TensorInfo, []byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return t, nil, fmt.Errorf("safetensors %s: no tensor %q", f.Path, name)
	}
	buf := make([]byte, t.End-t.Begin)
	if _, err := f.f.ReadAt(buf, f.dataOffset+t.Begin); err != nil {
		return t, nil, fmt.Errorf("safetensors %s: tensor %q: %w", f.Path, name, err)
	}
	return t, buf, nil
}

// Float32s returns a floating-point tensor converted to float32.
func (f *File) Float32s(name string) ([]float32, []int, error) {
	t, raw, err := f.Bytes(name)
	if err != nil {
		return nil, nil, err
	}
	out, err := DecodeFloat32(t.DType, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors %s: tensor %q: %w", f.Path, name, err)
	}
	return out, t.Shape, nil
}

// DecodeFloat32 converts little-endian F32, F16, BF16 or F64 bytes to float32.
func DecodeFloat32(dtype DType, raw []byte) ([]float32, error) {
	size := dtype.Size()
	if size == 0 || len(raw)%size != 0 {
		return nil, fmt.Errorf("cannot decode %d bytes of %s", len(raw), dtype)
	}
	out := make([]float32, len(raw)/size)
	switch dtype {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	case BF16:
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
	case F16:
		for i := range out {
			out[i] = HalfToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	default:
		return nil, fmt.Errorf("%s is not a floating-point dtype", dtype)
	}
	return out, nil
}

// HalfToFloat32 converts an IEEE 754 binary16 value to float32.
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0: // ±0
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: renormalise
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// Tensor is one tensor to write.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte // little-endian, len = elements × dtype size
}

// F32Tensor makes a Tensor from float32 values.
func F32Tensor(name string, shape []int, values []float32) Tensor {
	data := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return Tensor{Name: name, DType: F32, Shape: shape, Data: data}
}

// Encode serialises tensors (in name order) and metadata.
func Encode(w io.Writer, ts []Tensor, metadata map[string]string) error {
	ts = append([]Tensor(nil), ts...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var offset int64
	for i, t := range ts {
		if i > 0 && ts[i-1].Name == t.Name {
			return fmt.Errorf("safetensors: tensor %q given twice", t.Name)
		}
		n := int64(t.DType.Size())
		if n == 0 {
			return fmt.Errorf("safetensors: tensor %q: unsupported dtype %q", t.Name, t.DType)
		}
		for _, d := range t.Shape {
			n *= int64(d)
		}
		if n != int64(len(t.Data)) {
			return fmt.Errorf("safetensors: tensor %q: %s shape %v needs %d bytes, got %d", t.Name, t.DType, t.Shape, n, len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = map[string]any{"dtype": t.DType, "shape": shape, "data_offsets": []int64{offset, offset + n}}
		offset += n
	}
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	// Pad the header with spaces so the data starts 8-byte aligned.
	if pad := (8 - len(js)%8) % 8; pad > 0 {
		js = append(js, bytes.Repeat([]byte{' '}, pad)...)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(js)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(js); err != nil {
		return err
	}
	for _, t := range ts {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}

// Write writes a safetensors file atomically (see package atomicfile).
func Write(path string, ts []Tensor, metadata map[string]string) error {
	return atomicfile.Write(path, func(w io.Writer) error { return Encode(w, ts, metadata) })
}

// Package weights is the compact file format of the sentence encoder's
// weights, and the mapping from the TensorFlow.js model to it.
//
// A file is "USE-lite" and a little-endian uint32 version (1), a uint32
// count, then that many tensors, each:
//
//	uint8 name length, name
//	uint8 encoding (Float32, Float16, Int8Rows, Int8Cols)
//	uint8 rank, rank × uint32 dimensions
//	payload
//
// A Float32 payload is 4 bytes an element, Float16 (IEEE 754 binary16) 2.
// An Int8Rows payload is one float32 scale a row (the first dimension of a
// matrix) then one signed byte an element; Int8Cols is the same with one
// scale a column (the second dimension: a kernel's output channel). An
// element is then its byte times its scale. Elements are in row-major order.
package weights

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Encoding is how one tensor's elements are stored.
type Encoding uint8

// The encodings.
const (
	Float32 Encoding = iota
	Float16
	Int8Rows
	Int8Cols
)

func (e Encoding) String() string {
	switch e {
	case Float32:
		return "float32"
	case Float16:
		return "float16"
	case Int8Rows:
		return "int8 (a scale a row)"
	case Int8Cols:
		return "int8 (a scale an output channel)"
	}
	return fmt.Sprintf("Encoding(%d)", uint8(e))
}

// Scheme says how a file stores its matrices; vectors and scalars are always
// float32 (they are 0.2% of the model).
type Scheme int

// The schemes compared in the package's quantisation study.
const (
	// AllFloat32 stores everything as it is in the TensorFlow.js model.
	AllFloat32 Scheme = iota
	// AllFloat16 stores every matrix as float16.
	AllFloat16
	// Int8PerChannel stores every kernel as int8 with a scale an output
	// channel, and the embedding table with a scale a row (a token).
	Int8PerChannel
	// Int8PerRow stores every matrix as int8 with a scale a row.
	Int8PerRow
)

func (s Scheme) String() string {
	switch s {
	case AllFloat32:
		return "float32"
	case AllFloat16:
		return "float16"
	case Int8PerChannel:
		return "int8 per output channel"
	case Int8PerRow:
		return "int8 per row"
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

func (s Scheme) encoding(name string, shape []int) Encoding {
	if len(shape) != 2 {
		return Float32
	}
	switch s {
	case AllFloat16:
		return Float16
	case Int8PerChannel:
		if name == Embeddings {
			return Int8Rows
		}
		return Int8Cols
	case Int8PerRow:
		return Int8Rows
	}
	return Float32
}

// Tensor is one weight of the model. Data holds its float32 elements when
// it is built from the TensorFlow.js model; a decoded tensor instead keeps
// its stored form (Enc, Scales and Raw, which aliases the decoded file) and
// gives float32 elements through Float32 and Row.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32

	Enc    Encoding
	Scales []float32
	Raw    []byte
}

// Len is the number of elements.
func (t *Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

var magic = []byte("USE-lite")

const version = 1

// Encode writes tensors in the file format, compressing matrices as s says.
// The output depends only on the tensors and s.
func Encode(ts []Tensor, s Scheme) []byte {
	var b bytes.Buffer
	b.Write(magic)
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, version))
	b.Write(le.AppendUint32(nil, uint32(len(ts))))
	for i := range ts {
		t := &ts[i]
		enc := s.encoding(t.Name, t.Shape)
		b.WriteByte(byte(len(t.Name)))
		b.WriteString(t.Name)
		b.WriteByte(byte(enc))
		b.WriteByte(byte(len(t.Shape)))
		for _, d := range t.Shape {
			b.Write(le.AppendUint32(nil, uint32(d)))
		}
		switch enc {
		case Float32:
			for _, v := range t.Data {
				b.Write(le.AppendUint32(nil, math.Float32bits(v)))
			}
		case Float16:
			for _, v := range t.Data {
				b.Write(le.AppendUint16(nil, F16(v)))
			}
		case Int8Rows, Int8Cols:
			scales, q := quantise(t.Data, t.Shape[0], t.Shape[1], enc == Int8Cols)
			for _, v := range scales {
				b.Write(le.AppendUint32(nil, math.Float32bits(v)))
			}
			for _, v := range q {
				b.WriteByte(byte(v))
			}
		}
	}
	return b.Bytes()
}

// quantise maps a rows×cols matrix to int8 with one scale a row, or a column
// if byCol: the scale is the group's largest magnitude over 127, and each
// element the nearest multiple of it (halves away from zero).
func quantise(data []float32, rows, cols int, byCol bool) ([]float32, []int8) {
	groups, group := rows, func(i int) int { return i / cols }
	if byCol {
		groups, group = cols, func(i int) int { return i % cols }
	}
	maxAbs := make([]float32, groups)
	for i, v := range data {
		g := group(i)
		maxAbs[g] = max(maxAbs[g], float32(math.Abs(float64(v))))
	}
	scales := make([]float32, groups)
	for g, m := range maxAbs {
		scales[g] = m / 127
	}
	q := make([]int8, len(data))
	for i, v := range data {
		s := scales[group(i)]
		if s == 0 {
			continue
		}
		r := math.Round(float64(v) / float64(s))
		q[i] = int8(max(-127, min(127, r)))
	}
	return scales, q
}

// Decode parses a file made by Encode. The tensors' Raw payloads alias b.
func Decode(b []byte) ([]Tensor, error) {
	le := binary.LittleEndian
	r := reader{b: b}
	if !bytes.Equal(r.next(len(magic)), magic) {
		return nil, errors.New("weights: not a USE-lite weights file")
	}
	if v := le.Uint32(r.next(4)); v != version {
		return nil, fmt.Errorf("weights: version %d, want %d", v, version)
	}
	n := int(le.Uint32(r.next(4)))
	ts := make([]Tensor, 0, min(n, 1024))
	for range n {
		var t Tensor
		t.Name = string(r.next(int(r.byte())))
		t.Enc = Encoding(r.byte())
		rank := int(r.byte())
		for range rank {
			t.Shape = append(t.Shape, int(le.Uint32(r.next(4))))
		}
		if r.err != nil {
			break
		}
		count := t.Len()
		switch t.Enc {
		case Float32:
			t.Raw = r.next(4 * count)
		case Float16:
			t.Raw = r.next(2 * count)
		case Int8Rows, Int8Cols:
			if rank != 2 {
				return nil, fmt.Errorf("weights: %s: int8 needs a matrix, not rank %d", t.Name, rank)
			}
			groups := t.Shape[0]
			if t.Enc == Int8Cols {
				groups = t.Shape[1]
			}
			sb := r.next(4 * groups)
			if r.err != nil {
				break
			}
			t.Scales = make([]float32, groups)
			for i := range t.Scales {
				t.Scales[i] = math.Float32frombits(le.Uint32(sb[4*i:]))
			}
			t.Raw = r.next(count)
		default:
			return nil, fmt.Errorf("weights: %s: unknown encoding %d", t.Name, t.Enc)
		}
		if r.err != nil {
			break
		}
		ts = append(ts, t)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("weights: %d bytes after the last tensor", len(r.b))
	}
	return ts, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) next(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errors.New("weights: file ends inside a tensor")
		return make([]byte, n)
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) byte() byte { return r.next(1)[0] }

// Float32 returns every element as float32 (Data itself when it is set).
func (t *Tensor) Float32() []float32 {
	if t.Data != nil {
		return t.Data
	}
	out := make([]float32, t.Len())
	if len(t.Shape) == 2 {
		for i := range t.Shape[0] {
			t.Row(out[i*t.Shape[1]:(i+1)*t.Shape[1]], i)
		}
		return out
	}
	t.decode(out, 0, 0)
	return out
}

// Row writes row i of a matrix into dst, which has one element a column.
func (t *Tensor) Row(dst []float32, i int) {
	if t.Data != nil {
		copy(dst, t.Data[i*len(dst):])
		return
	}
	t.decode(dst, i*len(dst), i)
}

// decode dequantises len(dst) elements from element off, which begins row.
func (t *Tensor) decode(dst []float32, off, row int) {
	le := binary.LittleEndian
	switch t.Enc {
	case Float32:
		b := t.Raw[4*off : 4*(off+len(dst))]
		for j := range dst {
			dst[j] = math.Float32frombits(le.Uint32(b[4*j:]))
		}
	case Float16:
		b := t.Raw[2*off : 2*(off+len(dst))]
		for j := range dst {
			dst[j] = F32(le.Uint16(b[2*j:]))
		}
	case Int8Rows:
		s := t.Scales[row]
		b := t.Raw[off : off+len(dst)]
		for j := range dst {
			dst[j] = float32(int8(b[j])) * s
		}
	case Int8Cols:
		b := t.Raw[off : off+len(dst)]
		for j := range dst {
			dst[j] = float32(int8(b[j])) * t.Scales[j]
		}
	}
}

// Bytes is the size of the tensor's stored form.
func (t *Tensor) Bytes() int { return len(t.Raw) + 4*len(t.Scales) }

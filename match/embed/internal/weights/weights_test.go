package weights

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

func sample() []Tensor {
	r := rand.New(rand.NewPCG(3, 4))
	m := make([]float32, 6*5)
	for i := range m {
		m[i] = float32(r.NormFloat64() * 0.1)
	}
	m[7] = 0.9 // an outlier in row 1, column 2
	e := make([]float32, 4*3)
	for i := range e {
		e[i] = float32(r.NormFloat64())
	}
	clear(e[3:6]) // an all-zero row
	return []Tensor{
		{Name: "scalar", Shape: nil, Data: []float32{0.125}},
		{Name: "vector", Shape: []int{3}, Data: []float32{1, -2, 3.5}},
		{Name: "kernel", Shape: []int{6, 5}, Data: m},
		{Name: Embeddings, Shape: []int{4, 3}, Data: e},
	}
}

func TestEncodeDecode(t *testing.T) {
	for _, s := range []Scheme{AllFloat32, AllFloat16, Int8PerChannel, Int8PerRow} {
		in := sample()
		file := Encode(in, s)
		if !bytes.Equal(file, Encode(sample(), s)) {
			t.Fatalf("%v: Encode is not deterministic", s)
		}
		out, err := Decode(file)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if len(out) != len(in) {
			t.Fatalf("%v: %d tensors back, want %d", s, len(out), len(in))
		}
		for i, want := range in {
			got := out[i]
			if got.Name != want.Name || len(got.Shape) != len(want.Shape) {
				t.Fatalf("%v: tensor %d is %s %v, want %s %v", s, i, got.Name, got.Shape, want.Name, want.Shape)
			}
			enc := s.encoding(want.Name, want.Shape)
			if got.Enc != enc {
				t.Errorf("%v: %s stored as %v, want %v", s, want.Name, got.Enc, enc)
			}
			vals := got.Float32()
			for j, w := range want.Data {
				v := vals[j]
				switch enc {
				case Float32:
					if v != w {
						t.Errorf("%v: %s[%d] = %g, want %g exactly", s, want.Name, j, v, w)
					}
				case Float16:
					if v != F32(F16(w)) {
						t.Errorf("%v: %s[%d] = %g, want %g", s, want.Name, j, v, F32(F16(w)))
					}
				case Int8Rows, Int8Cols:
					// At most half a step of the group's scale away.
					g := j / want.Shape[1]
					if enc == Int8Cols {
						g = j % want.Shape[1]
					}
					if d := math.Abs(float64(v - w)); d > float64(got.Scales[g])/2*1.0001 {
						t.Errorf("%v: %s[%d] = %g, want %g ± %g", s, want.Name, j, v, w, got.Scales[g]/2)
					}
				}
			}
			if len(want.Shape) == 2 {
				row := make([]float32, want.Shape[1])
				got.Row(row, 1)
				for j, v := range row {
					if v != vals[want.Shape[1]+j] {
						t.Errorf("%v: %s Row(1)[%d] = %g, Float32 says %g", s, want.Name, j, v, vals[want.Shape[1]+j])
					}
				}
			}
		}
	}
}

func TestInt8ScaleGroups(t *testing.T) {
	out, err := Decode(Encode(sample(), Int8PerChannel))
	if err != nil {
		t.Fatal(err)
	}
	k, e := out[2], out[3]
	if len(k.Scales) != 5 || len(e.Scales) != 4 {
		t.Fatalf("%d kernel scales (want 5, one an output channel), %d embedding scales (want 4, one a row)", len(k.Scales), len(e.Scales))
	}
	if k.Scales[2] != 0.9/127 {
		t.Errorf("column 2's scale is %g, want its largest magnitude over 127", k.Scales[2])
	}
	if e.Scales[1] != 0 {
		t.Errorf("the zero row's scale is %g", e.Scales[1])
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	file := Encode(sample(), AllFloat16)
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"truncated", file[:len(file)-1]},
		{"trailing", append(bytes.Clone(file), 0)},
		{"magic", append([]byte("USE-LITE"), file[8:]...)},
		{"version", append(append(bytes.Clone(file[:8]), 2, 0, 0, 0), file[12:]...)},
	} {
		if _, err := Decode(c.b); err == nil {
			t.Errorf("%s: Decode accepted it", c.name)
		}
	}
}

func TestDecodeHugeCounts(t *testing.T) {
	file := append([]byte("USE-lite"), 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff)
	file = append(file, 1, 'x', byte(Int8Rows), 2, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f)
	if _, err := Decode(file); err == nil {
		t.Error("Decode accepted a file claiming 2³²-1 tensors of 2⁶² elements")
	}
}

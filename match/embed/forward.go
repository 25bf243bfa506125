package embed

import (
	"fmt"
	"math"

	"github.com/commonground/commonground/match/embed/internal/weights"
)

// The forward pass, as the TensorFlow.js graph computes it for the tokens of
// one sentence (positions 0…n-1, n ≤ 128):
//
//	x = e + (e + timing)      e the token's 256-wide embedding; the graph adds
//	                          the embeddings twice, once on their own and once
//	                          with the sinusoid position signal
//	layer 0 (256 wide in, 512 out, 4 heads of 64):
//	  x = MHA(LN(x)) + x·R + r   R widens the residual to 512
//	  x = FFN(LN(x)) + x
//	layer 1 (512 wide, 4 heads of 128):
//	  x = MHA(LN(x)) + x
//	  x = FFN(LN(x)) + x
//	v = tanh(mean(x)·H + h) / ‖…‖
//
// MHA is self-attention over the sentence's tokens, queries scaled by
// 1/√(head size), softmax over the keys; FFN is ReLU(x·W1 + b1)·W2 + b2;
// LN is a layer norm with ε = 1e-6 (the graph's constant). The reductions
// (means, sums, softmax) follow the TensorFlow.js CPU kernels' order:
// float32 elements summed in float64.

type matrix struct {
	w      []float32 // in×out, row-major
	b      []float32 // out
	in, ou int
}

type layer struct {
	in, heads, headSize int
	attnLNScale         []float32
	attnLNBias          []float32
	qkv, out, residual  matrix
	qScale              float32
	ffnLNScale          []float32
	ffnLNBias           []float32
	conv1, conv2        matrix
}

type network struct {
	embeddings   *weights.Tensor // dequantised a row at a time
	timing       []float32       // [MaxTokens][256]: the position signal
	lnEps, l2Eps float32
	layers       [2]layer
	hidden       matrix
}

func newNetwork(ts []weights.Tensor) (*network, error) {
	byName := make(map[string]*weights.Tensor, len(ts))
	for i := range ts {
		byName[ts[i].Name] = &ts[i]
	}
	var missing []string
	vec := func(name string, n int) []float32 {
		t := byName[name]
		if t == nil || t.Len() != n {
			missing = append(missing, name)
			return make([]float32, n)
		}
		return t.Float32()
	}
	mat := func(kernel, bias string, in, out int) matrix {
		return matrix{w: vec(kernel, in*out), b: vec(bias, out), in: in, ou: out}
	}
	nw := &network{embeddings: byName[weights.Embeddings]}
	if e := nw.embeddings; e == nil || len(e.Shape) != 2 || e.Shape[0] != weights.Vocab || e.Shape[1] != weights.EmbedDim {
		missing = append(missing, weights.Embeddings)
	}
	inv := vec(weights.TimingInv, weights.EmbedDim/2)
	nw.lnEps = vec(weights.LNEpsilon, 1)[0]
	nw.l2Eps = vec(weights.L2Epsilon, 1)[0]
	for l, w := range weights.Layers {
		ly := &nw.layers[l]
		ly.in, ly.heads, ly.headSize = w.InputDim, w.Heads, w.HeadSize
		ly.attnLNScale = vec(w.AttnLNScale, w.InputDim)
		ly.attnLNBias = vec(w.AttnLNBias, w.InputDim)
		ly.qkv = mat(w.QKVKernel, w.QKVBias, w.InputDim, 3*w.InputDim)
		ly.qScale = vec(w.QScale, 1)[0]
		ly.out = mat(w.OutKernel, w.OutBias, w.InputDim, Dim)
		if w.ResidualKernel != "" {
			ly.residual = mat(w.ResidualKernel, w.ResidualBias, w.InputDim, Dim)
		}
		ly.ffnLNScale = vec(w.FFNLNScale, Dim)
		ly.ffnLNBias = vec(w.FFNLNBias, Dim)
		ly.conv1 = mat(w.Conv1Kernel, w.Conv1Bias, Dim, weights.FFNDim)
		ly.conv2 = mat(w.Conv2Kernel, w.Conv2Bias, weights.FFNDim, Dim)
	}
	nw.hidden = mat(weights.HiddenKernel, weights.HiddenBias, Dim, Dim)
	if len(missing) > 0 {
		return nil, fmt.Errorf("embed: weights missing or misshapen: %v", missing)
	}

	// The signal for position p is sin(p·inv) then cos(p·inv), the product
	// in float32 as the graph has it.
	half := weights.EmbedDim / 2
	nw.timing = make([]float32, weights.MaxTokens*weights.EmbedDim)
	for p := range weights.MaxTokens {
		row := nw.timing[p*weights.EmbedDim:]
		for i, f := range inv {
			a := float64(float32(p) * f)
			row[i] = float32(math.Sin(a))
			row[half+i] = float32(math.Cos(a))
		}
	}
	return nw, nil
}

// memory is the size of the float32 weights kept in memory, in bytes.
func (nw *network) memory() int {
	n := len(nw.timing) + nw.hidden.size()
	for _, ly := range nw.layers {
		n += len(ly.attnLNScale) + len(ly.attnLNBias) + len(ly.ffnLNScale) + len(ly.ffnLNBias)
		n += ly.qkv.size() + ly.out.size() + ly.residual.size() + ly.conv1.size() + ly.conv2.size()
	}
	return 4 * n
}

func (m matrix) size() int { return len(m.w) + len(m.b) }

// apply sets y = x·w + b for rows rows of x.
func (m matrix) apply(y, x []float32, rows int) { matMul(y, x, m.w, m.b, rows, m.in, m.ou) }

// work holds the buffers of one forward pass over a batch of sentences.
type work struct {
	x0, x, h, qkv, att, y, ff []float32
	scores                    []float32
	row                       []float32
	idx                       []int32
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func (w *work) size(tokens int) {
	w.x0 = grow(w.x0, tokens*weights.EmbedDim)
	w.x = grow(w.x, tokens*Dim)
	w.h = grow(w.h, tokens*Dim)
	w.qkv = grow(w.qkv, tokens*3*Dim)
	w.att = grow(w.att, tokens*Dim)
	w.y = grow(w.y, tokens*Dim)
	w.ff = grow(w.ff, tokens*weights.FFNDim)
	w.scores = grow(w.scores, weights.MaxTokens)
	w.row = grow(w.row, Dim)
	if cap(w.idx) < weights.FFNDim {
		w.idx = make([]int32, weights.FFNDim)
	}
}

// forward writes into out[i] the vector of the sentence with token ids
// seqs[i], each already cut to at most MaxTokens.
func (nw *network) forward(w *work, seqs [][]int, out [][]float32) {
	tokens := 0
	for _, s := range seqs {
		tokens += len(s)
	}
	w.size(tokens)

	// Embeddings and position signal.
	const ed = weights.EmbedDim
	t := 0
	for _, s := range seqs {
		for p, id := range s {
			e := w.x0[t*ed : (t+1)*ed]
			nw.embeddings.Row(e, id)
			sig := nw.timing[p*ed : (p+1)*ed]
			for i, v := range e {
				e[i] = v + (v + sig[i])
			}
			t++
		}
	}

	// Layer 0: 256 wide in, 512 out; its residual goes through a projection.
	l0 := &nw.layers[0]
	layerNorm(w.h, w.x0, l0.attnLNScale, l0.attnLNBias, nw.lnEps, tokens, l0.in)
	nw.attention(w, l0, seqs, tokens)
	l0.residual.apply(w.x, w.x0, tokens)
	add(w.x[:tokens*Dim], w.y[:tokens*Dim])
	nw.feedForward(w, l0, tokens)

	// Layer 1: 512 wide.
	l1 := &nw.layers[1]
	layerNorm(w.h, w.x, l1.attnLNScale, l1.attnLNBias, nw.lnEps, tokens, l1.in)
	nw.attention(w, l1, seqs, tokens)
	add(w.x[:tokens*Dim], w.y[:tokens*Dim])
	nw.feedForward(w, l1, tokens)

	// Mean over each sentence's tokens, tanh layer, l2 normalisation.
	t = 0
	for i, s := range seqs {
		n := len(s)
		pooled := w.row
		for j := range Dim {
			var sum float64
			for r := t; r < t+n; r++ {
				sum += float64(w.x[r*Dim+j])
			}
			pooled[j] = float32(sum) / float32(max(n, 1))
		}
		t += n
		v := out[i]
		nw.hidden.apply(v, pooled, 1)
		var sq float64
		for j, a := range v {
			a = float32(math.Tanh(float64(a)))
			v[j] = a
			sq += float64(a * a)
		}
		scale := float32(1 / math.Sqrt(float64(max(float32(sq), nw.l2Eps))))
		for j := range v {
			v[j] *= scale
		}
	}
}

// attention sets w.y to the self-attention block's output for the layer
// norm in w.h: fused projection to queries, keys and values, per head
// softmax(q·kᵀ)·v within each sentence, and the output projection.
func (nw *network) attention(w *work, ly *layer, seqs [][]int, tokens int) {
	d := ly.in
	ly.qkv.apply(w.qkv, w.h, tokens)
	qkv := w.qkv[:tokens*3*d]
	for i := 0; i < len(qkv); i += 3 * d {
		q := qkv[i : i+d]
		for j := range q {
			q[j] *= ly.qScale
		}
	}
	hs := ly.headSize
	t0 := 0
	for _, s := range seqs {
		n := len(s)
		for h := range ly.heads {
			for a := t0; a < t0+n; a++ {
				q := qkv[a*3*d+h*hs : a*3*d+(h+1)*hs]
				scores := w.scores[:n]
				maxScore := float32(math.Inf(-1))
				for b := range n {
					k := qkv[(t0+b)*3*d+d+h*hs:][:hs]
					var dot float32
					for j, v := range q {
						dot += v * k[j]
					}
					scores[b] = dot
					maxScore = max(maxScore, dot)
				}
				var sum float64
				for b, v := range scores {
					e := float32(math.Exp(float64(v - maxScore)))
					scores[b] = e
					sum += float64(e)
				}
				total := float32(sum)
				out := w.att[a*d+h*hs : a*d+(h+1)*hs]
				clear(out)
				for b, e := range scores {
					p := e / total
					v := qkv[(t0+b)*3*d+2*d+h*hs:][:hs]
					for j := range out {
						out[j] += p * v[j]
					}
				}
			}
		}
		t0 += n
	}
	ly.out.apply(w.y, w.att, tokens)
}

// feedForward sets w.x += FFN(LN(w.x)).
func (nw *network) feedForward(w *work, ly *layer, tokens int) {
	layerNorm(w.h, w.x, ly.ffnLNScale, ly.ffnLNBias, nw.lnEps, tokens, Dim)
	ly.conv1.apply(w.ff, w.h, tokens)
	ff := w.ff[:tokens*weights.FFNDim]
	for i, v := range ff {
		ff[i] = max(v, 0)
	}
	matMulSparse(w.y, ff, ly.conv2.w, ly.conv2.b, tokens, ly.conv2.in, ly.conv2.ou, w.idx)
	add(w.x[:tokens*Dim], w.y[:tokens*Dim])
}

// layerNorm sets each of the rows d-wide rows of dst to
// scale·(x-mean)/√(var+eps) + bias, in the graph's order of operations.
func layerNorm(dst, src, scale, bias []float32, eps float32, rows, d int) {
	fd := float32(d)
	for r := range rows {
		x := src[r*d : (r+1)*d]
		y := dst[r*d : (r+1)*d]
		// The CPU kernel's mean divides each element, then sums.
		var sum float64
		for _, v := range x {
			sum += float64(v / fd)
		}
		mean := float32(sum)
		sum = 0
		for i, v := range x {
			c := v - mean
			y[i] = c
			sum += float64(c * c / fd)
		}
		inv := float32(1 / math.Sqrt(float64(float32(sum)+eps)))
		for i, c := range y {
			y[i] = scale[i]*inv*c + bias[i]
		}
	}
}

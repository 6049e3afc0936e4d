namespace Stage.Inference.Kernels;

/// <summary>
/// A Conv1d prepared for time-major input: the PyTorch weight [out, in, k] is reordered to
/// [out, k, in] so that an output frame is one dot product with a contiguous window of k input
/// frames, i.e. a GEMM row — no im2col copy when the dilation is 1.
/// </summary>
public sealed class Conv1dWeights : PreparedWeights
{
    Conv1dWeights(int inChannels, int outChannels, int kernelSize, int stride, int dilation, LinearWeights gemm)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Dilation = dilation;
        Gemm = gemm;
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Dilation { get; }
    /// <summary>Receptive field in frames: (k − 1)·dilation + 1.</summary>
    public int EffectiveKernelSize => (KernelSize - 1) * Dilation + 1;
    internal LinearWeights Gemm { get; }

    /// <summary>The same convolution with its weights kept as bfloat16 (see <see cref="LinearWeights.ToBFloat16"/>).</summary>
    public Conv1dWeights ToBFloat16() => new(InChannels, OutChannels, KernelSize, Stride, Dilation, Gemm.ToBFloat16());

    /// <param name="weight">PyTorch Conv1d weight [out, in, k] (already weight-norm folded).</param>
    public static Conv1dWeights FromPyTorch(ReadOnlySpan<float> weight, int outChannels, int inChannels, int kernelSize,
        ReadOnlySpan<float> bias, int stride = 1, int dilation = 1)
    {
        if (weight.Length != outChannels * inChannels * kernelSize)
            throw new ArgumentException($"conv weight holds {weight.Length} floats, expected [{outChannels}, {inChannels}, {kernelSize}]");
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dilation, 1);
        var reordered = new float[weight.Length];
        for (int o = 0; o < outChannels; o++)
            for (int i = 0; i < inChannels; i++)
                for (int k = 0; k < kernelSize; k++)
                    reordered[(o * kernelSize + k) * inChannels + i] = weight[(o * inChannels + i) * kernelSize + k];
        var gemm = LinearWeights.FromRows(reordered, outChannels, kernelSize * inChannels, bias);
        return new Conv1dWeights(inChannels, outChannels, kernelSize, stride, dilation, gemm);
    }
}

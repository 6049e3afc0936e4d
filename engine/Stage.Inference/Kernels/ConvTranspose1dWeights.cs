namespace Stage.Inference.Kernels;

/// <summary>
/// A ConvTranspose1d prepared as a polyphase convolution: output frame t·s + r (phase r) only sees
/// input frames t − j for the J = ceil(k/s) taps j with r + j·s &lt; k. So one GEMM row — a window of
/// J consecutive input frames — produces all s phases × out channels of one stride period directly,
/// with no scatter/overlap-add pass. The PyTorch weight [in, out, k] is reordered to
/// [(phase, out), (tap window position, in)], zero where r + j·s ≥ k.
/// </summary>
public sealed class ConvTranspose1dWeights : PreparedWeights
{
    ConvTranspose1dWeights(int inChannels, int outChannels, int kernelSize, int stride, int taps, LinearWeights gemm)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Taps = taps;
        Gemm = gemm;
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    /// <summary>Input frames that contribute to one output frame: ceil(k / stride).</summary>
    public int Taps { get; }
    internal LinearWeights Gemm { get; }

    /// <summary>The same convolution with its weights kept as bfloat16 (see <see cref="LinearWeights.ToBFloat16"/>).</summary>
    public ConvTranspose1dWeights ToBFloat16() => new(InChannels, OutChannels, KernelSize, Stride, Taps, Gemm.ToBFloat16());

    /// <param name="weight">PyTorch ConvTranspose1d weight [in, out, k] (already weight-norm folded).</param>
    public static ConvTranspose1dWeights FromPyTorch(ReadOnlySpan<float> weight, int inChannels, int outChannels, int kernelSize,
        ReadOnlySpan<float> bias, int stride)
    {
        if (weight.Length != inChannels * outChannels * kernelSize)
            throw new ArgumentException($"convtr weight holds {weight.Length} floats, expected [{inChannels}, {outChannels}, {kernelSize}]");
        if (!bias.IsEmpty && bias.Length != outChannels) throw new ArgumentException($"bias holds {bias.Length} floats, expected {outChannels}");
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        int taps = (kernelSize + stride - 1) / stride;
        int rows = stride * outChannels, cols = taps * inChannels;
        var packed = new float[rows * cols];
        for (int r = 0; r < stride; r++)
            for (int o = 0; o < outChannels; o++)
                for (int position = 0; position < taps; position++)
                {
                    // Window position 0 holds the oldest frame t − (J − 1).
                    int kk = r + (taps - 1 - position) * stride;
                    if (kk >= kernelSize) continue;
                    for (int i = 0; i < inChannels; i++)
                        packed[(r * outChannels + o) * cols + position * inChannels + i] = weight[(i * outChannels + o) * kernelSize + kk];
                }
        var phaseBias = new float[rows];
        if (!bias.IsEmpty)
            for (int r = 0; r < stride; r++) bias.CopyTo(phaseBias.AsSpan(r * outChannels, outChannels));
        var gemm = LinearWeights.FromRows(packed, rows, cols, phaseBias);
        return new ConvTranspose1dWeights(inChannels, outChannels, kernelSize, stride, taps, gemm);
    }
}

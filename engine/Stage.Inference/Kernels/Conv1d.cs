using System.Buffers;

namespace Stage.Inference.Kernels;

/// <summary>1-D convolution over time-major signals x [length, in] → y [outLength, out].</summary>
public static class Conv1d
{
    /// <summary>
    /// Padding of a non-causal SConv1d / StreamableConv1d / HF EncodecConv1d (model-spec §4.4):
    /// padding_total = k_eff − stride split right = total/2, left = the rest, plus the "extra" right
    /// padding that makes the last window complete when length is not a multiple of the stride.
    /// </summary>
    public static (int Left, int Right) NonCausalPadding(int length, int kernelSize, int stride, int dilation = 1)
    {
        int kEff = (kernelSize - 1) * dilation + 1;
        int total = kEff - stride;
        int right = total / 2;
        int left = total - right;
        // n = (L − k_eff + total)/stride + 1 (real), ideal = (ceil(n) − 1)·stride + (k_eff − total)
        long numerator = (long)length - kEff + total;
        long frames = numerator >= 0 ? (numerator + stride - 1) / stride + 1 : -((-numerator) / stride) + 1;
        long ideal = (frames - 1) * stride + (kEff - total);
        int extra = (int)Math.Max(0, ideal - length);
        return (left, right + extra);
    }

    /// <summary>Output frames for an input of <paramref name="paddedLength"/> frames (padding included).</summary>
    public static int OutputLength(int paddedLength, Conv1dWeights w) =>
        paddedLength < w.EffectiveKernelSize ? 0 : (paddedLength - w.EffectiveKernelSize) / w.Stride + 1;

    /// <summary>
    /// y = conv(pad(act(x))) + bias, where act is ELU(1) when <paramref name="eluInput"/> (SEANet puts an
    /// ELU before most convs; fusing it into the padding copy saves a pass and leaves x untouched).
    /// With <paramref name="accumulate"/> the result is added to y (residual connections).
    /// Returns the number of output frames written.
    /// </summary>
    public static int Forward(ReadOnlySpan<float> x, int length, Conv1dWeights w, int padLeft, int padRight, PaddingMode mode,
        Span<float> y, bool eluInput = false, bool accumulate = false)
    {
        int ci = w.InChannels, co = w.OutChannels;
        if (x.Length < length * ci) throw new ArgumentException($"x holds {x.Length} floats, expected [{length}, {ci}]");
        int padded = padLeft + length + padRight;
        int outLength = OutputLength(padded, w);
        if (y.Length < outLength * co) throw new ArgumentException($"y holds {y.Length} floats, expected [{outLength}, {co}]");
        if (outLength == 0) return 0;

        float[]? rented = null;
        ReadOnlySpan<float> source = x;
        if (padLeft > 0 || padRight > 0 || eluInput)
        {
            rented = ArrayPool<float>.Shared.Rent(padded * ci);
            var p = rented.AsSpan(0, padded * ci);
            TimePadding.Pad(x, length, ci, padLeft, padRight, mode, p, eluInput);
            source = p;
        }
        try
        {
            if (w.Dilation == 1)
            {
                MatMul.Linear(source, outLength, w.Stride * ci, w.Gemm, y, co, accumulate);
            }
            else
            {
                // Dilated windows are not contiguous: gather them (im2col) first.
                int k = w.KernelSize, row = k * ci;
                var cols = ArrayPool<float>.Shared.Rent(outLength * row);
                try
                {
                    for (int t = 0; t < outLength; t++)
                        for (int j = 0; j < k; j++)
                            source.Slice((t * w.Stride + j * w.Dilation) * ci, ci).CopyTo(cols.AsSpan(t * row + j * ci, ci));
                    MatMul.Linear(cols.AsSpan(0, outLength * row), outLength, row, w.Gemm, y, co, accumulate);
                }
                finally { ArrayPool<float>.Shared.Return(cols); }
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
        return outLength;
    }
}

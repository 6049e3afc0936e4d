using System.Buffers;

namespace Stage.Inference.Kernels;

/// <summary>Transposed 1-D convolution over time-major signals x [length, in] → y [outLength, out].</summary>
public static class ConvTranspose1d
{
    /// <summary>
    /// Trim of a non-causal SConvTranspose1d (model-spec §4.4): padding_total = k − stride, right =
    /// total/2 removed from the end, the rest from the start → output length·stride.
    /// </summary>
    public static (int Left, int Right) NonCausalTrim(int kernelSize, int stride)
    {
        int total = kernelSize - stride;
        int right = total / 2;
        return (total - right, right);
    }

    /// <summary>Output frames of the untrimmed transposed conv: (length − 1)·stride + k.</summary>
    public static int FullLength(int length, ConvTranspose1dWeights w) => length == 0 ? 0 : (length - 1) * w.Stride + w.KernelSize;

    /// <summary>
    /// y = trim(convtr(act(x))) + bias, act = ELU(1) when <paramref name="eluInput"/>. Returns the
    /// number of frames written: FullLength − trimLeft − trimRight.
    /// </summary>
    public static int Forward(ReadOnlySpan<float> x, int length, ConvTranspose1dWeights w, int trimLeft, int trimRight,
        Span<float> y, bool eluInput = false)
    {
        int ci = w.InChannels, co = w.OutChannels, s = w.Stride, taps = w.Taps;
        if (x.Length < length * ci) throw new ArgumentException($"x holds {x.Length} floats, expected [{length}, {ci}]");
        int full = FullLength(length, w);
        int outLength = full - trimLeft - trimRight;
        if (outLength <= 0) return 0;
        if (y.Length < outLength * co) throw new ArgumentException($"y holds {y.Length} floats, expected [{outLength}, {co}]");

        // Zero frames on both sides so every window of `taps` frames exists.
        int padded = length + 2 * (taps - 1);
        var rented = ArrayPool<float>.Shared.Rent(padded * ci);
        try
        {
            var p = rented.AsSpan(0, padded * ci);
            TimePadding.Pad(x, length, ci, taps - 1, taps - 1, PaddingMode.Zero, p, eluInput);

            // Window row t produces output frames [t·s, t·s + s). Rows that fall wholly inside the
            // kept range [trimLeft, trimLeft + outLength) are written in place; edge rows go through a
            // small buffer.
            int rows = length + taps - 1;
            int period = s * co;
            int end = trimLeft + outLength;
            int first = (trimLeft + s - 1) / s;
            int last = Math.Min(rows, end / s);   // exclusive
            if (first < last)
            {
                MatMul.Linear(p.Slice(first * ci), last - first, ci, w.Gemm,
                    y.Slice((first * s - trimLeft) * co), period, accumulate: false);
            }
            Span<float> edge = period <= 4096 ? stackalloc float[period] : new float[period];
            for (int t = 0; t < rows; t++)
            {
                if (t >= first && t < last) continue;
                int lo = Math.Max(t * s, trimLeft), hi = Math.Min(t * s + s, end);
                if (lo >= hi) continue;
                MatMul.Linear(p.Slice(t * ci), 1, ci, w.Gemm, edge, period, accumulate: false);
                edge.Slice((lo - t * s) * co, (hi - lo) * co).CopyTo(y.Slice((lo - trimLeft) * co));
            }
        }
        finally { ArrayPool<float>.Shared.Return(rented); }
        return outLength;
    }
}

using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Stage.Inference.Kernels;

/// <summary>Row-wise normalisations over the last axis (rows of <c>dim</c> contiguous floats).</summary>
public static class Norms
{
    /// <summary>
    /// nn.LayerNorm: y = (x − mean) / sqrt(var + eps) · weight + bias, biased variance. Mean and
    /// variance are accumulated in double so long rows do not drift from PyTorch's result.
    /// x and y may be the same span.
    /// </summary>
    public static void LayerNorm(ReadOnlySpan<float> x, Span<float> y, int dim, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps)
    {
        CheckRows(x, y, dim, weight);
        if (!bias.IsEmpty && bias.Length != dim) throw new ArgumentException($"bias holds {bias.Length} floats, expected {dim}");
        for (int r = 0; r < x.Length / dim; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float mean = (float)(Sum(xr, 0f, square: false) / dim);
            float inv = (float)(1.0 / Math.Sqrt(Sum(xr, mean, square: true) / dim + eps));
            TensorPrimitives.Subtract(xr, mean, yr);
            TensorPrimitives.Multiply(yr, inv, yr);
            TensorPrimitives.Multiply(yr, weight, yr);
            if (!bias.IsEmpty) TensorPrimitives.Add(yr, bias, yr);
        }
    }

    /// <summary>
    /// T5's RMSNorm: y = weight · x / sqrt(mean(x²) + eps), no mean subtraction, no bias.
    /// x and y may be the same span.
    /// </summary>
    public static void RmsNorm(ReadOnlySpan<float> x, Span<float> y, int dim, ReadOnlySpan<float> weight, float eps)
    {
        CheckRows(x, y, dim, weight);
        for (int r = 0; r < x.Length / dim; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            double sq = 0;
            for (int i = 0; i < dim; i++) sq += (double)xr[i] * xr[i];
            float inv = (float)(1.0 / Math.Sqrt((float)(sq / dim) + eps));
            TensorPrimitives.Multiply(xr, inv, yr);
            TensorPrimitives.Multiply(yr, weight, yr);
        }
    }

    /// <summary>
    /// Σ (x − shift) or Σ (x − shift)², the float difference widened and summed in double, in eight interleaved partial
    /// sums: one dependent double add per element had made the LM's normalisations, which run on one thread between its
    /// parallel matrix products, a stall for the other cores.
    /// </summary>
    static double Sum(ReadOnlySpan<float> x, float shift, bool square)
    {
        int i = 0;
        double sum = 0;
        if (Avx.IsSupported && x.Length >= 8)
        {
            var s0 = Vector256<double>.Zero;
            var s1 = Vector256<double>.Zero;
            ref float start = ref MemoryMarshal.GetReference(x);
            for (; i + 8 <= x.Length; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i) - Vector256.Create(shift);
                var lo = Avx.ConvertToVector256Double(v.GetLower());
                var hi = Avx.ConvertToVector256Double(v.GetUpper());
                if (square) { lo *= lo; hi *= hi; }
                s0 += lo;
                s1 += hi;
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; i < x.Length; i++)
        {
            double d = x[i] - shift;
            sum += square ? d * d : d;
        }
        return sum;
    }

    static void CheckRows(ReadOnlySpan<float> x, Span<float> y, int dim, ReadOnlySpan<float> weight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (x.Length % dim != 0) throw new ArgumentException($"x holds {x.Length} floats, not a whole number of rows of {dim}");
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x");
        if (weight.Length != dim) throw new ArgumentException($"weight holds {weight.Length} floats, expected {dim}");
    }
}

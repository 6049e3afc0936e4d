using System.Numerics.Tensors;

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
            double sum = 0;
            for (int i = 0; i < dim; i++) sum += xr[i];
            float mean = (float)(sum / dim);
            double sq = 0;
            for (int i = 0; i < dim; i++) { double d = xr[i] - mean; sq += d * d; }
            float inv = (float)(1.0 / Math.Sqrt(sq / dim + eps));
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

    static void CheckRows(ReadOnlySpan<float> x, Span<float> y, int dim, ReadOnlySpan<float> weight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (x.Length % dim != 0) throw new ArgumentException($"x holds {x.Length} floats, not a whole number of rows of {dim}");
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x");
        if (weight.Length != dim) throw new ArgumentException($"weight holds {weight.Length} floats, expected {dim}");
    }
}

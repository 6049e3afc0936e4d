using System.Numerics.Tensors;

namespace Stage.Inference.Kernels;

public static class Softmax
{
    /// <summary>
    /// Numerically stable softmax over each row of <c>dim</c> floats: exp(x − max) / Σ. Rows that are
    /// entirely −∞ (fully masked) become zeros instead of NaN. x and y may be the same span.
    /// </summary>
    public static void Rows(ReadOnlySpan<float> x, Span<float> y, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (x.Length % dim != 0) throw new ArgumentException($"x holds {x.Length} floats, not a whole number of rows of {dim}");
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x");
        for (int r = 0; r < x.Length / dim; r++)
        {
            var xr = x.Slice(r * dim, dim);
            var yr = y.Slice(r * dim, dim);
            float max = TensorPrimitives.Max(xr);
            if (float.IsNegativeInfinity(max)) { yr.Clear(); continue; }
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Exp(yr, yr);
            float sum = TensorPrimitives.Sum(yr);
            TensorPrimitives.Multiply(yr, 1f / sum, yr);
        }
    }

    /// <summary>In place over rows of <c>dim</c>.</summary>
    public static void Rows(Span<float> x, int dim) => Rows(x, x, dim);
}

using System.Numerics.Tensors;

namespace Stage.Inference.Kernels;

/// <summary>Vectorised element-wise arithmetic (thin names over TensorPrimitives for model code).</summary>
public static class Elementwise
{
    /// <summary>y = a + b.</summary>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);

    /// <summary>y += x (residual connections).</summary>
    public static void AddInPlace(Span<float> y, ReadOnlySpan<float> x) => TensorPrimitives.Add(y, x, y);

    /// <summary>y = x · s.</summary>
    public static void Scale(ReadOnlySpan<float> x, float s, Span<float> y) => TensorPrimitives.Multiply(x, s, y);

    /// <summary>y = a · b element-wise.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);

    /// <summary>Transposes a row-major [rows, cols] matrix into [cols, rows].</summary>
    public static void Transpose(ReadOnlySpan<float> x, int rows, int cols, Span<float> y)
    {
        if (x.Length < rows * cols || y.Length < rows * cols) throw new ArgumentException("buffers shorter than rows × cols");
        const int B = 32;
        for (int r0 = 0; r0 < rows; r0 += B)
            for (int c0 = 0; c0 < cols; c0 += B)
            {
                int r1 = Math.Min(rows, r0 + B), c1 = Math.Min(cols, c0 + B);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        y[c * rows + r] = x[r * cols + c];
            }
    }
}

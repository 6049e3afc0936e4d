using System.Numerics.Tensors;

namespace Stage.Inference.Kernels;

/// <summary>Element-wise activations; x and y may be the same span.</summary>
public static class Activations
{
    /// <summary>Exact GELU as nn.GELU(): x · ½ · (1 + erf(x / √2)).</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckLength(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1.0 + Erf.Of(v * 0.70710678118654752440)));
        }
    }

    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckLength(x, y);
        TensorPrimitives.Max(x, 0f, y);
    }

    /// <summary>ELU(alpha): x &gt; 0 ? x : alpha · expm1(x) (expm1 keeps precision near 0).</summary>
    public static void Elu(ReadOnlySpan<float> x, Span<float> y, float alpha = 1f)
    {
        CheckLength(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = v > 0f ? v : alpha * ExpM1(v);
        }
    }

    /// <summary>In-place ELU over a buffer.</summary>
    public static void Elu(Span<float> x, float alpha = 1f) => Elu(x, x, alpha);

    static float ExpM1(float v)
    {
        // For |v| small, exp(v) − 1 cancels; the double computation is exact to float precision.
        double d = v;
        if (d > -1e-5) return (float)(d + 0.5 * d * d + d * d * d / 6.0);
        return (float)(Math.Exp(d) - 1.0);
    }

    static void CheckLength(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x");
    }
}

using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Stage.Inference.Kernels;

/// <summary>Element-wise activations; x and y may be the same span.</summary>
public static class Activations
{
    /// <summary>Exact (erf) GELU into y; the one implementation is <see cref="Kernels.Gelu"/>.</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckLength(x, y);
        if (!x.Overlaps(y)) x.CopyTo(y);
        Kernels.Gelu.Apply(y[..x.Length]);
    }

    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckLength(x, y);
        TensorPrimitives.Max(x, 0f, y);
    }

    /// <summary>
    /// ELU(alpha): x &gt; 0 ? x : alpha · expm1(x). Vectorised: exp(x) − 1 is evaluated in double by
    /// TensorPrimitives, and very near zero a short Taylor series of expm1 is used, so the result
    /// stays within a float ulp of PyTorch's expm1 (the codec's output gains amplify ELU errors).
    /// </summary>
    public static void Elu(ReadOnlySpan<float> x, Span<float> y, float alpha = 1f)
    {
        CheckLength(x, y);
        const int Block = 1024;
        Span<float> e = stackalloc float[Block];
        Span<double> wide = stackalloc double[Block];
        for (int start = 0; start < x.Length; start += Block)
        {
            int n = Math.Min(Block, x.Length - start);
            var xs = x.Slice(start, n);
            var ys = y.Slice(start, n);
            var es = e[..n];
            // exp(x) − 1 in double: no cancellation left that float could see.
            var ws = wide[..n];
            TensorPrimitives.ConvertChecked<float, double>(xs, ws);
            TensorPrimitives.Exp(ws, ws);
            TensorPrimitives.Subtract(ws, 1.0, ws);
            TensorPrimitives.ConvertTruncating<double, float>(ws, es);
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var one = Vector256.Create(1f);
                var small = Vector256.Create(1e-3f);
                var a = Vector256.Create(alpha);
                var half = Vector256.Create(0.5f);
                var sixth = Vector256.Create(1f / 6f);
                var twentyFourth = Vector256.Create(1f / 24f);
                for (; i + 8 <= n; i += 8)
                {
                    var v = Vector256.Create(xs.Slice(i, 8));
                    var ev = Vector256.Create(es.Slice(i, 8));
                    var series = v * (one + v * (half + v * (sixth + v * twentyFourth)));
                    var m1 = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(v), small), series, ev);
                    Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, a * m1).CopyTo(ys.Slice(i, 8));
                }
            }
            for (; i < n; i++)
            {
                float v = xs[i];
                ys[i] = v > 0f ? v : alpha * ExpM1(v, es[i]);
            }
        }
    }

    /// <summary>In-place ELU over a buffer.</summary>
    public static void Elu(Span<float> x, float alpha = 1f) => Elu(x, x, alpha);

    static float ExpM1(float v, float expM1) =>
        MathF.Abs(v) < 1e-3f ? v * (1f + v * (0.5f + v * (1f / 6f + v * (1f / 24f)))) : expM1;

    static void CheckLength(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x");
    }
}

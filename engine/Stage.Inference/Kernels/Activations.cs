using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Stage.Inference.Kernels;

/// <summary>Element-wise activations; x and y may be the same span.</summary>
public static class Activations
{
    /// <summary>
    /// Exact GELU as nn.GELU(): x · ½ · (1 + erf(x / √2)), erf in double. Four lanes at a time run
    /// the Maclaurin series of <see cref="Erf"/> until every lane has converged; groups with a lane
    /// at |x/√2| ≥ 2.5 (rare in practice) take the scalar path with its continued fraction.
    /// </summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckLength(x, y);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(2.5);
            var invSqrt2 = Vector256.Create(0.70710678118654752440);
            var twoOverSqrtPi = Vector256.Create(1.12837916709551257390);
            var half = Vector256.Create(0.5);
            var one = Vector256.Create(1.0);
            var tolerance = Vector256.Create(1e-17);
            for (; i + 4 <= x.Length; i += 4)
            {
                var v = Vector256.Create((double)x[i], x[i + 1], x[i + 2], x[i + 3]);
                var z = v * invSqrt2;
                if (!Vector256.LessThanAll(Vector256.Abs(z), limit))
                {
                    for (int j = i; j < i + 4; j++) y[j] = GeluScalar(x[j]);
                    continue;
                }
                // erf(z) = 2/√π · Σ (−1)^n z^(2n+1) / (n! (2n+1))
                var z2 = -(z * z);
                var term = z;
                var sum = z;
                for (int n = 1; n < SeriesTerms; n++)
                {
                    term = term * z2 * Vector256.Create(InverseN[n]);
                    var add = term * Vector256.Create(InverseOdd[n]);
                    sum += add;
                    if ((n & 3) == 0 && Vector256.LessThanAll(Vector256.Abs(add), tolerance * Vector256.Abs(sum) + Vector256.Create(1e-300))) break;
                }
                var g = half * v * (one + twoOverSqrtPi * sum);
                y[i] = (float)g[0];
                y[i + 1] = (float)g[1];
                y[i + 2] = (float)g[2];
                y[i + 3] = (float)g[3];
            }
        }
        for (; i < x.Length; i++) y[i] = GeluScalar(x[i]);
    }

    const int SeriesTerms = 64;
    static readonly double[] InverseN = Enumerable.Range(0, SeriesTerms).Select(n => n == 0 ? 0.0 : 1.0 / n).ToArray();
    static readonly double[] InverseOdd = Enumerable.Range(0, SeriesTerms).Select(n => 1.0 / (2 * n + 1)).ToArray();

    static float GeluScalar(float x)
    {
        double v = x;
        return (float)(0.5 * v * (1.0 + Erf.Of(v * 0.70710678118654752440)));
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

using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// ELU(alpha): x &gt; 0 ? x : alpha · expm1(x), within half a float ulp of expm1 (the codec's output gains amplify ELU
    /// errors, and exp(x) − 1 in float loses every digit near zero). expm1 is evaluated in double, vectorised: x = n·ln2 + r
    /// with |r| ≤ ln2/2, expm1(r) by its Taylor series to r¹¹ (error below 1e-12), then expm1(x) = 2ⁿ·expm1(r) + (2ⁿ − 1),
    /// whose two terms are exact and whose one rounding is double's. No cancellation is left, and n = 0 gives expm1(r) itself.
    /// Long inputs (a convolution's whole padded input) are split over <see cref="KernelThreads"/>.
    /// </summary>
    public static void Elu(ReadOnlySpan<float> x, Span<float> y, float alpha = 1f)
    {
        CheckLength(x, y);
        bool inPlaceOrApart = !x.Overlaps(y, out int offset) || offset == 0;   // tasks may not write what another reads
        if (x.Length >= 2 * EluTask && KernelThreads.Count > 1 && inPlaceOrApart)
        {
            unsafe
            {
                fixed (float* px = x, py = y)
                {
                    nint xa = (nint)px, ya = (nint)py;
                    int n = x.Length, tasks = (n + EluTask - 1) / EluTask;
                    KernelThreads.For(tasks, t =>
                    {
                        int start = t * EluTask, count = Math.Min(EluTask, n - start);
                        EluSerial(new ReadOnlySpan<float>((float*)xa + start, count), new Span<float>((float*)ya + start, count), alpha);
                    });
                }
            }
            return;
        }
        EluSerial(x, y, alpha);
    }

    /// <summary>Elements per task of a long ELU: long enough that a task's dispatch is noise.</summary>
    const int EluTask = 1 << 16;

    static unsafe void EluSerial(ReadOnlySpan<float> x, Span<float> y, float alpha)
    {
        int i = 0;
        if (Avx2.IsSupported && Fma.IsSupported)
            fixed (float* px = x, py = y)
            {
                // Four floats widened to a double vector at a time, the whole evaluation written out here: the JIT would not
                // inline it as a method, and a call per vector cost as much as the arithmetic.
                var a = Vector128.Create(alpha);
                var floor = Vector256.Create(-40.0);
                var shifter = Vector256.Create(6755399441055744.0);   // 1.5·2⁵²: adding it rounds to an integer in the low bits
                var bias = Vector256.Create(1023L);
                for (; i + 4 <= x.Length; i += 4)
                {
                    var v = Sse.LoadVector128(px + i);
                    var positive = Sse.CompareGreaterThan(v, Vector128<float>.Zero);
                    if (Sse.MoveMask(positive) == 0xF) { Sse.Store(py + i, v); continue; }
                    var wide = Avx.ConvertToVector256Double(v);
                    var d = Avx.Max(wide, floor);   // NaN gives −40 here and is put back below
                    var t = Fma.MultiplyAdd(d, Vector256.Create(1.4426950408889634), shifter);
                    var n = Avx.Subtract(t, shifter);
                    var r = Fma.MultiplyAddNegated(n, Vector256.Create(0.6931471805599453), d);
                    r = Fma.MultiplyAddNegated(n, Vector256.Create(2.3190468138462996e-17), r);
                    var p = Fma.MultiplyAdd(Vector256.Create(1.0 / 39916800), r, Vector256.Create(1.0 / 3628800));
                    p = Fma.MultiplyAdd(p, r, Vector256.Create(1.0 / 362880));
                    p = Fma.MultiplyAdd(p, r, Vector256.Create(1.0 / 40320));
                    p = Fma.MultiplyAdd(p, r, Vector256.Create(1.0 / 5040));
                    p = Fma.MultiplyAdd(p, r, Vector256.Create(1.0 / 720));
                    p = Fma.MultiplyAdd(p, r, Vector256.Create(1.0 / 120));
                    p = Fma.MultiplyAdd(p, r, Vector256.Create(1.0 / 24));
                    p = Fma.MultiplyAdd(p, r, Vector256.Create(1.0 / 6));
                    p = Fma.MultiplyAdd(p, r, Vector256.Create(0.5));
                    p = Fma.MultiplyAdd(Avx.Multiply(p, r), r, r);   // expm1(r) = r + r²·(1/2 + r/6 + …)
                    var scale = Avx2.ShiftLeftLogical(Avx2.Add(Avx2.Subtract(t.AsInt64(), shifter.AsInt64()), bias), 52).AsDouble();   // 2ⁿ
                    var m1 = Avx.ConvertToVector128Single(Fma.MultiplyAdd(scale, p, Avx.Subtract(scale, Vector256<double>.One)));
                    var negative = Sse.Multiply(a, m1);
                    var isNumber = Sse.CompareOrdered(v, v);
                    Sse.Store(py + i, Sse.Or(Sse.And(positive, v), Sse.AndNot(positive, Sse.Or(Sse.And(isNumber, negative), Sse.AndNot(isNumber, v)))));
                }
            }
        for (; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = v > 0f ? v : alpha * (float)ExpM1(v);
        }
    }

    /// <summary>The same evaluation for one value, on any CPU.</summary>
    static double ExpM1(double x)
    {
        if (double.IsNaN(x)) return x;
        double d = Math.Max(x, -40.0), n = Math.Round(d * 1.4426950408889634);
        double r = Math.FusedMultiplyAdd(-n, 2.3190468138462996e-17, Math.FusedMultiplyAdd(-n, 0.6931471805599453, d));
        double p = 1.0 / 39916800;
        foreach (double c in ExpM1Series) p = Math.FusedMultiplyAdd(p, r, c);
        p = Math.FusedMultiplyAdd(p * r, r, r);
        double scale = Math.ScaleB(1.0, (int)n);
        return Math.FusedMultiplyAdd(scale, p, scale - 1.0);
    }

    static readonly double[] ExpM1Series = [1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5];

    /// <summary>In-place ELU over a buffer.</summary>
    public static void Elu(Span<float> x, float alpha = 1f) => Elu(x, x, alpha);

    static void CheckLength(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x");
    }
}

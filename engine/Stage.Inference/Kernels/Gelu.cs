using System.Runtime.Intrinsics;

namespace Stage.Inference.Kernels;

/// <summary>
/// Exact GELU, <c>x · ½ · (1 + erf(x / √2))</c> (PyTorch's default, not the tanh form). erf uses
/// Abramowitz &amp; Stegun 7.1.26 (|error| ≤ 1.5e-7), the same polynomial as ATen's vectorised CPU erf.
/// </summary>
public static class Gelu
{
    const float P = 0.3275911f;
    const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    const float InvSqrt2 = 0.70710678118654752f;

    public static void Apply(Span<float> values)
    {
        int i = 0;
        ref float start = ref values[0];
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= values.Length; i += 16)
                Vector512.StoreUnsafe(Of(Vector512.LoadUnsafe(ref start, (nuint)i)), ref start, (nuint)i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= values.Length; i += 8)
                Vector256.StoreUnsafe(Of(Vector256.LoadUnsafe(ref start, (nuint)i)), ref start, (nuint)i);
        for (; i < values.Length; i++) values[i] = Of(values[i]);
    }

    public static float Of(float x) => x * 0.5f * (1f + Erf(x * InvSqrt2));

    public static float Erf(float x)
    {
        float a = MathF.Abs(x);
        float t = 1f / (1f + P * a);
        float poly = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
        float r = 1f - poly * MathF.Exp(-a * a);
        return MathF.CopySign(r, x);
    }

    static Vector512<float> Of(Vector512<float> x)
    {
        var z = x * InvSqrt2;
        var a = Vector512.Abs(z);
        var t = Vector512<float>.One / (Vector512<float>.One + a * P);
        var poly = ((((Vector512.Create(A5) * t + Vector512.Create(A4)) * t + Vector512.Create(A3)) * t + Vector512.Create(A2)) * t + Vector512.Create(A1)) * t;
        var r = Vector512<float>.One - poly * Vector512.Exp(-(a * a));
        var erf = Vector512.CopySign(r, z);
        return x * 0.5f * (Vector512<float>.One + erf);
    }

    static Vector256<float> Of(Vector256<float> x)
    {
        var z = x * InvSqrt2;
        var a = Vector256.Abs(z);
        var t = Vector256<float>.One / (Vector256<float>.One + a * P);
        var poly = ((((Vector256.Create(A5) * t + Vector256.Create(A4)) * t + Vector256.Create(A3)) * t + Vector256.Create(A2)) * t + Vector256.Create(A1)) * t;
        var r = Vector256<float>.One - poly * Vector256.Exp(-(a * a));
        var erf = Vector256.CopySign(r, z);
        return x * 0.5f * (Vector256<float>.One + erf);
    }
}

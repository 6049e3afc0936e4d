namespace Stage.Inference.Tests.Kernels;

/// <summary>
/// Reference error function in double precision (.NET has none) that the kernel tests measure GELU against: the Maclaurin series for |x| &lt; 2.5 and
/// the Laplace continued fraction of erfc above, both accurate to ~1e-15 absolute — far below float
/// resolution, so GELU matches PyTorch's erf-based result to the last float bit in practice.
/// </summary>
public static class Erf
{
    const double TwoOverSqrtPi = 1.12837916709551257390;

    public static double Of(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double a = Math.Abs(x);
        if (a >= 6.0) return Math.Sign(x);
        if (a < 2.5)
        {
            // erf(x) = 2/√π · Σ (−1)^n x^(2n+1) / (n! (2n+1))
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 60; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return TwoOverSqrtPi * sum;
        }
        double erfc = Erfc(a);
        return x > 0 ? 1.0 - erfc : erfc - 1.0;
    }

    /// <summary>erfc(a) for a ≥ 2.5 via the continued fraction, evaluated with the modified Lentz method.</summary>
    static double Erfc(double a)
    {
        // erfc(a) = exp(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …)))))
        const double tiny = 1e-300;
        double f = a, c = a, d = 0;
        for (int n = 1; n < 200; n++)
        {
            double an = n * 0.5;
            d = a + an * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = a + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16) break;
        }
        return Math.Exp(-a * a) / (f * 1.77245385090551602730);
    }
}

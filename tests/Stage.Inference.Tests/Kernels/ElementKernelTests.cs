using Stage.Inference.Kernels;

namespace Stage.Inference.Tests.Kernels;

public class ElementKernelTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.52049987781304654)]
    [InlineData(1.0, 0.84270079294971487)]
    [InlineData(-2.0, -0.99532226501895273)]
    [InlineData(2.5, 0.99959304798255504)]
    [InlineData(3.0, 0.99997790950300141)]
    [InlineData(-4.5, -0.99999999980338394)]
    [InlineData(7.0, 1.0)]
    public void ErfIsAccurate(double x, double expected) => Assert.Equal(expected, Erf.Of(x), 14);

    [Fact]
    public void GeluIsExact()
    {
        float[] x = [-3f, -1f, 0f, 0.5f, 1f, 4f];
        var y = new float[x.Length];
        Activations.Gelu(x, y);
        double[] expected = [-0.0040496934, -0.15865525393, 0, 0.34573123063, 0.84134474607, 3.99987332621];
        for (int i = 0; i < x.Length; i++) Assert.Equal(expected[i], y[i], 6);
    }

    [Fact]
    public void GeluIsWithinTheErfApproximationOfTheExactValue()
    {
        var r = new Random(5);
        var x = new float[4003];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((r.NextDouble() * 2 - 1) * (i % 7 == 0 ? 9 : 3));
        x[8] = 0f; x[9] = -0f; x[10] = 1e-30f; x[11] = 3.5355339f;
        var y = new float[x.Length];
        Activations.Gelu(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            float expected = (float)(0.5 * v * (1.0 + Erf.Of(v / Math.Sqrt(2))));
            // The kernel's erf is ATen's Abramowitz-Stegun 7.1.26 (|error| <= 1.5e-7), so GELU may
            // differ from the exact value by |x|/2 * 1.5e-7 plus the float rounding of its
            // polynomial, exp and division (a few ulps).
            double bound = 0.5 * Math.Abs(v) * 1.5e-7 + 4 * 1.2e-7 * Math.Max(1f, Math.Abs(expected));
            Assert.True(Math.Abs(y[i] - expected) <= bound, $"gelu({x[i]}) = {y[i]}, expected {expected}");
        }
    }

    [Fact]
    public void EluAndRelu()
    {
        float[] x = [-2f, -1e-7f, 0f, 3f];
        var y = new float[4];
        Activations.Elu(x, y);
        Assert.Equal((float)(Math.Exp(-2) - 1), y[0]);
        Assert.Equal(-1e-7f, y[1], 1e-12f);
        Assert.Equal(0f, y[2]);
        Assert.Equal(3f, y[3]);
        Activations.Relu(x, y);
        Assert.Equal([0f, 0f, 0f, 3f], y);
    }

    [Fact]
    public void EluIsExpm1CorrectlyRoundedOnTheNegativeSideFromTinyToSaturated()
    {
        // every float exponent from 2⁻¹²⁶ up to 64, 40 mantissas each, negative; and the edges
        var x = new List<float> { 0f, -0f, float.Epsilon * -1, -40f, -41f, -88f, -1e30f, float.NegativeInfinity, float.NaN, 1e-30f, 3f, float.PositiveInfinity };
        var random = new Random(5);
        for (int e = -126; e <= 6; e++)
            for (int m = 0; m < 40; m++) x.Add(-MathF.ScaleB(1f + (float)random.NextDouble(), e));
        var input = x.ToArray();
        var y = new float[input.Length];
        Activations.Elu(input, y);
        for (int i = 0; i < input.Length; i++)
        {
            double v = input[i];
            if (float.IsNaN(input[i])) { Assert.True(float.IsNaN(y[i])); continue; }
            if (v > 0) { Assert.Equal(input[i], y[i]); continue; }
            double expected = Math.Abs(v) < 1e-5 ? v + v * v / 2 + v * v * v / 6 : Math.Exp(v) - 1.0;
            double ulp = Math.Max(MathF.BitIncrement(MathF.Abs(y[i])) - MathF.Abs(y[i]), float.Epsilon);
            Assert.True(Math.Abs(y[i] - expected) <= 0.5 * ulp * (1 + 1e-6) + 1e-45, $"elu({input[i]:R}) = {y[i]:R}, expm1 is {expected:R}");
        }
        // the vector body and the scalar tail agree
        for (int i = 0; i < input.Length; i++)
        {
            var one = new float[1];
            Activations.Elu(input.AsSpan(i, 1), one);
            Assert.Equal(y[i], one[0]);
        }
    }

    [Fact]
    public void ALongEluSplitOverThreadsEqualsItsPiecesAndRunsInPlace()
    {
        var random = new Random(9);
        var x = Enumerable.Range(0, 3 * 65536 + 5).Select(_ => (float)(random.NextDouble() * 8 - 6)).ToArray();
        var whole = new float[x.Length];
        Activations.Elu(x, whole, 0.5f);
        var pieces = new float[x.Length];
        for (int start = 0; start < x.Length; start += 1000)
            Activations.Elu(x.AsSpan(start, Math.Min(1000, x.Length - start)), pieces.AsSpan(start), 0.5f);
        Assert.Equal(pieces, whole);
        Activations.Elu(x.AsSpan(), 0.5f);
        Assert.Equal(whole, x);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(1027)]   // a tail past the vector body
    public void LayerNormOfALongRowFarFromZeroMatchesDoublePrecision(int dim)
    {
        // a large mean over small spread: float sums would lose the variance
        var random = new Random(dim);
        var x = Enumerable.Range(0, 2 * dim).Select(i => (float)(1000 + (i < dim ? 1 : 3) * (random.NextDouble() - 0.5))).ToArray();
        var w = Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() + 0.5)).ToArray();
        var b = Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var y = new float[x.Length];
        Norms.LayerNorm(x, y, dim, w, b, 1e-5f);
        for (int r = 0; r < 2; r++)
        {
            var row = x.AsSpan(r * dim, dim).ToArray();
            double mean = row.Average(v => (double)v), variance = row.Average(v => (v - mean) * (v - mean));
            for (int i = 0; i < dim; i++)
            {
                double expected = (row[i] - mean) / Math.Sqrt(variance + 1e-5) * w[i] + b[i];
                Assert.True(Math.Abs(y[r * dim + i] - expected) < 2e-4, $"row {r}, {i}: {y[r * dim + i]} vs {expected}");
            }
        }
    }

    [Fact]
    public void LayerNormAndRmsNorm()
    {
        float[] x = [1f, 2f, 3f, 4f, 10f, 10f, 10f, 10f];
        float[] w = [1f, 2f, 1f, 1f];
        float[] b = [0f, 0f, 1f, 0f];
        var y = new float[8];
        Norms.LayerNorm(x, y, 4, w, b, 1e-5f);
        double sd = Math.Sqrt(1.25 + 1e-5);
        Assert.Equal(-1.5 / sd, y[0], 5);
        Assert.Equal(2 * -0.5 / sd, y[1], 5);
        Assert.Equal(0.5 / sd + 1, y[2], 5);
        Assert.Equal(0f, y[4]);
        Assert.Equal(1f, y[6]);

        Norms.RmsNorm(x, y, 4, w, 1e-6f);
        double rms = Math.Sqrt(30.0 / 4 + 1e-6);
        Assert.Equal(1 / rms, y[0], 5);
        Assert.Equal(4 / rms, y[1], 5);
        Assert.Equal(1.0, y[4], 5);
    }

    [Fact]
    public void SoftmaxIsStableAndHandlesMaskedRows()
    {
        float[] x = [1000f, 1001f, 999f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity];
        Softmax.Rows(x, 3);
        double e1 = Math.Exp(-1), e2 = Math.Exp(-2);
        Assert.Equal(e1 / (1 + e1 + e2), x[0], 6);
        Assert.Equal(1 / (1 + e1 + e2), x[1], 6);
        Assert.Equal([0f, 0f, 0f], x[3..]);
    }
}

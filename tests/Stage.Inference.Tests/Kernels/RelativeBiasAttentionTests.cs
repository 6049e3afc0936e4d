using Stage.Inference.Kernels;

namespace Stage.Inference.Tests.Kernels;

public class RelativeBiasAttentionTests
{
    static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Direct double-precision loops: softmax(q·k + bias[j−i] + mask[j])·v, no scaling.</summary>
    static float[] Naive(float[] qkv, int stride, int length, int heads, int headDim, float[] bias, float[]? mask)
    {
        int inner = heads * headDim;
        var y = new float[length * inner];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < length; i++)
            {
                var s = new double[length];
                double max = double.NegativeInfinity;
                for (int j = 0; j < length; j++)
                {
                    double dot = 0;
                    for (int e = 0; e < headDim; e++)
                        dot += (double)qkv[i * stride + h * headDim + e] * qkv[j * stride + inner + h * headDim + e];
                    float positionBias = bias[h * (2 * length - 1) + j - i + length - 1] + (mask?[j] ?? 0f);
                    s[j] = (float)(dot + positionBias);
                    max = Math.Max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < length; j++) { s[j] = Math.Exp(s[j] - max); sum += s[j]; }
                for (int e = 0; e < headDim; e++)
                {
                    double acc = 0;
                    for (int j = 0; j < length; j++) acc += s[j] / sum * qkv[j * stride + 2 * inner + h * headDim + e];
                    y[i * inner + h * headDim + e] = (float)acc;
                }
            }
        return y;
    }

    [Theory]
    [InlineData(1, 2, 4, false)]    // a lone EOS
    [InlineData(9, 4, 8, true)]     // serial path, padded keys
    [InlineData(70, 12, 64, false)] // parallel path, t5-base head shape
    [InlineData(45, 3, 16, true)]
    public void MatchesDirectLoops(int length, int heads, int headDim, bool padded)
    {
        int inner = heads * headDim, stride = 3 * inner;
        var qkv = Random(length * stride, 1, 0.5f);
        var bias = Random(heads * (2 * length - 1), 2);
        float[]? mask = null;
        if (padded)
        {
            mask = new float[length];
            for (int j = length * 2 / 3; j < length; j++) mask[j] = float.MinValue;
        }
        var y = new float[length * inner];
        RelativeBiasAttention.Forward(qkv, qkv.AsSpan(inner), qkv.AsSpan(2 * inner), stride, length, heads, headDim, bias, mask, y);
        var expected = Naive(qkv, stride, length, heads, headDim, bias, mask);
        for (int i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 1e-5f);
    }

    [Fact]
    public void FullyMaskedRowAveragesTheValuesLikeHf()
    {
        // (1 − mask)·finfo.min on every key swamps the scores: HF's softmax becomes uniform.
        const int length = 5, heads = 2, headDim = 4, inner = heads * headDim, stride = 3 * inner;
        var qkv = Random(length * stride, 3);
        var bias = Random(heads * (2 * length - 1), 4);
        var mask = Enumerable.Repeat(float.MinValue, length).ToArray();
        var y = new float[length * inner];
        RelativeBiasAttention.Forward(qkv, qkv.AsSpan(inner), qkv.AsSpan(2 * inner), stride, length, heads, headDim, bias, mask, y);
        for (int c = 0; c < inner; c++)
        {
            float mean = 0;
            for (int j = 0; j < length; j++) mean += qkv[j * stride + 2 * inner + c];
            mean /= length;
            for (int i = 0; i < length; i++) Assert.Equal(mean, y[i * inner + c], 1e-6f);
        }
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        var qkv = new float[3 * 8 * 3];
        Assert.Throws<ArgumentException>(() =>
            RelativeBiasAttention.Forward(qkv, qkv.AsSpan(8), qkv.AsSpan(16), 24, 3, 2, 4, new float[4], default, new float[24]));
    }
}

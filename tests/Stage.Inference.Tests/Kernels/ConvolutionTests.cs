using Stage.Inference.Kernels;

namespace Stage.Inference.Tests.Kernels;

/// <summary>Convolution kernels against direct textbook loops in PyTorch's channels-first layout.</summary>
public class ConvolutionTests
{
    static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    // x is channels-first [ci, L]; returns channels-first [co, outLen].
    static double[] NaiveConv(float[] x, int ci, int length, float[] w, int co, int k, float[] b, int stride, int dilation, int left, int right, bool reflect)
    {
        int padded = left + length + right;
        double Input(int c, int i)
        {
            int j = i - left;
            if (j >= 0 && j < length) return x[c * length + j];
            if (!reflect) return 0;
            int maxPad = Math.Max(left, right);
            int extra = length <= maxPad ? maxPad - length + 1 : 0, ext = length + extra;
            if (j < 0) j = -j; else if (j >= ext) j = 2 * (ext - 1) - j;
            return j < length ? x[c * length + j] : 0;
        }
        int kEff = (k - 1) * dilation + 1;
        int outLen = (padded - kEff) / stride + 1;
        var y = new double[co * outLen];
        for (int o = 0; o < co; o++)
            for (int t = 0; t < outLen; t++)
            {
                double s = b[o];
                for (int c = 0; c < ci; c++)
                    for (int j = 0; j < k; j++) s += w[(o * ci + c) * k + j] * Input(c, t * stride + j * dilation);
                y[o * outLen + t] = s;
            }
        return y;
    }

    static float[] ToTimeMajor(float[] x, int channels, int length)
    {
        var y = new float[x.Length];
        for (int c = 0; c < channels; c++) for (int t = 0; t < length; t++) y[t * channels + c] = x[c * length + t];
        return y;
    }

    [Theory]
    [InlineData(3, 40, 5, 7, 1, 1, true)]      // first conv shape (k7)
    [InlineData(4, 37, 40, 8, 4, 1, true)]     // strided, length not a multiple of the stride (extra padding)
    [InlineData(6, 50, 34, 3, 1, 3, true)]     // dilated (im2col path)
    [InlineData(2, 3, 20, 7, 1, 1, true)]      // signal shorter than the padding: zero-extend-then-reflect
    [InlineData(5, 29, 33, 10, 5, 1, false)]   // zero padding
    [InlineData(1, 100, 1, 7, 1, 1, true)]     // one output channel (row layout)
    public void Conv1dMatchesDirectLoops(int ci, int length, int co, int k, int stride, int dilation, bool reflect)
    {
        var x = Random(ci * length, 1);
        var w = Random(co * ci * k, 2);
        var b = Random(co, 3);
        var (left, right) = Conv1d.NonCausalPadding(length, k, stride, dilation);
        var expected = NaiveConv(x, ci, length, w, co, k, b, stride, dilation, left, right, reflect);
        var weights = Conv1dWeights.FromPyTorch(w, co, ci, k, b, stride, dilation);
        int outLen = Conv1d.OutputLength(left + length + right, weights);
        Assert.Equal((length + stride - 1) / stride, outLen);
        var y = new float[outLen * co];
        Conv1d.Forward(ToTimeMajor(x, ci, length), length, weights, left, right, reflect ? PaddingMode.Reflect : PaddingMode.Zero, y);
        for (int o = 0; o < co; o++)
            for (int t = 0; t < outLen; t++)
                Assert.True(Math.Abs(y[t * co + o] - expected[o * outLen + t]) < 1e-4, $"[{o}, {t}]: {y[t * co + o]} vs {expected[o * outLen + t]}");
    }

    [Fact]
    public void Conv1dFusedEluAndAccumulate()
    {
        int ci = 3, length = 12, co = 20, k = 3;
        var x = Random(ci * length, 4);
        var elu = x.Select(v => v > 0 ? v : MathF.Exp(v) - 1).ToArray();
        var w = Random(co * ci * k, 5);
        var b = Random(co, 6);
        var expected = NaiveConv(elu, ci, length, w, co, k, b, 1, 1, 1, 1, true);
        var weights = Conv1dWeights.FromPyTorch(w, co, ci, k, b);
        var y = Enumerable.Repeat(1f, length * co).ToArray();
        Conv1d.Forward(ToTimeMajor(x, ci, length), length, weights, 1, 1, PaddingMode.Reflect, y, eluInput: true, accumulate: true);
        for (int o = 0; o < co; o++)
            for (int t = 0; t < length; t++)
                Assert.True(Math.Abs(y[t * co + o] - (1 + expected[o * length + t])) < 1e-4);
    }

    [Theory]
    [InlineData(40, 3, 4, true)]
    [InlineData(2, 6, 5, true)]     // shorter than the padding: zero-extended, then mirrored
    [InlineData(40, 3, 4, false)]
    [InlineData(0, 2, 1, false)]
    public void PaddingWithTheEluFusedEqualsPaddingThenElu(int length, int left, int right, bool reflect)
    {
        const int Channels = 3;
        var x = Random(length * Channels, 8);
        var mode = reflect ? PaddingMode.Reflect : PaddingMode.Zero;
        var expected = new float[(left + length + right) * Channels];
        TimePadding.Pad(x, length, Channels, left, right, mode, expected);
        Activations.Elu(expected);
        var fused = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
        TimePadding.Pad(x, length, Channels, left, right, mode, fused, elu: true);
        Assert.Equal(expected, fused);
    }

    [Fact]
    public void ExtraPaddingFollowsTheSpec()
    {
        // §4.4: strided convs pad ceil(L/stride)·stride − L extra on the right; stride 1 adds none.
        Assert.Equal((2, 3), Conv1d.NonCausalPadding(41655, 8, 4));
        Assert.Equal((2, 2), Conv1d.NonCausalPadding(41656, 8, 4));
        Assert.Equal((3, 2 + 4), Conv1d.NonCausalPadding(2601, 10, 5));
        Assert.Equal((4, 4 + 7), Conv1d.NonCausalPadding(521, 16, 8));
        Assert.Equal((3, 3), Conv1d.NonCausalPadding(13, 7, 1));
        Assert.Equal((4, 4), ConvTranspose1d.NonCausalTrim(16, 8));
        Assert.Equal((3, 2), ConvTranspose1d.NonCausalTrim(10, 5));
        Assert.Equal((2, 2), ConvTranspose1d.NonCausalTrim(8, 4));
    }

    [Theory]
    [InlineData(4, 9, 34, 16, 8)]
    [InlineData(3, 11, 5, 10, 5)]
    [InlineData(6, 1, 40, 8, 4)]
    [InlineData(2, 7, 3, 7, 3)]    // kernel not a multiple of the stride
    public void ConvTranspose1dMatchesScatterLoops(int ci, int length, int co, int k, int stride)
    {
        var x = Random(ci * length, 7);
        var w = Random(ci * co * k, 8);
        var b = Random(co, 9);
        int full = (length - 1) * stride + k;
        var expected = new double[co * full];
        for (int o = 0; o < co; o++) for (int i = 0; i < full; i++) expected[o * full + i] = b[o];
        for (int c = 0; c < ci; c++)
            for (int t = 0; t < length; t++)
                for (int o = 0; o < co; o++)
                    for (int j = 0; j < k; j++)
                        expected[o * full + t * stride + j] += x[c * length + t] * w[(c * co + o) * k + j];
        var weights = ConvTranspose1dWeights.FromPyTorch(w, ci, co, k, b, stride);
        var (left, right) = ConvTranspose1d.NonCausalTrim(k, stride);
        int outLen = full - left - right;
        var y = new float[outLen * co];
        Assert.Equal(outLen, ConvTranspose1d.Forward(ToTimeMajor(x, ci, length), length, weights, left, right, y));
        for (int o = 0; o < co; o++)
            for (int t = 0; t < outLen; t++)
                Assert.True(Math.Abs(y[t * co + o] - expected[o * full + t + left]) < 1e-4, $"[{o}, {t}]");
    }

    [Fact]
    public void LstmMatchesTheGateEquations()
    {
        int input = 5, hidden = 20, length = 6;
        var layers = new List<LstmWeights.Layer>();
        for (int l = 0; l < 3; l++)
        {
            int inSize = l == 0 ? input : hidden;
            layers.Add(new LstmWeights.Layer(Random(4 * hidden * inSize, 10 + l), Random(4 * hidden * hidden, 20 + l), Random(4 * hidden, 30 + l), Random(4 * hidden, 40 + l)));
        }
        var x = Random(length * input, 50);
        var seq = Enumerable.Range(0, length).Select(t => x.Skip(t * input).Take(input).Select(v => (double)v).ToArray()).ToArray();
        foreach (var p in layers)
        {
            int inSize = seq[0].Length;
            var h = new double[hidden];
            var c = new double[hidden];
            var outputs = new double[length][];
            for (int t = 0; t < length; t++)
            {
                var g = new double[4 * hidden];
                for (int r = 0; r < 4 * hidden; r++)
                {
                    double s = p.BiasIh[r] + p.BiasHh[r];
                    for (int i = 0; i < inSize; i++) s += p.WeightIh[r * inSize + i] * seq[t][i];
                    for (int i = 0; i < hidden; i++) s += p.WeightHh[r * hidden + i] * h[i];
                    g[r] = s;
                }
                static double Sig(double v) => 1 / (1 + Math.Exp(-v));
                for (int i = 0; i < hidden; i++)
                {
                    c[i] = Sig(g[hidden + i]) * c[i] + Sig(g[i]) * Math.Tanh(g[2 * hidden + i]);
                    h[i] = Sig(g[3 * hidden + i]) * Math.Tanh(c[i]);
                }
                outputs[t] = (double[])h.Clone();
            }
            seq = outputs;
        }
        var weights = LstmWeights.FromPyTorch(input, hidden, layers);
        var y = new float[length * hidden];
        Lstm.Forward(x, length, weights, y);
        for (int t = 0; t < length; t++)
            for (int i = 0; i < hidden; i++)
                Assert.True(Math.Abs(y[t * hidden + i] - seq[t][i]) < 1e-5, $"h[{t}, {i}]");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    public void AnLstmRunInPiecesCarriesItsStateExactly(int piece)
    {
        int input = 5, hidden = 20, length = 23;
        var layers = new List<LstmWeights.Layer>();
        for (int l = 0; l < 2; l++)
        {
            int inSize = l == 0 ? input : hidden;
            layers.Add(new LstmWeights.Layer(Random(4 * hidden * inSize, 60 + l), Random(4 * hidden * hidden, 70 + l), Random(4 * hidden, 80 + l), Random(4 * hidden, 90 + l)));
        }
        var weights = LstmWeights.FromPyTorch(input, hidden, layers);
        var x = Random(length * input, 99);
        var whole = new float[length * hidden];
        Lstm.Forward(x, length, weights, whole);

        var state = new LstmState(weights);
        var pieces = new float[length * hidden];
        for (int t = 0; t < length; t += piece)
        {
            int n = Math.Min(piece, length - t);
            Lstm.Forward(x.AsSpan(t * input, n * input), n, weights, pieces.AsSpan(t * hidden, n * hidden), state);
        }
        Assert.Equal(length, state.Frames);
        Assert.Equal(whole, pieces);
        Assert.Throws<ArgumentException>(() => Lstm.Forward(x, length, weights, pieces, new LstmState(2, hidden + 1)));
    }
}

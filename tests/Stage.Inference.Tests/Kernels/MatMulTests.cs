using Stage.Inference.Kernels;

namespace Stage.Inference.Tests.Kernels;

public class MatMulTests
{
    static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    static float[] Naive(float[] x, int rows, int ldx, float[] w, int n, int k, float[] b)
    {
        var y = new float[rows * n];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < n; o++)
            {
                double s = b[o];
                for (int i = 0; i < k; i++) s += (double)x[r * ldx + i] * w[o * k + i];
                y[r * n + o] = (float)s;
            }
        return y;
    }

    [Theory]
    [InlineData(1, 64, 40)]       // single row, partial last panel
    [InlineData(2, 300, 4096)]    // LM decode shape: 2 rows, many outputs, depth > one block
    [InlineData(7, 33, 8)]        // row layout (few outputs)
    [InlineData(13, 517, 95)]     // rows not a multiple of the tile, depth not a multiple of the block
    [InlineData(200, 128, 64)]    // several row blocks
    [InlineData(5, 3, 1)]         // one output
    public void PackedAndRowLayoutsMatchNaive(int rows, int k, int n)
    {
        var x = Random(rows * k, 1);
        var w = Random(n * k, 2);
        var b = Random(n, 3);
        var weights = LinearWeights.FromRows(w, n, k, b);
        var y = new float[rows * n];
        MatMul.Linear(x, rows, weights, y);
        var expected = Naive(x, rows, k, w, n, k, b);
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - expected[i]) < 1e-4f, $"y[{i}] = {y[i]}, expected {expected[i]}");

        var raw = new float[rows * n];
        MatMul.Linear(x, rows, w, n, b, raw);
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(raw[i] - expected[i]) < 1e-4f);
    }

    [Theory]
    [InlineData(1, 1024, 4096)]   // the LSTM's recurrent step
    [InlineData(13, 517, 95)]     // partial tiles, panels and depth blocks
    [InlineData(200, 300, 64)]    // several row blocks
    [InlineData(7, 33, 8)]        // row layout: stays float32
    public void BFloat16PanelsAreTheFloat32GemmOverTheRoundedWeights(int rows, int k, int n)
    {
        var x = Random(rows * k, 1);
        var w = Random(n * k, 2);
        var b = Random(n, 3);
        var rounded = w.Select(v => BitConverter.UInt32BitsToSingle((uint)RowWeights.RoundToBFloat16(v) << 16)).ToArray();
        var bf16 = LinearWeights.FromRows(w, n, k, b).ToBFloat16();
        Assert.Equal(n >= LinearWeights.PanelWidth / 2, bf16.IsBFloat16);
        var expected = new float[rows * n];
        var actual = new float[rows * n];
        MatMul.Linear(x, rows, LinearWeights.FromRows(bf16.IsBFloat16 ? rounded : w, n, k, b), expected);
        MatMul.Linear(x, rows, bf16, actual);
        Assert.Equal(expected, actual);
        Assert.Equal(bf16.IsBFloat16 ? rounded : w, bf16.RowMajor());
    }

    [Fact]
    public void StridedRowsAndAccumulate()
    {
        int rows = 9, k = 24, n = 48, ldx = 10;   // overlapping windows, as a convolution reads them
        var x = Random((rows - 1) * ldx + k, 4);
        var w = Random(n * k, 5);
        var b = Random(n, 6);
        var weights = LinearWeights.FromRows(w, n, k, b);
        var y = Random(rows * n, 7);
        var before = (float[])y.Clone();
        MatMul.Linear(x, rows, ldx, weights, y, n, accumulate: true);
        var expected = Naive(x, rows, ldx, w, n, k, b);
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - (before[i] + expected[i])) < 1e-4f);
    }

    [Fact]
    public void SingleThreadGivesTheSameResult()
    {
        int rows = 50, k = 300, n = 70;
        var x = Random(rows * k, 8);
        var weights = LinearWeights.FromRows(Random(n * k, 9), n, k);
        var a = new float[rows * n];
        var b = new float[rows * n];
        MatMul.Linear(x, rows, weights, a);
        int saved = KernelThreads.Count;
        try
        {
            KernelThreads.Count = 1;
            MatMul.Linear(x, rows, weights, b);
        }
        finally { KernelThreads.Count = saved; }
        Assert.Equal(a, b);
    }

    [Fact]
    public void Avx2AndAvx512PathsAreBitIdentical()
    {
        foreach (var (rows, k, n) in new[] { (1, 300, 64), (2, 1024, 96), (17, 517, 70), (200, 64, 128) })
        {
            var x = Random(rows * k, 11);
            var weights = LinearWeights.FromRows(Random(n * k, 12), n, k, Random(n, 13));
            var wide = new float[rows * n];
            var narrow = new float[rows * n];
            MatMul.Linear(x, rows, weights, wide);
            bool saved = MatMul.UseVector512;
            try
            {
                MatMul.UseVector512 = false;
                MatMul.Linear(x, rows, weights, narrow);
            }
            finally { MatMul.UseVector512 = saved; }
            Assert.Equal(wide, narrow);
        }
    }

    [Fact]
    public void RejectsTooShortBuffers()
    {
        var weights = LinearWeights.FromRows(new float[40 * 8], 40, 8);
        Assert.Throws<ArgumentException>(() => MatMul.Linear(new float[15], 2, weights, new float[80]));
        Assert.Throws<ArgumentException>(() => MatMul.Linear(new float[16], 2, weights, new float[79]));
    }
}

using Stage.Inference.Generation;
using Stage.Inference.Gpu;
using Stage.Inference.Kernels;
using Stage.Inference.Models.Lm;
using Stage.Inference.Tests.Generation;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Models.Lm;

/// <summary>
/// Cross-attention over text with the query and output projections folded in (<see cref="TextFolding"/>): the same
/// attention as the unfolded one within bfloat16's rounding, used only where it reads fewer bytes, never in float32.
/// </summary>
public unsafe class FoldedTextTests(ITestOutputHelper output)
{
    const int Steps = MusicGenLmGoldenTests.Steps;

    [Theory]
    [InlineData(1024, 20)]
    [InlineData(72, 3)]     // a width the 64-wide blocks do not divide
    public void TheKernelEqualsScoresSoftmaxAndMixOverTheWidenedRows(int dim, int length)
    {
        var random = new Random(dim);
        var x = Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var keys = Enumerable.Range(0, length * dim).Select(_ => RowWeights.RoundToBFloat16((float)(random.NextDouble() * 0.2 - 0.1))).ToArray();
        var values = Enumerable.Range(0, length * dim).Select(_ => RowWeights.RoundToBFloat16((float)(random.NextDouble() * 2 - 1))).ToArray();
        static float Wide(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);

        var p = new double[length];
        for (int j = 0; j < length; j++)
        {
            double s = 0;
            for (int i = 0; i < dim; i++) s += x[i] * (double)Wide(keys[j * dim + i]);
            p[j] = s * 0.125;
        }
        double max = p.Max(), sum = 0;
        for (int j = 0; j < length; j++) sum += p[j] = Math.Exp(p[j] - max);
        var expected = new double[dim];
        for (int o = 0; o < dim; o++)
        {
            expected[o] = 0.5;   // added to what the output holds
            for (int j = 0; j < length; j++) expected[o] += p[j] / sum * Wide(values[j * dim + o]);
        }

        var y = Enumerable.Repeat(0.5f, dim).ToArray();
        fixed (float* xp = x, yp = y)
        fixed (ushort* kp = keys, vp = values)
            FoldedTextAttention.Attend(xp, kp, vp, length, dim, 0.125f, new float[length], yp);
        for (int o = 0; o < dim; o++) Assert.Equal(expected[o], y[o], 1e-5);
    }

    [Theory]
    [InlineData(1024, 16, 20, 37)]   // the model's shape: S is 320 columns wide, ten panels
    [InlineData(72, 3, 5, 7)]        // a width and a text that no panel divides
    [InlineData(64, 2, 1, 1)]        // one token, one row
    public void ManyRowsAtOnceEqualTheKernelRowByRow(int dim, int heads, int length, int rows)
    {
        var random = new Random(dim + rows);
        float[] Floats(int n, double range) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * range)).ToArray();
        const int Ldx = 3;   // rows of x and y sit in wider buffers, as the workspace's do
        var x = Floats(rows * Ldx * dim, 1);
        var keys = Floats(heads * length * dim, 0.1).Select(RowWeights.RoundToBFloat16).ToArray();
        var values = Floats(heads * length * dim, 1).Select(RowWeights.RoundToBFloat16).ToArray();
        var start = Floats(rows * Ldx * dim, 1);
        var expected = (float[])start.Clone();
        var y = (float[])start.Clone();
        using var pool = new WorkerPool(2);
        fixed (float* xp = x, ep = expected, yp = y)
        fixed (ushort* kp = keys, vp = values)
        {
            for (int r = 0; r < rows; r++)
                for (int h = 0; h < heads; h++)
                    FoldedTextAttention.Attend(xp + r * Ldx * dim, kp + h * length * dim, vp + h * length * dim, length, dim, 0.125f, new float[length],
                        ep + r * Ldx * dim);
            new FoldedTextRows(pool).Attend(xp, Ldx * dim, rows, kp, vp, heads, length, dim, 0.125f, yp, Ldx * dim);
        }
        double worst = 0;
        for (int i = 0; i < y.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - y[i]));
        output.WriteLine($"max |Δ| against row by row: {worst:E2}");
        Assert.True(worst < 2e-5, $"rows at once differ from row by row by {worst:E2}");
        // the columns between rows are not the rows' and stay as they were
        for (int r = 0; r < rows; r++)
            for (int i = dim; i < Ldx * dim; i++) Assert.Equal(start[r * Ldx * dim + i], y[r * Ldx * dim + i]);
    }

    /// <summary>The conditional stream decoded step by step (one row per call, as a decode step) with the fixture's 26 text tokens.</summary>
    static float[][] Decode(MusicGenLm lm, LmWorkspace ws, LmStream stream, float[] text, int textLength, bool folded)
    {
        var prefix = MusicGenLmGoldenTests.Prefix();
        lm.AttachText(ws, stream, text, textLength);
        if (!folded) stream.TextFolded = false;   // the text's unfolded keys and values are always there
        var result = new float[Steps - 1][];
        var tokens = new int[4];
        for (int s = 1; s < Steps; s++)
        {
            prefix.StepTokens(PrefixRow.Conditional, s, tokens);
            result[s - 1] = new float[lm.LogitsPerRow];
            lm.Forward(ws, [new LmRow(stream, prefix.Position(PrefixRow.Conditional, s), tokens, true)], result[s - 1]);
        }
        return result;
    }

    [Theory]
    [InlineData(WeightPrecision.BFloat16, 4e-3)]
    [InlineData(WeightPrecision.Int8, 4e-3)]
    public void FoldedTextGivesTheUnfoldedLogitsWithinBFloat16Rounding(WeightPrecision precision, double bound)
    {
        var lm = Goldens.Lm.In(precision);
        var ws = new LmWorkspace(lm.Dims, 2, 32);
        var text = MusicGenLmGoldenTests.Text();
        var folded = new LmStream(lm.Dims, 32, CachePrecision.Float32);
        var a = Decode(lm, ws, folded, text, 26, folded: true);
        Assert.True(folded.TextFolded, "26 tokens of the fixture's width should have been folded");
        var b = Decode(lm, ws, new LmStream(lm.Dims, 32, CachePrecision.Float32), text, 26, folded: false);
        double worst = 0;
        for (int s = 0; s < a.Length; s++) worst = Math.Max(worst, Goldens.MaxAbsDiff(a[s], b[s]));
        output.WriteLine($"{WeightPrecisions.Name(precision)}: max |Δ| logits, folded against unfolded text: {worst:E2}");
        Assert.True(worst > 0, "folded and unfolded gave the same bits: was the folded path taken?");
        Assert.True(worst < bound, $"folding moved the logits by {worst:E2}");
    }

    [Fact]
    public void APrefillOverFoldedTextGivesTheUnfoldedLogitsWithinBFloat16Rounding()
    {
        // more rows than a decode step: each row goes through all its heads in one chunk, straight into h
        var lm = Goldens.Lm.In(WeightPrecision.BFloat16);
        const int Rows = 24;
        Assert.True(Rows > LmWorkspace.DecodeRows);
        var ws = new LmWorkspace(lm.Dims, Rows, 32);
        var prefix = MusicGenLmGoldenTests.Prefix();
        float[] Prefill(bool folded)
        {
            var stream = new LmStream(lm.Dims, 32);
            lm.AttachText(ws, stream, MusicGenLmGoldenTests.Text(), 26);
            Assert.True(stream.TextFolded);
            if (!folded) stream.TextFolded = false;
            var rows = new LmRow[Rows];
            var tokens = new int[4];
            for (int r = 0; r < Rows; r++)
            {
                if (r + 1 < Steps) prefix.StepTokens(PrefixRow.Conditional, r + 1, tokens);
                else Array.Fill(tokens, 7 * r);
                rows[r] = new LmRow(stream, r, tokens, r == Rows - 1);
            }
            var logits = new float[lm.LogitsPerRow];
            lm.Forward(ws, rows, logits);
            return logits;
        }
        double worst = Goldens.MaxAbsDiff(Prefill(folded: true), Prefill(folded: false));
        output.WriteLine($"prefill of {Rows} rows, max |Δ| logits, folded against unfolded text: {worst:E2}");
        Assert.True(worst > 0, "folded and unfolded gave the same bits: was the folded path taken?");
        Assert.True(worst < 4e-3, $"folding moved the logits by {worst:E2}");
    }

    [Fact]
    public void Float32NeverFoldsAndLowerPrecisionsFoldOnlyWhereItReadsLess()
    {
        var text = MusicGenLmGoldenTests.Text();
        var longer = text.Concat(text).ToArray();   // 52 tokens
        var f32 = Goldens.Lm;
        var ws = new LmWorkspace(f32.Dims, 2, 64);
        var stream = new LmStream(f32.Dims, 32);
        f32.AttachText(ws, stream, text, 26);
        Assert.False(stream.TextFolded);

        // the fixture's 4 heads × 64 wide: bf16 projections weigh as much as 64 folded tokens, int8 ones as 33
        var bf16 = Goldens.Lm.In(WeightPrecision.BFloat16);
        bf16.AttachText(ws, stream, longer, 52);
        Assert.True(stream.TextFolded);
        var int8 = Goldens.Lm.In(WeightPrecision.Int8);
        int8.AttachText(ws, stream, text, 26);
        Assert.True(stream.TextFolded);
        int8.AttachText(ws, stream, longer, 52);
        Assert.False(stream.TextFolded);
        int8.AttachText(ws, stream, [], 0);
        Assert.False(stream.TextFolded);

        // what a step reads, as the lm benchmark reports it: 2 layers × (4 heads × 26 tokens × 64 wide × 2 rows) of bf16
        // in place of each layer's two 256 × 64 projections
        Assert.Equal(f32.MatrixBytes, f32.StepBytes(26));
        Assert.Equal(bf16.MatrixBytes - 2 * 2 * 256 * 64 * 2 + 2 * 4 * 26 * 64 * 2 * 2, bf16.StepBytes(26));
        Assert.Equal(int8.MatrixBytes, int8.StepBytes(52));
    }

    [Fact]
    public void ACopyOrARewindOfAFoldedStreamContinuesExactlyAsItsSource()
    {
        var lm = Goldens.Lm.In(WeightPrecision.BFloat16);
        var ws = new LmWorkspace(lm.Dims, 2, 32);
        var source = new LmStream(lm.Dims, 32, CachePrecision.BFloat16);
        Decode(lm, ws, source, MusicGenLmGoldenTests.Text(), 26, folded: true);
        var copy = new LmStream(lm.Dims, 32, CachePrecision.BFloat16);
        copy.CopyFrom(source, source.Length - 1, source.TextLength);
        Assert.True(copy.TextFolded);
        source.Rewind(source.Length - 1, source.TextLength);
        Assert.True(source.TextFolded);

        var tokens = new int[4];
        MusicGenLmGoldenTests.Prefix().StepTokens(PrefixRow.Conditional, Steps - 1, tokens);
        float[] Last(LmStream stream)
        {
            var logits = new float[lm.LogitsPerRow];
            lm.Forward(ws, [new LmRow(stream, stream.Length, tokens, true)], logits);
            return logits;
        }
        Assert.Equal(Last(source), Last(copy));

        // a copy of fewer text tokens than were folded falls back to the unfolded text
        var shorter = new LmStream(lm.Dims, 32, CachePrecision.BFloat16);
        shorter.CopyFrom(source, 3, 20);
        Assert.False(shorter.TextFolded);
    }
}

using Stage.Inference.Generation;
using Stage.Inference.Models.Lm;
using Stage.Inference.Tests.Generation;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Models.Lm;

/// <summary>Teacher-forced logits of STAGE's two streams against lm.logits (x-transformers, torch float32).</summary>
public class MusicGenLmGoldenTests(ITestOutputHelper output)
{
    internal const int Steps = 17, Card = 2048;

    /// <summary>The teacher-forced prefix of lm.context_codes and lm.target_codes (shared with the device tests).</summary>
    internal static ContextPrefix Prefix()
    {
        var target = Goldens.Codes("lm.target_codes");
        var prefix = new ContextPrefix(Goldens.Codes("lm.context_codes"), null, target[0].Length);
        for (int s = prefix.StartStep; s < prefix.Steps; s++)
            for (int q = 0; q < 4; q++)
                if (prefix.GeneratedFrameAt(s, q) is var t and >= 0) prefix.Write(s, q, target[q][t]);
        return prefix;
    }

    /// <summary>lm.logits[row, :, step, :] as [4 · 2048].</summary>
    internal static float[] GoldenLogits(float[] all, int row, int step)
    {
        var result = new float[4 * Card];
        for (int q = 0; q < 4; q++)
            all.AsSpan(((row * 4 + q) * Steps + step) * Card, Card).CopyTo(result.AsSpan(q * Card));
        return result;
    }

    internal static float[] Text() => Goldens.Rows("lm.cross_data", 0, 26);

    [Fact]
    public void DecodingBothStreamsStepByStepMatchesStage()
    {
        var lm = Goldens.Lm;
        var prefix = Prefix();
        var golden = Goldens.Floats("lm.logits");
        var ws = new LmWorkspace(lm.Dims, 2, 32);
        var cond = new LmStream(lm.Dims, 32);
        var uncond = new LmStream(lm.Dims, 32);
        lm.AttachText(ws, cond, Text(), 26);
        var logits = new float[2 * lm.LogitsPerRow];
        var tokens = new int[4];
        var rows = new LmRow[2];
        double worstCond = 0, worstUncond = 0;
        for (int s = 1; s < Steps; s++)
        {
            int n = 0;
            prefix.StepTokens(PrefixRow.Conditional, s, tokens);
            rows[n++] = new LmRow(cond, prefix.Position(PrefixRow.Conditional, s), tokens, true);
            bool withUncond = s >= prefix.FirstStep(PrefixRow.Unconditional);
            if (withUncond)
            {
                prefix.StepTokens(PrefixRow.Unconditional, s, tokens);
                rows[n++] = new LmRow(uncond, prefix.Position(PrefixRow.Unconditional, s), tokens, true);
            }
            lm.Forward(ws, rows.AsSpan(0, n), logits);
            worstCond = Math.Max(worstCond, Goldens.MaxAbsDiff(logits.AsSpan(0, lm.LogitsPerRow), GoldenLogits(golden, 0, s)));
            if (withUncond)
                worstUncond = Math.Max(worstUncond, Goldens.MaxAbsDiff(logits.AsSpan(lm.LogitsPerRow, lm.LogitsPerRow), GoldenLogits(golden, 1, s)));
        }
        output.WriteLine($"max |Δ| conditional {worstCond:E2}, unconditional {worstUncond:E2}");
        Assert.Equal(16, cond.Length);
        Assert.Equal(9, uncond.Length);
        Assert.True(worstCond < 1e-4, $"conditional logits differ by {worstCond:E2}");
        Assert.True(worstUncond < 1e-4, $"unconditional logits differ by {worstUncond:E2}");
    }

    [Fact]
    public void PrefillInOneCallMatchesStage()
    {
        var lm = Goldens.Lm;
        var prefix = Prefix();
        var golden = Goldens.Floats("lm.logits");
        var ws = new LmWorkspace(lm.Dims, 32, 32);
        var cond = new LmStream(lm.Dims, 32);
        var uncond = new LmStream(lm.Dims, 32);
        lm.AttachText(ws, cond, Text(), 26);
        var rows = new List<LmRow>();
        var expected = new List<float[]>();
        var tokens = new int[4];
        foreach (var (row, stream, index) in new[] { (PrefixRow.Conditional, cond, 0), (PrefixRow.Unconditional, uncond, 1) })
            for (int s = prefix.FirstStep(row); s < Steps; s++)
            {
                prefix.StepTokens(row, s, tokens);
                rows.Add(new LmRow(stream, prefix.Position(row, s), tokens, true));
                expected.Add(GoldenLogits(golden, index, s));
            }
        var logits = new float[rows.Count * lm.LogitsPerRow];
        lm.Forward(ws, rows.ToArray(), logits);
        double worst = 0;
        for (int r = 0; r < rows.Count; r++)
            worst = Math.Max(worst, Goldens.MaxAbsDiff(logits.AsSpan(r * lm.LogitsPerRow, lm.LogitsPerRow), expected[r]));
        output.WriteLine($"max |Δ| over {rows.Count} prefilled rows {worst:E2}");
        Assert.True(worst < 1e-4, $"logits differ by {worst:E2}");
    }

    [Fact]
    public void GuidedLogitsMatchStage()
    {
        var lm = Goldens.Lm;
        var prefix = Prefix();
        var golden = Goldens.Floats("lm.cfg_logits"); // [1, 4, 17, 2048]
        var ws = new LmWorkspace(lm.Dims, 2, 32);
        var cond = new LmStream(lm.Dims, 32);
        var uncond = new LmStream(lm.Dims, 32);
        lm.AttachText(ws, cond, Text(), 26);
        var tokens = new int[4];
        var logits = new float[2 * lm.LogitsPerRow];
        var guided = new float[lm.LogitsPerRow];
        double worst = 0;
        for (int s = 1; s < Steps; s++)
        {
            prefix.StepTokens(PrefixRow.Conditional, s, tokens);
            var c = new LmRow(cond, prefix.Position(PrefixRow.Conditional, s), tokens, true);
            if (s < prefix.FirstStep(PrefixRow.Unconditional)) { lm.Forward(ws, [c], logits); continue; }
            prefix.StepTokens(PrefixRow.Unconditional, s, tokens);
            var u = new LmRow(uncond, prefix.Position(PrefixRow.Unconditional, s), tokens, true);
            lm.Forward(ws, [c, u], logits);
            ClassifierFreeGuidance.Combine(logits.AsSpan(0, lm.LogitsPerRow), logits.AsSpan(lm.LogitsPerRow), 3f, guided);
            worst = Math.Max(worst, Goldens.MaxAbsDiff(guided, GoldenLogits(golden, 0, s)));
        }
        output.WriteLine($"max |Δ| guided logits {worst:E2}");
        Assert.True(worst < 1e-3, $"guided logits differ by {worst:E2}");
    }

    [Fact]
    public void ResultsAreBitIdenticalWhateverTheThreadCount()
    {
        // Every output is computed whole by one chunk in a fixed order, so the core count never changes a
        // logit, and a seed names the same stem on any machine with the same vector width.
        var lm = Goldens.Lm;
        var prefix = Prefix();
        float[] Run(int threads)
        {
            using var pool = new Stage.Inference.Kernels.WorkerPool(threads);
            var ws = new LmWorkspace(lm.Dims, 32, 32, pool);
            var stream = new LmStream(lm.Dims, 32);
            lm.AttachText(ws, stream, Text(), 26);
            var rows = new List<LmRow>();
            var tokens = new int[4];
            for (int s = 1; s < Steps; s++)
            {
                prefix.StepTokens(PrefixRow.Conditional, s, tokens);
                rows.Add(new LmRow(stream, s - 1, tokens, true));
            }
            var logits = new float[rows.Count * lm.LogitsPerRow];
            lm.Forward(ws, rows.ToArray(), logits);
            return logits;
        }
        Assert.Equal(Run(1), Run(3));
    }

    [Fact]
    public void ReadsSizesFromTheCheckpoint()
    {
        var d = Goldens.Lm.Dims;
        Assert.Equal(new LmDimensions(64, 2, 4, 64, 256, 4, 2050, 2048, 64), d);
    }

    [Theory]
    [InlineData(CachePrecision.BFloat16, 1e-4)]
    [InlineData(CachePrecision.Int8, 2e-3)]   // one step at a time rounds the query to int16; the prefill's GEMM does not
    public void A_prefill_over_a_lower_precision_cache_attends_as_the_same_rows_one_step_at_a_time(CachePrecision precision, double bound)
    {
        // more rows than a decode step, so self-attention goes through the blocked kernel: two streams, one without text
        var lm = Goldens.Lm;
        var prefix = Prefix();
        const int First = 20, Second = 9;
        Assert.True(First + Second > LmWorkspace.DecodeRows);
        var ws = new LmWorkspace(lm.Dims, First + Second, 32);
        (LmStream A, LmStream B, LmRow[] Rows) Streams()
        {
            var a = new LmStream(lm.Dims, 32, precision);
            var b = new LmStream(lm.Dims, 32, precision);
            lm.AttachText(ws, a, Text(), 26);
            var rows = new LmRow[First + Second];
            for (int r = 0; r < rows.Length; r++)
            {
                var tokens = new int[4];
                if (r + 1 < Steps) prefix.StepTokens(PrefixRow.Conditional, r + 1, tokens);
                else Array.Fill(tokens, 5 * r);
                // a's first half, then b, then a's second half: three runs, the last starting at slot 10
                rows[r] = r < First / 2 ? new LmRow(a, r, tokens, true)
                    : r < First / 2 + Second ? new LmRow(b, r - First / 2, tokens, true)
                    : new LmRow(a, r - Second, tokens, true);
            }
            return (a, b, rows);
        }
        var (_, _, together) = Streams();
        var atOnce = new float[together.Length * lm.LogitsPerRow];
        lm.Forward(ws, together, atOnce);
        var (_, _, apart) = Streams();
        double worst = 0;
        var logits = new float[lm.LogitsPerRow];
        for (int r = 0; r < apart.Length; r++)
        {
            lm.Forward(ws, apart.AsSpan(r, 1), logits);
            worst = Math.Max(worst, Goldens.MaxAbsDiff(logits, atOnce.AsSpan(r * lm.LogitsPerRow, lm.LogitsPerRow)));
        }
        output.WriteLine($"max |Δ| logits, {together.Length} rows in one call against one at a time: {worst:E2}");
        Assert.True(worst < bound, $"a prefill's rows differ from the same rows stepped by {worst:E2}");
    }

    [Theory]
    [InlineData(CachePrecision.BFloat16, 2e-2)]
    [InlineData(CachePrecision.Int8, 5e-2)]
    public void A_lower_precision_cache_stays_near_the_float32_one_and_copies_whole(CachePrecision precision, double bound)
    {
        var lm = Goldens.Lm;
        var prefix = Prefix();
        var ws = new LmWorkspace(lm.Dims, 32, 32);
        float[] Run(LmStream stream)
        {
            lm.AttachText(ws, stream, Text(), 26);
            var rows = new List<LmRow>();
            var tokens = new int[4];
            for (int s = 1; s < Steps - 1; s++)
            {
                prefix.StepTokens(PrefixRow.Conditional, s, tokens);
                rows.Add(new LmRow(stream, s - 1, tokens, false));
            }
            lm.Forward(ws, rows.ToArray(), []);
            return Last(stream);
        }
        float[] Last(LmStream stream)
        {
            var tokens = new int[4];
            prefix.StepTokens(PrefixRow.Conditional, Steps - 1, tokens);
            var logits = new float[lm.LogitsPerRow];
            lm.Forward(ws, [new LmRow(stream, Steps - 2, tokens, true)], logits);
            return logits;
        }
        var exact = Run(new LmStream(lm.Dims, 32));
        var lower = new LmStream(lm.Dims, 32, precision);
        var rounded = Run(lower);
        double worst = Goldens.MaxAbsDiff(rounded, exact);
        output.WriteLine($"max |Δ| logits, {precision} against float32 cache: {worst:E2}");
        Assert.True(worst > 0, $"the {precision} cache rounded nothing: is it in use?");
        Assert.True(worst < bound, $"a {precision} cache moves the logits by {worst:E2}");

        // A copy (a variation sharing the prefill) continues exactly as its source would.
        var source = new LmStream(lm.Dims, 32, precision);
        Run(source);
        var sourceLength = source.Length;
        var copy = new LmStream(lm.Dims, 40, precision);
        source.Length = sourceLength - 1;   // drop the row Run added last, then replay it on both
        copy.CopyFrom(source);
        Assert.Equal(Last(source), Last(copy));
        Assert.Throws<ArgumentException>(() => new LmStream(lm.Dims, 32).CopyFrom(source));
    }

    [Fact]
    public void RejectsAFullStream()
    {
        var lm = Goldens.Lm;
        var ws = new LmWorkspace(lm.Dims, 2, 4);
        var stream = new LmStream(lm.Dims, 1);
        var logits = new float[lm.LogitsPerRow];
        int[] tokens = [2049, 2048, 2048, 2048];
        lm.Forward(ws, [new LmRow(stream, 0, tokens, true)], logits);
        var e = Assert.Throws<InvalidOperationException>(() => lm.Forward(ws, [new LmRow(stream, 1, tokens, true)], logits));
        Assert.Contains("full", e.Message);
        Assert.Equal(1, stream.Length);
    }
}

using Stage.Inference.Generation;
using Stage.Inference.Gpu;
using Stage.Inference.Models.Lm;
using Stage.Inference.Tests.Generation;
using Stage.Inference.Tests.Models.Lm;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Gpu;

/// <summary>
/// MusicGenLmGoldenTests through the GPU backend's kernels (ILGPU's CPU accelerator): teacher-forced logits of
/// both streams, a prefill in one call and the guided logits, against STAGE's lm.logits / lm.cfg_logits.
/// </summary>
public class DeviceLmGoldenTests(ITestOutputHelper output)
{
    const int Steps = MusicGenLmGoldenTests.Steps, Card = MusicGenLmGoldenTests.Card;

    static ContextPrefix Prefix() => MusicGenLmGoldenTests.Prefix();

    static float[] GoldenLogits(float[] all, int row, int step) => MusicGenLmGoldenTests.GoldenLogits(all, row, step);

    static float[] Text() => MusicGenLmGoldenTests.Text();

    internal static double TeacherForcedWorst(LmDecoder decoder, ITestOutputHelper output)
    {
        var lm = Goldens.Lm;
        var prefix = Prefix();
        var golden = Goldens.Floats("lm.logits");
        decoder.Prepare(1, 32, 32, 26, 2);
        decoder.AttachText(Text(), 26);
        var tokens = new int[4];
        var rows = new DecoderRow[2];
        var logits = new float[lm.LogitsPerRow];
        double worstCond = 0, worstUncond = 0;
        for (int s = 1; s < Steps; s++)
        {
            int n = 0;
            prefix.StepTokens(PrefixRow.Conditional, s, tokens);
            rows[n++] = new DecoderRow(0, PrefixRow.Conditional, prefix.Position(PrefixRow.Conditional, s), tokens, true);
            bool withUncond = s >= prefix.FirstStep(PrefixRow.Unconditional);
            if (withUncond)
            {
                prefix.StepTokens(PrefixRow.Unconditional, s, tokens);
                rows[n++] = new DecoderRow(0, PrefixRow.Unconditional, prefix.Position(PrefixRow.Unconditional, s), tokens, true);
            }
            decoder.Forward(rows.AsSpan(0, n));
            decoder.ReadStepLogits(0, PrefixRow.Conditional, logits);
            worstCond = Math.Max(worstCond, Goldens.MaxAbsDiff(logits, GoldenLogits(golden, 0, s)));
            if (withUncond)
            {
                decoder.ReadStepLogits(0, PrefixRow.Unconditional, logits);
                worstUncond = Math.Max(worstUncond, Goldens.MaxAbsDiff(logits, GoldenLogits(golden, 1, s)));
            }
        }
        output.WriteLine($"{decoder.DeviceName}: max |Δ| conditional {worstCond:E2}, unconditional {worstUncond:E2}");
        return Math.Max(worstCond, worstUncond);
    }

    [Fact]
    public void DecodingBothStreamsStepByStepMatchesStage()
    {
        using var decoder = IlgpuCpu.Device.CreateDecoder(Goldens.Lm);
        double worst = TeacherForcedWorst(decoder, output);
        Assert.True(worst < 1e-4, $"logits differ by {worst:E2}");
    }

    [Fact]
    public void PrefillInOneCallMatchesStage()
    {
        var lm = Goldens.Lm;
        var prefix = Prefix();
        var golden = Goldens.Floats("lm.logits");
        using var decoder = IlgpuCpu.Device.CreateDecoder(lm);
        decoder.Prepare(1, 32, 32, 26, 32);
        decoder.AttachText(Text(), 26);
        var rows = new List<DecoderRow>();
        var tokens = new int[4];
        foreach (var row in new[] { PrefixRow.Conditional, PrefixRow.Unconditional })
            for (int s = prefix.FirstStep(row); s < Steps; s++)
            {
                prefix.StepTokens(row, s, tokens);
                rows.Add(new DecoderRow(0, row, prefix.Position(row, s), tokens, s == Steps - 1));
            }
        decoder.Forward(rows.ToArray());
        var logits = new float[lm.LogitsPerRow];
        decoder.ReadStepLogits(0, PrefixRow.Conditional, logits);
        double worst = Goldens.MaxAbsDiff(logits, GoldenLogits(golden, 0, Steps - 1));
        decoder.ReadStepLogits(0, PrefixRow.Unconditional, logits);
        worst = Math.Max(worst, Goldens.MaxAbsDiff(logits, GoldenLogits(golden, 1, Steps - 1)));
        output.WriteLine($"max |Δ| after prefilling {rows.Count} rows in one call: {worst:E2}");
        Assert.True(worst < 1e-4, $"logits differ by {worst:E2}");
    }

    [Fact]
    public void TheGpusGroupReductionsMatchStage()
    {
        // Two-thread groups: the tree sums and maxima, barriers and strided loops a GPU runs with 128 threads
        // (the CPU accelerator's default of one thread per group skips them). One prefill call: barriers are slow here.
        using var device = IlgpuDevice.OpenCpuAccelerator(WeightPrecision.Float32, groupSize: 2);
        Assert.Equal(2, device.Kernels.GroupSize);
        var lm = Goldens.Lm;
        var prefix = Prefix();
        var golden = Goldens.Floats("lm.logits");
        using var decoder = device.CreateDecoder(lm);
        decoder.Prepare(1, 32, 32, 26, 32);
        decoder.AttachText(Text(), 26);
        var rows = new List<DecoderRow>();
        var tokens = new int[4];
        foreach (var row in new[] { PrefixRow.Conditional, PrefixRow.Unconditional })
            for (int s = prefix.FirstStep(row); s < Steps; s++)
            {
                prefix.StepTokens(row, s, tokens);
                rows.Add(new DecoderRow(0, row, prefix.Position(row, s), tokens, s == Steps - 1));
            }
        decoder.Forward(rows.ToArray());
        var logits = new float[lm.LogitsPerRow];
        decoder.ReadStepLogits(0, PrefixRow.Conditional, logits);
        double worst = Goldens.MaxAbsDiff(logits, GoldenLogits(golden, 0, Steps - 1));
        decoder.ReadStepLogits(0, PrefixRow.Unconditional, logits);
        worst = Math.Max(worst, Goldens.MaxAbsDiff(logits, GoldenLogits(golden, 1, Steps - 1)));
        output.WriteLine($"two-thread groups: max |Δ| {worst:E2}");
        Assert.True(worst < 1e-4, $"logits differ by {worst:E2}");
    }

    [Fact]
    public void GuidedLogitsMatchStage()
    {
        var lm = Goldens.Lm;
        var prefix = Prefix();
        var golden = Goldens.Floats("lm.cfg_logits");
        using var decoder = IlgpuCpu.Device.CreateDecoder(lm);
        decoder.Prepare(1, 32, 32, 26, 2);
        decoder.AttachText(Text(), 26);
        var tokens = new int[4];
        var sampled = new int[4];
        var guided = new float[lm.LogitsPerRow];
        double worst = 0;
        for (int s = 1; s < Steps; s++)
        {
            prefix.StepTokens(PrefixRow.Conditional, s, tokens);
            var c = new DecoderRow(0, PrefixRow.Conditional, prefix.Position(PrefixRow.Conditional, s), tokens, true);
            if (s < prefix.FirstStep(PrefixRow.Unconditional)) { decoder.Forward([c]); continue; }
            prefix.StepTokens(PrefixRow.Unconditional, s, tokens);
            decoder.Forward([c, new DecoderRow(0, PrefixRow.Unconditional, prefix.Position(PrefixRow.Unconditional, s), tokens, true)]);
            decoder.GuideAndSample(1, 3f, 1, 1f, new double[4], sampled);
            decoder.ReadGuidedLogits(guided);
            worst = Math.Max(worst, Goldens.MaxAbsDiff(guided, GoldenLogits(golden, 0, s)));
            for (int q = 0; q < 4; q++)
                Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(guided.AsSpan(q * Card, Card)), sampled[q]);
        }
        output.WriteLine($"max |Δ| guided logits {worst:E2}");
        Assert.True(worst < 1e-3, $"guided logits differ by {worst:E2}");
    }

    [Fact]
    public void RejectsAFullStreamAndForeignTokens()
    {
        using var decoder = IlgpuCpu.Device.CreateDecoder(Goldens.Lm);
        decoder.Prepare(1, 1, 1, 0, 2);
        int[] tokens = [2049, 2048, 2048, 2048];
        decoder.Forward([new DecoderRow(0, PrefixRow.Conditional, 0, tokens, true)]);
        var e = Assert.Throws<InvalidOperationException>(() => decoder.Forward([new DecoderRow(0, PrefixRow.Conditional, 0, tokens, true)]));
        Assert.Contains("full", e.Message);
        var bad = Assert.Throws<ArgumentException>(() => decoder.Forward([new DecoderRow(0, PrefixRow.Unconditional, 0, [2050, 0, 0, 0], true)]));
        Assert.Contains("2050", bad.Message);
    }

    [Theory]
    [InlineData(WeightPrecision.BFloat16, 0.05)]
    [InlineData(WeightPrecision.Float16, 0.01)]
    public void SixteenBitWeightsStayCloseToStage(WeightPrecision precision, double tolerance)
    {
        using var device = IlgpuCpu.Open(precision);
        using var decoder = device.CreateDecoder(Goldens.Lm);
        double worst = TeacherForcedWorst(decoder, output);
        Assert.True(worst < tolerance, $"{precision} logits differ by {worst:E2}");
        Assert.True(worst > 1e-6, "16-bit weights gave float32's logits: the weights were not converted");
    }
}

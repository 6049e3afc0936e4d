using Stage.Inference.Generation;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Generation;

/// <summary>Greedy guided generation against STAGE's own <c>generate()</c> run with top-k forced to 1.</summary>
public class StageGeneratorGoldenTests(ITestOutputHelper output)
{
    static readonly GenerationOptions Greedy = new() { Frames = 12, TopK = 1 };

    /// <summary>T5 states of 'funky drums with ghost notes, 100 bpm' (14 tokens): row 0 of t5.projected, unpadded.</summary>
    static float[] FunkyDrumsText()
    {
        var ids = Goldens.Longs("gen.prompt_input_ids");
        var t5Ids = Goldens.Longs("t5.input_ids");
        for (int i = 0; i < 14; i++) Assert.Equal(ids[i], t5Ids[i]);
        return Goldens.Rows("t5.projected", 0, 14);
    }

    (int[][] Codes, double WorstLogit) Run(string golden, int[][] context, float[] text, int frames)
    {
        var generator = new StageGenerator();
        var cfg = Goldens.Floats($"{golden}.cfg_last_logits"); // [N+3, 4, 2048]
        double worst = 0;
        int calls = 0, firstStep = context[0].Length + 2;
        generator.GuidedLogits = (step, logits) =>
        {
            Assert.Equal(firstStep + calls, step);
            worst = Math.Max(worst, Goldens.MaxAbsDiff(logits, cfg.AsSpan(calls * logits.Length, logits.Length)));
            calls++;
        };
        var codes = generator.Generate(Goldens.Lm, context, text, Greedy with { Frames = frames }, 1, null, null, CancellationToken.None)[0];
        Assert.Equal(frames + 3, calls);
        return (codes, worst);
    }

    [Fact]
    public void GreedyWithPromptMatchesStage()
    {
        var (codes, worst) = Run("gen", Goldens.Codes("gen.context_codes"), FunkyDrumsText(), 12);
        output.WriteLine($"max |Δ| guided logits over 15 calls: {worst:E2}");
        Assert.Equal(Goldens.Codes("gen.codes"), codes);
        Assert.True(worst < 1e-3, $"guided logits differ by {worst:E2}");
    }

    [Fact]
    public void GreedyWithoutPromptMatchesStage()
    {
        var (codes, worst) = Run("gen.empty", Goldens.Codes("gen.context_codes"), [], 12);
        output.WriteLine($"max |Δ| guided logits over 15 calls: {worst:E2}");
        Assert.Equal(Goldens.Codes("gen.empty.codes"), codes);
        Assert.True(worst < 1e-3, $"guided logits differ by {worst:E2}");
    }

    [Fact]
    public void StreamsEachFrameOnceItsFourCodesAreFinal()
    {
        var generator = new StageGenerator();
        var frames = new List<(int Index, int[] Codes)>();
        var progress = new List<(int Done, int Total)>();
        var codes = generator.Generate(Goldens.Lm, Goldens.Codes("gen.context_codes"), default, Greedy, 1,
            (done, total) => progress.Add((done, total)), (i, four) => frames.Add((i, four.ToArray())), CancellationToken.None)[0];
        Assert.Equal(Enumerable.Range(0, 12), frames.Select(f => f.Index));
        foreach (var (index, four) in frames)
            for (int q = 0; q < 4; q++) Assert.Equal(codes[q][index], four[q]);
        Assert.Equal(15, progress.Count);
        Assert.Equal((0, 12), progress[2]);   // the delay pattern finishes frame 0 on the fourth step
        Assert.Equal((1, 12), progress[3]);
        Assert.Equal((12, 12), progress[^1]);
    }

    [Fact]
    public void SameSeedSameCodesOtherSeedOtherCodes()
    {
        var context = Goldens.Codes("gen.context_codes");
        var options = new GenerationOptions { Frames = 12, Seed = 7 };
        var generator = new StageGenerator();
        var a = generator.Generate(Goldens.Lm, context, default, options, 1, null, null, CancellationToken.None)[0];
        var b = new StageGenerator().Generate(Goldens.Lm, context, default, options, 1, null, null, CancellationToken.None)[0];
        var c = generator.Generate(Goldens.Lm, context, default, options with { Seed = 8 }, 1, null, null, CancellationToken.None)[0];
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void TopKOneIsGreedyWhateverTheSeed()
    {
        var context = Goldens.Codes("gen.context_codes");
        var generator = new StageGenerator();
        var a = generator.Generate(Goldens.Lm, context, default, Greedy with { Seed = 1 }, 1, null, null, CancellationToken.None)[0];
        var b = generator.Generate(Goldens.Lm, context, default, Greedy with { Seed = 2, Temperature = 0.5f }, 1, null, null, CancellationToken.None)[0];
        Assert.Equal(Goldens.Codes("gen.empty.codes"), a);
        Assert.Equal(a, b);
    }

    [Fact]
    public void VariationsShareThePrefixAndCandidateZeroEqualsASingleRun()
    {
        var context = Goldens.Codes("gen.context_codes");
        var text = FunkyDrumsText();
        var options = new GenerationOptions { Frames = 12, Seed = 11 };
        var single = new StageGenerator().Generate(Goldens.Lm, context, text, options, 1, null, null, CancellationToken.None)[0];
        var three = new StageGenerator().Generate(Goldens.Lm, context, text, options, 3, null, null, CancellationToken.None);
        Assert.Equal(single, three[0]);
        var second = new StageGenerator().Generate(Goldens.Lm, context, text, options with { Seed = 12 }, 1, null, null, CancellationToken.None)[0];
        Assert.Equal(second, three[1]);
    }

    [Fact]
    public void AudioPromptContinuesFromItsCodes()
    {
        // Feeding the first 5 greedy frames back as STAGE's audio prompt must reproduce the remaining 7.
        var context = Goldens.Codes("gen.context_codes");
        var expected = Goldens.Codes("gen.empty.codes");
        var prompt = expected.Select(q => q[..5]).ToArray();
        var rest = new StageGenerator().Generate(Goldens.Lm, context, default, Greedy with { Frames = 7, PromptCodes = prompt }, 1, null, null, CancellationToken.None)[0];
        Assert.Equal(expected.Select(q => q[5..]).ToArray(), rest);
    }

    [Fact]
    public void CancellationStopsWithinAStep()
    {
        using var cancel = new CancellationTokenSource();
        int steps = 0;
        Assert.Throws<OperationCanceledException>(() => new StageGenerator().Generate(Goldens.Lm, Goldens.Codes("gen.context_codes"), default, Greedy, 1,
            (_, _) => { if (++steps == 4) cancel.Cancel(); }, null, cancel.Token));
        Assert.Equal(4, steps);
    }

    [Fact]
    public void MalformedCodesAreClearErrors()
    {
        var generator = new StageGenerator();
        var e = Assert.Throws<ArgumentException>(() => generator.Generate(Goldens.Lm, [[1], [2], [3]], default, Greedy, 1, null, null, CancellationToken.None));
        Assert.Contains("4 codebooks", e.Message);
        e = Assert.Throws<ArgumentException>(() => generator.Generate(Goldens.Lm, [[1], [2], [3], null!], default, Greedy, 1, null, null, CancellationToken.None));
        Assert.Contains("codebook 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => generator.Generate(Goldens.Lm, [[1, 2], [2], [3], [4]], default, Greedy, 1, null, null, CancellationToken.None));
        Assert.Contains("frames", e.Message);
        var badPrompt = Greedy with { PromptCodes = [[1], [2], [3], [5000]] };
        e = Assert.Throws<ArgumentException>(() => generator.Generate(Goldens.Lm, [[1], [2], [3], [4]], default, badPrompt, 1, null, null, CancellationToken.None));
        Assert.Contains("5000", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Generate(Goldens.Lm, [[1], [2], [3], [4]], default, Greedy with { Frames = 0 }, 1, null, null, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => generator.Generate(Goldens.Lm, [[1], [2], [3], [4]], new float[65], Greedy, 1, null, null, CancellationToken.None));
    }

    [Fact]
    public void TooLongRequestsNameTheLimit()
    {
        var context = Goldens.Codes("gen.context_codes");
        var e = Assert.Throws<ArgumentException>(() => new StageGenerator().Generate(Goldens.Lm, context, default, Greedy with { Frames = 501 }, 1, null, null, CancellationToken.None));
        Assert.Contains("500", e.Message);
        var longContext = Enumerable.Range(0, 4).Select(_ => new int[501]).ToArray();
        e = Assert.Throws<ArgumentException>(() => new StageGenerator().Generate(Goldens.Lm, longContext, default, Greedy, 1, null, null, CancellationToken.None));
        Assert.Contains("500", e.Message);
    }
}

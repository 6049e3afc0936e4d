using Stage.Inference.Generation;
using Stage.Inference.Tests.Generation;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Gpu;

/// <summary>
/// StageGeneratorGoldenTests and StageModelEndToEndTests through the GPU backend (ILGPU's CPU accelerator): greedy
/// codes identical to STAGE's and the CPU engine's, seeded sampling on the device, streaming, variations, cancel.
/// </summary>
public class DeviceGenerationTests(ITestOutputHelper output)
{
    static readonly GenerationOptions Greedy = new() { Frames = 12, TopK = 1 };
    static readonly Lazy<StageModel> s_model = new(() => StageModel.Load(Fixture.Directory));

    static float[] FunkyDrumsText() => Goldens.Rows("t5.projected", 0, 14);

    static StageGenerator OnDevice() => new(IlgpuCpu.Device);

    (int[][] Codes, double WorstLogit) RunGreedy(string golden, float[] text)
    {
        using var generator = OnDevice();
        var cfg = Goldens.Floats($"{golden}.cfg_last_logits");
        double worst = 0;
        int calls = 0;
        generator.GuidedLogits = (_, logits) => worst = Math.Max(worst, Goldens.MaxAbsDiff(logits, cfg.AsSpan(calls++ * logits.Length, logits.Length)));
        var codes = generator.Generate(Goldens.Lm, Goldens.Codes("gen.context_codes"), text, Greedy, 1, null, null, CancellationToken.None)[0];
        Assert.Equal(15, calls);
        return (codes, worst);
    }

    [Fact]
    public void GreedyWithPromptMatchesStageAndTheCpuEngine()
    {
        var (codes, worst) = RunGreedy("gen", FunkyDrumsText());
        output.WriteLine($"max |Δ| guided logits: {worst:E2}");
        Assert.Equal(Goldens.Codes("gen.codes"), codes);
        Assert.Equal(new StageGenerator().Generate(Goldens.Lm, Goldens.Codes("gen.context_codes"), FunkyDrumsText(), Greedy, 1, null, null, CancellationToken.None)[0], codes);
        Assert.True(worst < 1e-3, $"guided logits differ by {worst:E2}");
    }

    [Fact]
    public void GreedyWithoutPromptMatchesStage()
    {
        var (codes, worst) = RunGreedy("gen.empty", []);
        output.WriteLine($"max |Δ| guided logits: {worst:E2}");
        Assert.Equal(Goldens.Codes("gen.empty.codes"), codes);
        Assert.True(worst < 1e-3, $"guided logits differ by {worst:E2}");
    }

    [Fact]
    public void SeededSamplingOnTheDeviceDrawsTheCpuEnginesTokens()
    {
        // Same seed → same uniform draws; the device sums probabilities in float, the CPU in double, so only a
        // draw landing within ~1e-7 of a token boundary could differ; on the fixture none does.
        var context = Goldens.Codes("gen.context_codes");
        var options = new GenerationOptions { Frames = 12, Seed = 7 };
        using var device = OnDevice();
        var onDevice = device.Generate(Goldens.Lm, context, FunkyDrumsText(), options, 3, null, null, CancellationToken.None);
        var onCpu = new StageGenerator().Generate(Goldens.Lm, context, FunkyDrumsText(), options, 3, null, null, CancellationToken.None);
        Assert.Equal(onCpu, onDevice);
        Assert.NotEqual(onDevice[0], onDevice[1]);
        var again = device.Generate(Goldens.Lm, context, FunkyDrumsText(), options with { TopK = 0, Temperature = 0.7f }, 1, null, null, CancellationToken.None)[0];
        Assert.Equal(new StageGenerator().Generate(Goldens.Lm, context, FunkyDrumsText(), options with { TopK = 0, Temperature = 0.7f }, 1, null, null, CancellationToken.None)[0], again);
    }

    [Fact]
    public void EndToEndOnTheDeviceWithEnCodecThereMatchesStage()
    {
        // The whole job on the device: context encoded, LM decoded and the stem decoded there; T5 stays on the CPU.
        var model = StageModel.Load(Fixture.Directory, codecBackend: IlgpuCpu.Device.CodecBackend);
        var context = model.EncodeContext(Goldens.Floats("encodec.signal"));
        Assert.Equal(Goldens.Codes("encodec.codes"), context);
        using var generator = OnDevice();
        var options = Greedy with { Prompt = "Genre(s): rock, pop, indie. Mood(s): energetic, happy, uplifting. " };
        var codes = generator.Generate(model, context, options, null, CancellationToken.None);
        Assert.Equal(Goldens.Codes("e2e.codes"), codes);
        double audioError = Goldens.MaxAbsDiff(model.Decode(codes), Goldens.Floats("e2e.audio"));
        output.WriteLine($"e2e on the device: audio max |Δ| {audioError:E2}");
        Assert.True(audioError < 1e-4, $"audio differs by {audioError:E2}");
    }

    [Fact]
    public void StreamsEachFrameOnceItsFourCodesAreFinal()
    {
        using var generator = OnDevice();
        var frames = new List<(int Index, int[] Codes)>();
        var codes = generator.Generate(Goldens.Lm, Goldens.Codes("gen.context_codes"), default, Greedy, 1,
            null, (i, four) => frames.Add((i, four.ToArray())), CancellationToken.None)[0];
        Assert.Equal(Enumerable.Range(0, 12), frames.Select(f => f.Index));
        foreach (var (index, four) in frames)
            for (int q = 0; q < 4; q++) Assert.Equal(codes[q][index], four[q]);
    }

    [Fact]
    public void AudioPromptContinuesFromItsCodes()
    {
        var expected = Goldens.Codes("gen.empty.codes");
        using var generator = OnDevice();
        var rest = generator.Generate(Goldens.Lm, Goldens.Codes("gen.context_codes"), default,
            Greedy with { Frames = 7, PromptCodes = expected.Select(q => q[..5]).ToArray() }, 1, null, null, CancellationToken.None)[0];
        Assert.Equal(expected.Select(q => q[5..]).ToArray(), rest);
    }

    [Fact]
    public void CancellationStopsWithinAStep()
    {
        using var cancel = new CancellationTokenSource();
        using var generator = OnDevice();
        int steps = 0;
        Assert.Throws<OperationCanceledException>(() => generator.Generate(Goldens.Lm, Goldens.Codes("gen.context_codes"), default, Greedy, 1,
            (_, _) => { if (++steps == 4) cancel.Cancel(); }, null, cancel.Token));
        Assert.Equal(4, steps);
        // The generator (and its device memory) is reusable after a cancel.
        Assert.Equal(Goldens.Codes("gen.empty.codes"), generator.Generate(Goldens.Lm, Goldens.Codes("gen.context_codes"), default, Greedy, 1, null, null, CancellationToken.None)[0]);
    }

    [Fact]
    public void EndToEndThroughTheModelMatchesStage()
    {
        var model = s_model.Value;
        var context = model.EncodeContext(Goldens.Floats("encodec.signal"));
        using var generator = OnDevice();
        var options = Greedy with { Prompt = "Genre(s): rock, pop, indie. Mood(s): energetic, happy, uplifting. " };
        var codes = generator.Generate(model, context, options, null, CancellationToken.None);
        Assert.Equal(Goldens.Codes("e2e.codes"), codes);
        double audioError = Goldens.MaxAbsDiff(model.Decode(codes), Goldens.Floats("e2e.audio"));
        output.WriteLine($"e2e on {IlgpuCpu.Device.Name}: audio max |Δ| {audioError:E2}");
        Assert.True(audioError < 1e-4, $"audio differs by {audioError:E2}");
    }
}

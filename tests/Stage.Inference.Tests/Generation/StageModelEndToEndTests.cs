using Stage.Inference.Gpu;
using Stage.Inference.Generation;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Generation;

/// <summary>The whole fixture folder through <see cref="StageModel"/>: EnCodec encode, T5, LM loop, decode.</summary>
public class StageModelEndToEndTests(ITestOutputHelper output)
{
    static readonly Lazy<StageModel> s_model = new(() => StageModel.Load(Fixture.Directory));
    static StageModel Model => s_model.Value;
    static readonly GenerationOptions Greedy = new() { Frames = 12, TopK = 1 };

    [Fact]
    public void EndToEndGreedyMatchesStage()
    {
        var signal = Goldens.Floats("encodec.signal");
        var context = Model.EncodeContext(signal);
        Assert.Equal(Goldens.Codes("encodec.codes"), context);

        var generator = new StageGenerator();
        var cfg = Goldens.Floats("e2e.cfg_last_logits");
        double worst = 0;
        int call = 0;
        generator.GuidedLogits = (_, logits) => worst = Math.Max(worst, Goldens.MaxAbsDiff(logits, cfg.AsSpan(call++ * logits.Length, logits.Length)));
        var options = Greedy with { Prompt = "Genre(s): rock, pop, indie. Mood(s): energetic, happy, uplifting. " };
        var codes = generator.Generate(Model, context, options, null, CancellationToken.None);
        Assert.Equal(Goldens.Codes("e2e.codes"), codes);

        var audio = Model.Decode(codes);
        double audioError = Goldens.MaxAbsDiff(audio, Goldens.Floats("e2e.audio"));
        output.WriteLine($"e2e: guided logits max |Δ| {worst:E2} (positions up to 82), audio max |Δ| {audioError:E2}");
        Assert.True(worst < 1e-3, $"guided logits differ by {worst:E2}");
        Assert.True(audioError < 1e-4, $"audio differs by {audioError:E2}");
    }

    [Theory]
    [InlineData("funky drums with ghost notes, 100 bpm", "gen")]
    [InlineData("", "gen.empty")]
    [InlineData(null, "gen.empty")]
    public void ContextAudioAndPromptToStemMatchStage(string? prompt, string golden)
    {
        var context = Model.EncodeContext(Goldens.Floats("gen.context_audio"));
        Assert.Equal(Goldens.Codes("gen.context_codes"), context);
        var codes = new StageGenerator().Generate(Model, context, Greedy with { Prompt = prompt }, null, CancellationToken.None);
        Assert.Equal(Goldens.Codes($"{golden}.codes"), codes);
        double audioError = Goldens.MaxAbsDiff(Model.Decode(codes), Goldens.Floats($"{golden}.audio"));
        output.WriteLine($"{golden}: audio max |Δ| {audioError:E2}");
        Assert.True(audioError < 1e-4, $"audio differs by {audioError:E2}");
    }

    [Theory]
    [InlineData(WeightPrecision.Float32)]
    [InlineData(WeightPrecision.BFloat16)]
    [InlineData(WeightPrecision.Int8)]
    public void ALoadedModelLeavesItsEmbeddingsInTheCheckpoint(WeightPrecision precision)
    {
        // the engine's working set: T5's 32128-row table and the LM's four codebook tables are read a few rows at a time
        var model = precision == WeightPrecision.Float32 ? Model : StageModel.Load(Fixture.Directory, precision);
        Assert.True(model.TextConditioner.Encoder.Embedding.IsInFile);
        Assert.Equal(4, model.Lm.TokenEmbeddings.Length);
        foreach (var table in model.Lm.TokenEmbeddings) Assert.True(table.IsInFile);
    }

    [Fact]
    public void NoContextIsAllowed()
    {
        // STAGE encodes contexts under 7 samples to no frame: the prefix is just the context token.
        var context = Model.EncodeContext(new float[6]);
        Assert.All(context, q => Assert.Empty(q));
        var codes = new StageGenerator().Generate(Model, context, Greedy with { Frames = 3 }, null, CancellationToken.None);
        Assert.All(codes, q => Assert.Equal(3, q.Length));
    }

    [Fact]
    public void VariationsThroughTheModel()
    {
        var context = Goldens.Codes("gen.context_codes");
        var options = new GenerationOptions { Frames = 6, Seed = 3, Prompt = "funky drums" };
        var many = new StageGenerator().GenerateVariations(Model, context, options, 2, null, CancellationToken.None);
        Assert.Equal(new StageGenerator().Generate(Model, context, options, null, CancellationToken.None), many[0]);
        Assert.Equal(new StageGenerator().Generate(Model, context, options with { Seed = 4 }, null, CancellationToken.None), many[1]);
    }
}

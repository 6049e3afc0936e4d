using Stage.Engine.Jobs;
using Stage.Inference.Generation;
using Stage.Inference.Tests.Generation;

namespace Stage.Engine.Tests.Jobs;

/// <summary>The e2e golden of the tiny fixture (golden.md (f)): context = encodec.signal, 12 frames, greedy, this prompt.</summary>
public static class EndToEnd
{
    public const string Prompt = "Genre(s): rock, pop, indie. Mood(s): energetic, happy, uplifting. ";
    public const double Seconds = 0.24; // round(0.24 × 50) = 12 frames

    public static string FixtureFolder => GoldenTensors.FixtureFolder;

    public static float[] Context => GoldenTensors.Shared.Floats("encodec.signal");
    public static float[] Audio => GoldenTensors.Shared.Floats("e2e.audio");
    public static int[][] Codes => GoldenTensors.Shared.Codes("e2e.codes");

    static StageModel? s_model;
    static readonly Lock s_lock = new();

    /// <summary>The fixture model, loaded once for all tests of this assembly.</summary>
    public static StageModel Model
    {
        get { lock (s_lock) return s_model ??= StageModel.Load(FixtureFolder); }
    }

    public static StemRequest Request(string? output) => new()
    {
        ModelFolder = FixtureFolder,
        ContextAudio = Context,
        ContextSampleRate = 32000,
        ContextChannels = 1,
        ContextMode = ContextMode.Mixture,
        Seconds = Seconds,
        Prompt = Prompt,
        TopK = 1,
        OutputPath = output,
    };

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>A models root whose drums/ holds the fixture model (bass/ is left missing on purpose).</summary>
    /// <summary>The fixture's files; it is not of the released sizes, so it brings its config.json.</summary>
    public static readonly string[] ModelFiles = ["model.safetensors", "config.json", "spiece.model"];

    public static string ModelsRoot()
    {
        string root = Path.Combine(Path.GetTempPath(), "stage-job-models-" + Guid.NewGuid().ToString("N"));
        string drums = Path.Combine(root, "drums");
        Directory.CreateDirectory(drums);
        foreach (var file in ModelFiles)
            File.Copy(Path.Combine(FixtureFolder, file), Path.Combine(drums, file));
        return root;
    }
}

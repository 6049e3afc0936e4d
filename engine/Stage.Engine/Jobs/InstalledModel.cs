using Stage.Inference.Checkpoints;
using Stage.Shared.Protocol;

namespace Stage.Engine.Jobs;

/// <summary>
/// One instrument's installed model: &lt;models root&gt;/drums or /bass, holding the STAGE checkpoint and the
/// T5 SentencePiece model, plus config.json for sizes other than the released ones (the released
/// checkpoints' config is implied; see <see cref="ModelFolder"/>).
/// </summary>
public sealed record InstalledModel(Instrument Instrument, string Path)
{
    public static readonly string[] RequiredFiles = [ModelFolder.WeightsFileName, ModelFolder.TokenizerFileName];

    /// <summary>What a producer is told a model folder holds.</summary>
    public static readonly string Expected =
        $"{string.Join(", ", RequiredFiles)}, and {ModelFolder.ConfigFileName} for sizes other than the released ones";

    public static InstalledModel Resolve(string modelsRoot, Instrument instrument) =>
        new(instrument, System.IO.Path.GetFullPath(System.IO.Path.Combine(modelsRoot, InstrumentName.Of(instrument))));

    public string Checkpoint => System.IO.Path.Combine(Path, ModelFolder.WeightsFileName);
    public string Config => System.IO.Path.Combine(Path, ModelFolder.ConfigFileName);
    public string SentencePiece => System.IO.Path.Combine(Path, ModelFolder.TokenizerFileName);

    public IReadOnlyList<string> MissingFiles() => MissingFiles(Path);

    /// <summary>Whether the folder holds every required file.</summary>
    public bool IsInstalled => Directory.Exists(Path) && MissingFiles().Count == 0;

    /// <summary>Which of <see cref="RequiredFiles"/> a model folder lacks.</summary>
    public static IReadOnlyList<string> MissingFiles(string folder)
    {
        var missing = new List<string>();
        foreach (var file in RequiredFiles)
            if (!File.Exists(System.IO.Path.Combine(folder, file))) missing.Add(file);
        return missing;
    }

    /// <summary>
    /// Throws <see cref="StemGenerationException"/> (<see cref="FailureCode.ModelMissing"/>) naming the
    /// folder and what is missing from it, unless the model is complete.
    /// </summary>
    public void EnsureInstalled()
    {
        string name = InstrumentName.Of(Instrument);
        if (!Directory.Exists(Path))
            throw new StemGenerationException(FailureCode.ModelMissing,
                $"no {name} model installed at {Path}: run `stage-engine models install {name}` (or point STAGE_MODELS / serve --models at the folder that holds {name}/)");
        var missing = MissingFiles();
        if (missing.Count > 0)
            throw new StemGenerationException(FailureCode.ModelMissing,
                $"the {name} model at {Path} is incomplete: {string.Join(", ", missing)} missing (expected {Expected}); run `stage-engine models install {name}`");
    }
}

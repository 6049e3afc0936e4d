namespace Stage.Inference.Checkpoints;

/// <summary>
/// One instrument's model folder: model.safetensors (EnCodec + T5 + projection + LM in the released
/// STAGE layout), spiece.model (T5 tokenizer) and an optional config.json (absent = released sizes).
/// </summary>
public sealed class ModelFolder
{
    public const string WeightsFileName = "model.safetensors";
    public const string ConfigFileName = "config.json";
    public const string TokenizerFileName = "spiece.model";

    ModelFolder(string directory, StageConfig config)
    {
        Directory = directory;
        Config = config;
    }

    public string Directory { get; }
    public StageConfig Config { get; }
    public string WeightsPath => System.IO.Path.Combine(Directory, WeightsFileName);
    public string TokenizerPath => System.IO.Path.Combine(Directory, TokenizerFileName);
    public string ConfigPath => System.IO.Path.Combine(Directory, ConfigFileName);

    /// <summary>Checks the folder and its weights file exist and reads config.json if present.</summary>
    public static ModelFolder Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new CheckpointException($"{directory}: model folder not found");
        string weights = System.IO.Path.Combine(directory, WeightsFileName);
        if (!File.Exists(weights)) throw new CheckpointException($"{weights}: file not found (a model folder holds {WeightsFileName}, {TokenizerFileName} and optionally {ConfigFileName})");
        string configPath = System.IO.Path.Combine(directory, ConfigFileName);
        var config = File.Exists(configPath) ? StageConfig.Load(configPath) : StageConfig.Released;
        return new ModelFolder(System.IO.Path.GetFullPath(directory), config);
    }

    /// <summary>Memory-maps the weights; dispose the result when every model has been built from it.</summary>
    public SafetensorsFile OpenWeights() => SafetensorsFile.Open(WeightsPath);

    /// <summary>The tokenizer path; throws naming the file if it is missing.</summary>
    public string RequireTokenizer()
    {
        if (!File.Exists(TokenizerPath)) throw new CheckpointException($"{TokenizerPath}: file not found");
        return TokenizerPath;
    }
}

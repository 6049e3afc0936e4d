using Stage.Inference.Checkpoints;
using Stage.Inference.Models.Lm;

namespace Stage.Inference.Generation;

/// <summary>
/// One instrument's STAGE model loaded from its folder (model.safetensors, config.json, spiece.model):
/// the LM, the T5 text conditioner and EnCodec.
/// </summary>
public sealed class StageModel
{
    StageModel(StageConfig config, MusicGenLm lm)
    {
        Config = config;
        Lm = lm;
    }

    public StageConfig Config { get; }
    public MusicGenLm Lm { get; }

    public static StageModel Load(string modelFolder)
    {
        var folder = ModelFolder.Open(modelFolder);
        using var weights = folder.OpenWeights();
        return new StageModel(folder.Config, MusicGenLm.Load(weights));
    }

    /// <summary>The projected T5 states <c>[L, Dim]</c> of a prompt; empty for the null condition.</summary>
    public ReadOnlyMemory<float> EncodeText(string? prompt)
    {
        if (string.IsNullOrEmpty(prompt)) return ReadOnlyMemory<float>.Empty;
        throw new NotSupportedException("text conditioning lands with the T5 merge");
    }
}

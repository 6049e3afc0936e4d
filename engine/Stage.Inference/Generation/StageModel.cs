using Stage.Inference.Checkpoints;
using Stage.Inference.Models.EnCodec;
using Stage.Inference.Models.Lm;
using Stage.Inference.Models.T5;

namespace Stage.Inference.Generation;

/// <summary>
/// One instrument's STAGE model from its folder (model.safetensors, spiece.model, optional config.json): EnCodec
/// (context audio ↔ codes), the T5 text conditioner (prompt → projected states) and the LM.
/// Immutable after loading; generators share it.
/// </summary>
public sealed class StageModel
{
    StageModel(StageConfig config, EncodecModel codec, TextConditioner textConditioner, MusicGenLm lm)
    {
        Config = config;
        Codec = codec;
        TextConditioner = textConditioner;
        Lm = lm;
    }

    public StageConfig Config { get; }
    public EncodecModel Codec { get; }
    public TextConditioner TextConditioner { get; }
    public MusicGenLm Lm { get; }

    /// <summary>EnCodec's rate: context audio must be mono at this rate, stems come out at it.</summary>
    public int SampleRate => Codec.SampleRate;

    /// <summary>
    /// Loads every part from one memory-mapped pass over the weights file; the LM's matrices stored as
    /// <paramref name="lmPrecision"/> (what <see cref="InferenceDevice.HostLmPrecision"/> asks for), and EnCodec's layers on
    /// <paramref name="codecBackend"/> (<see cref="InferenceDevice.CodecBackend"/>; null = the CPU).
    /// </summary>
    public static StageModel Load(string modelFolder, Gpu.WeightPrecision lmPrecision = Gpu.WeightPrecision.Float32, Kernels.IComputeBackend? codecBackend = null)
    {
        var folder = ModelFolder.Open(modelFolder);
        using var weights = folder.OpenWeights();
        var lm = MusicGenLm.Load(weights, lmPrecision);
        var text = TextConditioner.Load(folder, weights);
        if (text.Dim != lm.Dims.TextDim)
            throw new CheckpointException($"{weights.Path}: the text projection gives {text.Dim}-d states but the LM cross-attends {lm.Dims.TextDim}-d ones");
        var codec = EncodecModel.Load(weights, folder.Config.Encodec, codecBackend);
        if (codec.Codebooks != lm.Dims.Codebooks)
            throw new CheckpointException($"{weights.Path}: EnCodec has {codec.Codebooks} codebooks but the LM {lm.Dims.Codebooks}");
        return new StageModel(folder.Config, codec, text, lm);
    }

    /// <summary>The projected T5 states <c>[L, Dim]</c> of a prompt; empty for the null condition (null or "").</summary>
    public ReadOnlyMemory<float> EncodeText(string? prompt)
    {
        var condition = TextConditioner.Encode(prompt);
        return condition.IsNull ? ReadOnlyMemory<float>.Empty : condition.States;
    }

    /// <summary>
    /// Context codes <c>[4][ceil(L/640)]</c> of mono audio at <see cref="SampleRate"/>, as STAGE's prompt
    /// processor encodes them: fewer than 7 samples give no frame.
    /// </summary>
    public int[][] EncodeContext(ReadOnlySpan<float> audio)
    {
        const int shortestEncodable = 7; // PromptProcessor.encode
        var codes = audio.Length < shortestEncodable ? new CodeMatrix(Codec.Codebooks, 0) : Codec.Encode(audio);
        var result = new int[codes.Codebooks][];
        for (int q = 0; q < result.Length; q++) result[q] = codes.Codebook(q).ToArray();
        return result;
    }

    /// <summary>Stem codes <c>[4][N]</c> → <c>640·N</c> samples at <see cref="SampleRate"/> (not trimmed).</summary>
    public float[] Decode(int[][] codes)
    {
        int frames = DelayPattern.FrameCount(codes);
        var matrix = new CodeMatrix(codes.Length, frames);
        for (int q = 0; q < codes.Length; q++) codes[q].CopyTo(matrix.Codebook(q));
        return Codec.Decode(matrix);
    }
}

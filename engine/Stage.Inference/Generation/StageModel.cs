using System.Runtime.InteropServices;
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
public sealed class StageModel : IDisposable
{
    StageModel(StageConfig config, EncodecModel codec, TextConditioner textConditioner, MusicGenLm lm, string convertedLm)
    {
        ConvertedLmNote = convertedLm;
        Config = config;
        Codec = codec;
        TextConditioner = textConditioner;
        Lm = lm;
    }

    public StageConfig Config { get; }
    public EncodecModel Codec { get; }
    public TextConditioner TextConditioner { get; }
    public MusicGenLm Lm { get; }

    /// <summary>Where the LM's converted matrices came from or went (<see cref="ConvertedLm"/>), for the engine's log.</summary>
    public string ConvertedLmNote { get; }

    /// <summary>EnCodec's rate: context audio must be mono at this rate, stems come out at it.</summary>
    public int SampleRate => Codec.SampleRate;

    /// <summary>
    /// Loads every part from one memory-mapped pass over the weights file; the LM's matrices stored as
    /// <paramref name="lmPrecision"/> (what <see cref="InferenceDevice.HostLmPrecision"/> asks for; below float32, T5's
    /// linears are stored as bfloat16 too), and EnCodec's layers on
    /// <paramref name="codecBackend"/> (<see cref="InferenceDevice.CodecBackend"/>; null = the CPU). With
    /// <paramref name="keepConverted"/> a bf16 or int8 LM is mapped from the matrices a first load kept next to the
    /// checkpoint (<see cref="ConvertedLm"/>), and a first load keeps them there.
    /// </summary>
    public static StageModel Load(string modelFolder, Gpu.WeightPrecision lmPrecision = Gpu.WeightPrecision.Float32, Kernels.IComputeBackend? codecBackend = null,
        bool keepConverted = false)
    {
        var folder = ModelFolder.Open(modelFolder);
        using var weights = folder.OpenWeights();
        StageModel model;
        // T5 first: it is read whole as float32 (440 MB for t5-base) before it is converted, and that garbage is collected
        // before the LM arrives, so the two never share the working set.
        // An LM stored below float32 moves its logits more than bfloat16 text weights move the text states: T5 follows it.
        var text = TextConditioner.Load(folder, weights, bfloat16: lmPrecision != Gpu.WeightPrecision.Float32);
        MusicGenLm? lm = null;
        try
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            (lm, var convertedNote) = LoadLm(weights, lmPrecision, keepConverted);
            if (text.Dim != lm.Dims.TextDim)
                throw new CheckpointException($"{weights.Path}: the text projection gives {text.Dim}-d states but the LM cross-attends {lm.Dims.TextDim}-d ones");
            // EnCodec follows too: bfloat16 convolutions move a decoded stem far below what a producer could hear
            // (EncodecBFloat16Tests), and its LSTMs' recurrent steps read half the bytes.
            var codec = EncodecModel.Load(weights, folder.Config.Encodec, codecBackend, bfloat16: lmPrecision != Gpu.WeightPrecision.Float32);
            if (codec.Codebooks != lm.Dims.Codebooks)
                throw new CheckpointException($"{weights.Path}: EnCodec has {codec.Codebooks} codebooks but the LM {lm.Dims.Codebooks}");
            model = new StageModel(folder.Config, codec, text, lm, convertedNote);
        }
        catch
        {
            // the parts read so far keep the checkpoint open (their embeddings, a mapped LM): an installer that refuses this
            // folder deletes it next, which Windows will not do around an open file
            text.Encoder.Embedding.Dispose();
            lm?.Dispose();
            throw;
        }
        // A load leaves float32 staging behind (the LM's conversion buffers): return it to the system now rather than carry
        // it in the engine's working set until a later collection.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return model;
    }

    static (MusicGenLm Lm, string Note) LoadLm(SafetensorsFile weights, Gpu.WeightPrecision precision, bool keepConverted)
    {
        if (!keepConverted || !ConvertedLm.Applies(precision)) return (MusicGenLm.Load(weights, precision), "not kept");
        var converted = ConvertedLm.TryOpen(weights.Path, precision, out string why);
        if (converted is not null)
        {
            try { return (MusicGenLm.Load(weights, precision, converted), $"mapped from {converted.Path}"); }
            catch (CheckpointException e)
            {
                converted.Dispose();
                why = e.Message;
            }
        }
        var lm = MusicGenLm.Load(weights, precision);
        try
        {
            ConvertedLm.Write(lm, weights.Path);
            return (lm, $"written to {ConvertedLm.PathFor(weights.Path, precision)}{(why.Length > 0 ? $" (the one there was not used: {why})" : "")}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a folder the engine may not write to: every load converts, as without the file
            return (lm, $"not kept: {e.Message}{(why.Length > 0 ? $" (the one there was not used: {why})" : "")}");
        }
    }

    /// <summary>
    /// Closes the checkpoint files the model keeps open (its token embeddings, a mapped LM), for a model that is done with
    /// (the installer's verification loads one, then renames its folder). The model must not be used after.
    /// </summary>
    public void Dispose()
    {
        TextConditioner.Encoder.Embedding.Dispose();
        Lm.Dispose();
    }

    /// <summary>The projected T5 states <c>[L, Dim]</c> of a prompt; empty for the null condition (null or "").</summary>
    public ReadOnlyMemory<float> EncodeText(string? prompt)
    {
        // A next take usually keeps its prompt: the states of the last few prompts are kept (T5 took 40-60 ms of a next
        // take's 0.4 s to its first audio). They are read-only to the caller, so shared.
        string key = prompt ?? "";
        LastTextWasKept = _keptTexts.TryFind(kept => kept == key, out var keptStates);
        if (LastTextWasKept) return keptStates;
        var condition = TextConditioner.Encode(prompt);
        var states = condition.IsNull ? ReadOnlyMemory<float>.Empty : condition.States;
        _keptTexts.Keep(key, states.ToArray());
        return states;
    }

    const int KeptTexts = 8;
    readonly KeptResults<string, float[]> _keptTexts = new(KeptTexts);

    /// <summary>Whether the last <see cref="EncodeText"/> found its prompt among the kept ones (tests and logs).</summary>
    public bool LastTextWasKept { get; private set; }

    /// <summary>
    /// Context codes <c>[4][ceil(L/640)]</c> of mono audio at <see cref="SampleRate"/>, as STAGE's prompt
    /// processor encodes them: fewer than 7 samples give no frame.
    /// </summary>
    public int[][] EncodeContext(ReadOnlySpan<float> audio)
    {
        // A producer's next take usually hears the same bars: the codes of the last few contexts (a long stem's windows)
        // are kept, and found by comparing the audio bit for bit.
        var samples = audio.ToArray();
        bool kept = _keptContexts.TryFind(audio => MemoryMarshal.Cast<float, int>(audio).SequenceEqual(MemoryMarshal.Cast<float, int>(samples)),
            out var keptCodes);
        LastContextWasKept = kept;
        if (kept) return Copy(keptCodes!);
        const int shortestEncodable = 7; // PromptProcessor.encode
        var codes = audio.Length < shortestEncodable ? new CodeMatrix(Codec.Codebooks, 0) : Codec.Encode(audio);
        var result = new int[codes.Codebooks][];
        for (int q = 0; q < result.Length; q++) result[q] = codes.Codebook(q).ToArray();
        _keptContexts.Keep(samples, Copy(result));
        return result;

        static int[][] Copy(int[][] codes)
        {
            var copy = new int[codes.Length][];
            for (int q = 0; q < codes.Length; q++) copy[q] = (int[])codes[q].Clone();
            return copy;
        }
    }

    /// <summary>Contexts whose codes are kept: every window of the longest stem (60 s: 11 windows), about 1.3 MB each.</summary>
    public const int KeptContexts = 12;

    readonly KeptResults<float[], int[][]> _keptContexts = new(KeptContexts);

    /// <summary>Whether the last <see cref="EncodeContext"/> returned the kept codes of the same audio (tests and logs).</summary>
    public bool LastContextWasKept { get; private set; }

    /// <summary>Stem codes <c>[4][N]</c> → <c>640·N</c> samples at <see cref="SampleRate"/> (not trimmed).</summary>
    public float[] Decode(int[][] codes)
    {
        int frames = DelayPattern.FrameCount(codes);
        var matrix = new CodeMatrix(codes.Length, frames);
        for (int q = 0; q < codes.Length; q++) codes[q].CopyTo(matrix.Codebook(q));
        return Codec.Decode(matrix);
    }
}

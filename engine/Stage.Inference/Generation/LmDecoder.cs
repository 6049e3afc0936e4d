using Stage.Inference.Models.Lm;

namespace Stage.Inference.Generation;

/// <summary>
/// The LM as STAGE's loop (<see cref="StageGenerator"/>) drives it, on whichever device holds it: for each
/// candidate a conditional and an unconditional stream (KV caches where the device is), the logits of the
/// last step of each, and guidance plus top-k sampling of the next tokens. Only tokens cross back to the
/// caller on a step; logits stay where they were computed. <see cref="CpuLmDecoder"/> runs
/// <see cref="MusicGenLm.Forward"/>; <c>Gpu/DeviceLmDecoder</c> runs the same network in ILGPU kernels.
/// Not thread-safe: one per generation.
/// </summary>
public abstract class LmDecoder : IDisposable
{
    public abstract LmDimensions Dims { get; }

    /// <summary>Where it runs, for logs ("cpu (2 threads)", "cuda: NVIDIA GeForce RTX 3060 (f16)").</summary>
    public abstract string DeviceName { get; }

    /// <summary>
    /// Makes room for <paramref name="candidates"/> stream pairs holding up to <paramref name="conditionalSteps"/>
    /// and <paramref name="unconditionalSteps"/> steps, text of <paramref name="textLength"/> tokens and forward
    /// calls of up to <paramref name="maxRows"/> rows; forgets every stream. Reuses memory that is big enough.
    /// </summary>
    public abstract void Prepare(int candidates, int conditionalSteps, int unconditionalSteps, int textLength, int maxRows);

    /// <summary>Gives candidate 0's conditional stream the projected T5 states <c>[length, TextDim]</c> (empty = no text).</summary>
    public abstract void AttachText(ReadOnlySpan<float> text, int length);

    /// <summary>
    /// Appends <paramref name="rows"/> to their streams in one pass; a row that wants logits leaves them as
    /// its stream's step logits (what <see cref="GuideAndSample"/> reads).
    /// </summary>
    public abstract void Forward(ReadOnlySpan<DecoderRow> rows);

    /// <summary>
    /// Keeps candidate 0's two streams (steps and text) and step logits as they stand after a prefill, for
    /// <see cref="RestorePrefill"/>; one prefill at a time, replacing any kept before. False where the decoder cannot (a
    /// device decoder).
    /// </summary>
    public virtual bool KeepPrefill() => false;

    /// <summary>Makes candidate 0's streams and step logits what <see cref="KeepPrefill"/> kept (after <see cref="Prepare"/>); false if none is kept.</summary>
    public virtual bool RestorePrefill() => false;

    /// <summary>Lets the kept prefill go (a new one is about to replace it).</summary>
    public virtual void ForgetPrefill() { }

    /// <summary>Makes candidates 1 .. n−1 copies of candidate 0 (streams, text and step logits).</summary>
    public abstract void CopyCandidateZero(int candidates);

    /// <summary>
    /// For each candidate v: guided = uncond + g·(cond − uncond) of its step logits, then per codebook q the
    /// token <c>tokens[4v + q]</c> drawn by <see cref="TopKSampler"/>'s rule with the uniform <c>uniforms[4v + q]</c>
    /// (unread when greedy).
    /// </summary>
    public abstract void GuideAndSample(int candidates, float guidance, int topK, float temperature, ReadOnlySpan<double> uniforms, Span<int> tokens);

    /// <summary>The step logits <c>[4 · Card]</c> that stream (<paramref name="candidate"/>, <paramref name="row"/>)'s last row asked for (tests; may copy from the device).</summary>
    public abstract void ReadStepLogits(int candidate, PrefixRow row, Span<float> logits);

    /// <summary>Candidate 0's guided logits of the last <see cref="GuideAndSample"/> (for observers; may copy from the device).</summary>
    public abstract void ReadGuidedLogits(Span<float> guided);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>One step appended to stream (<paramref name="Candidate"/>, <paramref name="Row"/>).</summary>
public readonly record struct DecoderRow(int Candidate, PrefixRow Row, int Position, int Token0, int Token1, int Token2, int Token3, bool WantsLogits)
{
    public DecoderRow(int candidate, PrefixRow row, int position, ReadOnlySpan<int> tokens, bool wantsLogits)
        : this(candidate, row, position, tokens[0], tokens[1], tokens[2], tokens[3], wantsLogits) { }

    /// <summary>Index of the stream among all candidates' streams: 2·candidate + (0 conditional, 1 unconditional).</summary>
    public int StreamIndex => 2 * Candidate + (Row == PrefixRow.Conditional ? 0 : 1);

    public int Token(int codebook) => codebook switch
    {
        0 => Token0,
        1 => Token1,
        2 => Token2,
        3 => Token3,
        _ => throw new ArgumentOutOfRangeException(nameof(codebook)),
    };
}

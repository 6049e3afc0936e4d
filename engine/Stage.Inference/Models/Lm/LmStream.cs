using Stage.Inference.Kernels;

namespace Stage.Inference.Models.Lm;

/// <summary>
/// One causal sequence through the LM: its self-attention key/value cache (per layer head-major,
/// <c>[heads, capacity, 64]</c>, so that one head's attention reads one contiguous run rather than 256 bytes from
/// every 4 KiB page: that cost a decode step more than the reading itself) and, when it attends to text, the cross-attention keys/values of the
/// projected T5 states (computed once by <see cref="MusicGenLm.AttachText"/>). STAGE's conditional and
/// unconditional rows are two such streams. Allocated once; <see cref="Reset"/> reuses it.
/// </summary>
public sealed class LmStream
{
    internal readonly PinnedFloats[] Keys, Values;
    internal PinnedFloats[]? TextKeys, TextValues;
    internal int Pending; // rows of the current forward call already assigned a slot

    public LmStream(LmDimensions dims, int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a stream holds at least one step");
        Dims = dims;
        Capacity = capacity;
        Keys = new PinnedFloats[dims.Layers];
        Values = new PinnedFloats[dims.Layers];
        for (int l = 0; l < dims.Layers; l++)
        {
            Keys[l] = new PinnedFloats((long)capacity * dims.AttentionDim);
            Values[l] = new PinnedFloats((long)capacity * dims.AttentionDim);
        }
    }

    public LmDimensions Dims { get; }

    /// <summary>Steps the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Steps appended so far.</summary>
    public int Length { get; internal set; }

    /// <summary>Text tokens attended by cross-attention; 0 means no text (the null condition: cross-attention adds exactly 0).</summary>
    public int TextLength { get; internal set; }

    /// <summary>Forgets every step and the text, keeping the memory.</summary>
    public void Reset()
    {
        Length = 0;
        TextLength = 0;
        Pending = 0;
    }

    /// <summary>Makes this stream a copy of <paramref name="source"/> (its steps and text), e.g. to share one prefilled prefix.</summary>
    public void CopyFrom(LmStream source)
    {
        if (source.Dims != Dims || source.Length > Capacity)
            throw new ArgumentException("streams differ in model or the copy does not fit", nameof(source));
        int n = source.Length * Dims.HeadDim;
        for (int l = 0; l < Dims.Layers; l++)
            for (int h = 0; h < Dims.Heads; h++)
            {
                source.Keys[l].Span.Slice(source.HeadOffset(h), n).CopyTo(Keys[l].Span.Slice(HeadOffset(h), n));
                source.Values[l].Span.Slice(source.HeadOffset(h), n).CopyTo(Values[l].Span.Slice(HeadOffset(h), n));
            }
        Length = source.Length;
        TextLength = source.TextLength;
        if (source.TextLength > 0)
        {
            EnsureText(source.TextLength);
            int m = source.TextLength * Dims.AttentionDim;
            for (int l = 0; l < Dims.Layers; l++)
            {
                source.TextKeys![l].Span[..m].CopyTo(TextKeys![l].Span);
                source.TextValues![l].Span[..m].CopyTo(TextValues![l].Span);
            }
        }
    }

    /// <summary>Where head <paramref name="head"/>'s keys (and values) start in a layer's cache.</summary>
    internal int HeadOffset(int head) => head * Capacity * Dims.HeadDim;

    internal void EnsureText(int length)
    {
        if (TextKeys is not null && TextKeys[0].Length >= length * Dims.AttentionDim) return;
        TextKeys = new PinnedFloats[Dims.Layers];
        TextValues = new PinnedFloats[Dims.Layers];
        for (int l = 0; l < Dims.Layers; l++)
        {
            TextKeys[l] = new PinnedFloats((long)length * Dims.AttentionDim);
            TextValues[l] = new PinnedFloats((long)length * Dims.AttentionDim);
        }
    }
}

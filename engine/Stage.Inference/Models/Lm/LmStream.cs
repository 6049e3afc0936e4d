using Stage.Inference.Kernels;

namespace Stage.Inference.Models.Lm;

/// <summary>
/// One causal sequence through the LM: its self-attention key/value cache (per layer head-major,
/// <c>[heads, capacity, 64]</c>, so that one head's attention reads one contiguous run rather than 256 bytes from
/// every 4 KiB page: that cost a decode step more than the reading itself) and, when it attends to text, the cross-attention keys/values of the
/// projected T5 states (computed once by <see cref="MusicGenLm.AttachText"/>). STAGE's conditional and
/// unconditional rows are two such streams. Allocated once; <see cref="Reset"/> reuses it.
/// <para>
/// With <see cref="BFloat16Cache"/> the keys and values are kept as bfloat16 (rounded to nearest even, widened exactly when
/// read): a decode step reads the whole cache, so this halves the second-largest thing it reads after the weights. An LM
/// stored as bf16 or int8 uses it; float32 keeps float32 keys, so its results stay exact.
/// </para>
/// </summary>
public sealed unsafe class LmStream
{
    // float32, or with BFloat16Cache two bfloat16 values in each float's place (half the floats)
    internal readonly PinnedFloats[] Keys, Values;
    internal PinnedFloats[]? TextKeys, TextValues;
    internal int Pending; // rows of the current forward call already assigned a slot

    public LmStream(LmDimensions dims, int capacity, bool bfloat16Cache = false)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a stream holds at least one step");
        Dims = dims;
        Capacity = capacity;
        BFloat16Cache = bfloat16Cache;
        long floats = (long)capacity * dims.AttentionDim;
        if (bfloat16Cache) floats = (floats + 1) / 2;
        Keys = new PinnedFloats[dims.Layers];
        Values = new PinnedFloats[dims.Layers];
        for (int l = 0; l < dims.Layers; l++)
        {
            Keys[l] = new PinnedFloats(floats);
            Values[l] = new PinnedFloats(floats);
        }
    }

    public LmDimensions Dims { get; }

    /// <summary>Whether keys and values are kept as bfloat16 (see the remarks).</summary>
    public bool BFloat16Cache { get; }

    /// <summary>A layer's keys as bfloat16 (only with <see cref="BFloat16Cache"/>).</summary>
    internal ushort* KeysBFloat16(int layer) => (ushort*)Keys[layer].Pointer;

    /// <summary>A layer's values as bfloat16 (only with <see cref="BFloat16Cache"/>).</summary>
    internal ushort* ValuesBFloat16(int layer) => (ushort*)Values[layer].Pointer;

    /// <summary>Stores one step of one head: float32, or rounded to bfloat16.</summary>
    internal void Store(int layer, int head, int slot, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        int at = HeadOffset(head) + slot * Dims.HeadDim;
        if (!BFloat16Cache)
        {
            key.CopyTo(Keys[layer].Span.Slice(at, key.Length));
            value.CopyTo(Values[layer].Span.Slice(at, value.Length));
            return;
        }
        ushort* k = KeysBFloat16(layer) + at, v = ValuesBFloat16(layer) + at;
        for (int i = 0; i < key.Length; i++)
        {
            k[i] = RowWeights.RoundToBFloat16(key[i]);
            v[i] = RowWeights.RoundToBFloat16(value[i]);
        }
    }

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
        if (source.Dims != Dims || source.Length > Capacity || source.BFloat16Cache != BFloat16Cache)
            throw new ArgumentException("streams differ in model or cache precision, or the copy does not fit", nameof(source));
        int n = source.Length * Dims.HeadDim;
        int size = BFloat16Cache ? sizeof(ushort) : sizeof(float);
        for (int l = 0; l < Dims.Layers; l++)
            for (int h = 0; h < Dims.Heads; h++)
            {
                Buffer.MemoryCopy((byte*)source.Keys[l].Pointer + (long)source.HeadOffset(h) * size, (byte*)Keys[l].Pointer + (long)HeadOffset(h) * size, (long)n * size, (long)n * size);
                Buffer.MemoryCopy((byte*)source.Values[l].Pointer + (long)source.HeadOffset(h) * size, (byte*)Values[l].Pointer + (long)HeadOffset(h) * size, (long)n * size, (long)n * size);
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

    /// <summary>Where head <paramref name="head"/>'s keys (and values) start in a layer's cache, in values (float32 or bfloat16).</summary>
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

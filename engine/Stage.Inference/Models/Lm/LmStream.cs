using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Stage.Inference.Kernels;

namespace Stage.Inference.Models.Lm;

/// <summary>
/// One causal sequence through the LM: its self-attention key/value cache (per layer head-major,
/// <c>[heads, capacity, 64]</c>, so that one head's attention reads one contiguous run rather than 256 bytes from
/// every 4 KiB page: that cost a decode step more than the reading itself) and, when it attends to text, the cross-attention keys/values of the
/// projected T5 states (computed once by <see cref="MusicGenLm.AttachText"/>). STAGE's conditional and
/// unconditional rows are two such streams. Allocated once; <see cref="Reset"/> reuses it.
/// <para>
/// The keys and values are kept in the stream's <see cref="CachePrecision"/>: a decode step reads the whole cache, so an LM
/// stored as bf16 or int8 keeps it in bf16 or int8; float32 keeps float32 keys, so its results stay exact.
/// </para>
/// </summary>
public sealed unsafe class LmStream
{
    // float32, or two bfloat16 or four int8 values in each float's place
    internal readonly PinnedFloats[] Keys, Values;
    // int8 only: one scale per head and step, [heads, capacity]
    internal readonly PinnedFloats[]? KeyScales, ValueScales;
    internal PinnedFloats[]? TextKeys, TextValues;
    // With TextFolded: per layer, the text's keys and values with each head's query and output projections folded in,
    // [heads, text, Dim] of bfloat16 (two in each float's place); see MusicGenLm.AttachText
    internal PinnedFloats[]? FoldedKeys, FoldedValues;
    internal int Pending; // rows of the current forward call already assigned a slot

    public LmStream(LmDimensions dims, int capacity, CachePrecision precision = CachePrecision.Float32)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a stream holds at least one step");
        Dims = dims;
        Capacity = capacity;
        Precision = precision;
        long values = (long)capacity * dims.AttentionDim;
        int perFloat = ValuesPerFloat(precision);
        long floats = (values + perFloat - 1) / perFloat;
        Keys = new PinnedFloats[dims.Layers];
        Values = new PinnedFloats[dims.Layers];
        for (int l = 0; l < dims.Layers; l++)
        {
            Keys[l] = new PinnedFloats(floats);
            Values[l] = new PinnedFloats(floats);
        }
        if (precision != CachePrecision.Int8) return;
        KeyScales = new PinnedFloats[dims.Layers];
        ValueScales = new PinnedFloats[dims.Layers];
        for (int l = 0; l < dims.Layers; l++)
        {
            KeyScales[l] = new PinnedFloats((long)dims.Heads * capacity);
            ValueScales[l] = new PinnedFloats((long)dims.Heads * capacity);
        }
    }

    static int ValuesPerFloat(CachePrecision precision) => precision switch
    {
        CachePrecision.Float32 => 1,
        CachePrecision.BFloat16 => 2,
        CachePrecision.Int8 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "no such cache precision"),
    };

    public LmDimensions Dims { get; }

    /// <summary>How keys and values are kept (see <see cref="CachePrecision"/>).</summary>
    public CachePrecision Precision { get; }

    /// <summary>A layer's keys as bfloat16 (only with <see cref="CachePrecision.BFloat16"/>).</summary>
    internal ushort* KeysBFloat16(int layer) => (ushort*)Keys[layer].Pointer;

    /// <summary>A layer's values as bfloat16 (only with <see cref="CachePrecision.BFloat16"/>).</summary>
    internal ushort* ValuesBFloat16(int layer) => (ushort*)Values[layer].Pointer;

    /// <summary>A layer's keys as int8 (only with <see cref="CachePrecision.Int8"/>; their scales are <see cref="KeyScales"/>).</summary>
    internal sbyte* KeysInt8(int layer) => (sbyte*)Keys[layer].Pointer;

    /// <summary>A layer's values as int8 (only with <see cref="CachePrecision.Int8"/>; their scales are <see cref="ValueScales"/>).</summary>
    internal sbyte* ValuesInt8(int layer) => (sbyte*)Values[layer].Pointer;

    /// <summary>Stores one step of one head in the stream's precision.</summary>
    internal void Store(int layer, int head, int slot, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        int at = HeadOffset(head) + slot * Dims.HeadDim;
        switch (Precision)
        {
            case CachePrecision.Float32:
                key.CopyTo(Keys[layer].Span.Slice(at, key.Length));
                value.CopyTo(Values[layer].Span.Slice(at, value.Length));
                return;
            case CachePrecision.BFloat16:
                fixed (float* k = key, v = value)
                {
                    RowWeights.RoundToBFloat16(k, KeysBFloat16(layer) + at, key.Length);
                    RowWeights.RoundToBFloat16(v, ValuesBFloat16(layer) + at, value.Length);
                }
                return;
            default:
                int scale = ScaleOffset(head) + slot;
                KeyScales![layer].Pointer[scale] = Quantize(key, KeysInt8(layer) + at);
                ValueScales![layer].Pointer[scale] = Quantize(value, ValuesInt8(layer) + at);
                return;
        }
    }

    /// <summary>
    /// Rounds <paramref name="x"/> to int8 so its largest magnitude is 127 and returns the scale that brings it back. A row of
    /// zeros has scale 0; a row with a NaN or an infinity gets a NaN scale, so it poisons the attention as float32 would.
    /// </summary>
    internal static float Quantize(ReadOnlySpan<float> x, sbyte* q)
    {
        float max = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(x));
        if (!float.IsFinite(max))
        {
            new Span<sbyte>(q, x.Length).Clear();
            return float.NaN;
        }
        if (max == 0)
        {
            new Span<sbyte>(q, x.Length).Clear();
            return 0;
        }
        float inverse = 127f / max;
        int i = 0;
        if (Avx2.IsSupported)
            fixed (float* p = x)
            {
                var by = Vector256.Create(inverse);
                for (; i + 8 <= x.Length; i += 8)
                {
                    var rounded = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(p + i), by)); // to nearest even, as MathF.Round
                    var words = Sse2.PackSignedSaturate(rounded.GetLower(), rounded.GetUpper());
                    Sse2.StoreScalar((long*)(q + i), Sse2.PackSignedSaturate(words, words).AsInt64());
                }
            }
        for (; i < x.Length; i++) q[i] = (sbyte)(int)MathF.Round(x[i] * inverse);
        return max / 127f;
    }

    /// <summary>Steps the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Steps appended so far.</summary>
    public int Length { get; internal set; }

    /// <summary>Text tokens attended by cross-attention; 0 means no text (the null condition: cross-attention adds exactly 0).</summary>
    public int TextLength { get; internal set; }

    /// <summary>Whether the text's keys and values are also kept folded (<see cref="FoldedKeys"/>); describes what the text holds.</summary>
    public bool TextFolded { get; internal set; }

    internal ushort* FoldedKeysOf(int layer) => (ushort*)FoldedKeys![layer].Pointer;
    internal ushort* FoldedValuesOf(int layer) => (ushort*)FoldedValues![layer].Pointer;

    /// <summary>Text tokens per head in the folded layout: the text's length when it was folded.</summary>
    internal int FoldedStride;

    /// <summary>Room for <paramref name="length"/> folded text tokens.</summary>
    internal void EnsureFoldedText(int length) => EnsureFoldedFloats(((long)Dims.Heads * length * Dims.Dim + 1) / 2);

    void EnsureFoldedFloats(long floats)
    {
        if (FoldedKeys is not null && FoldedKeys[0].Length >= floats) return;
        FoldedKeys = new PinnedFloats[Dims.Layers];
        FoldedValues = new PinnedFloats[Dims.Layers];
        for (int l = 0; l < Dims.Layers; l++)
        {
            FoldedKeys[l] = new PinnedFloats(floats);
            FoldedValues[l] = new PinnedFloats(floats);
        }
    }

    /// <summary>
    /// Takes back the first <paramref name="steps"/> steps and <paramref name="textLength"/> text tokens this stream held
    /// before a <see cref="Reset"/>: for a caller that knows nothing has written over them since.
    /// </summary>
    internal void Rewind(int steps, int textLength)
    {
        if (steps > Capacity || textLength > 0 && (TextKeys is null || TextKeys[0].Length < textLength * Dims.AttentionDim))
            throw new ArgumentOutOfRangeException(nameof(steps), "the stream never held that much");
        Length = steps;
        TextLength = textLength;
        TextFolded &= textLength == FoldedStride;
        Pending = 0;
    }

    /// <summary>Forgets every step and the text, keeping the memory.</summary>
    public void Reset()
    {
        Length = 0;
        TextLength = 0;
        Pending = 0;
    }

    /// <summary>Makes this stream a copy of <paramref name="source"/> (its steps and text), e.g. to share one prefilled prefix.</summary>
    public void CopyFrom(LmStream source) => CopyFrom(source, source.Length, source.TextLength);

    /// <summary>Makes this stream a copy of the first <paramref name="steps"/> steps and <paramref name="textLength"/> text tokens of <paramref name="source"/>.</summary>
    public void CopyFrom(LmStream source, int steps, int textLength)
    {
        if (source.Dims != Dims || steps > Capacity || source.Precision != Precision)
            throw new ArgumentException("streams differ in model or cache precision, or the copy does not fit", nameof(source));
        // against what the source can hold, not its lengths: a stream Reset since it held them still has them
        if (steps < 0 || steps > source.Capacity || textLength < 0
            || textLength > 0 && (source.TextKeys is null || source.TextKeys[0].Length < textLength * Dims.AttentionDim))
            throw new ArgumentOutOfRangeException(nameof(steps), "the copy asks for more than the source can hold");
        long n = (long)steps * Dims.HeadDim;
        int size = sizeof(float) / ValuesPerFloat(Precision);
        for (int l = 0; l < Dims.Layers; l++)
            for (int h = 0; h < Dims.Heads; h++)
            {
                Buffer.MemoryCopy((byte*)source.Keys[l].Pointer + (long)source.HeadOffset(h) * size, (byte*)Keys[l].Pointer + (long)HeadOffset(h) * size, n * size, n * size);
                Buffer.MemoryCopy((byte*)source.Values[l].Pointer + (long)source.HeadOffset(h) * size, (byte*)Values[l].Pointer + (long)HeadOffset(h) * size, n * size, n * size);
                if (Precision != CachePrecision.Int8) continue;
                source.KeyScales![l].Span.Slice(source.ScaleOffset(h), steps).CopyTo(KeyScales![l].Span[ScaleOffset(h)..]);
                source.ValueScales![l].Span.Slice(source.ScaleOffset(h), steps).CopyTo(ValueScales![l].Span[ScaleOffset(h)..]);
            }
        Length = steps;
        TextLength = textLength;
        TextFolded = textLength > 0 && source.TextFolded && textLength == source.FoldedStride;
        if (textLength > 0)
        {
            EnsureText(textLength);
            int m = textLength * Dims.AttentionDim;
            for (int l = 0; l < Dims.Layers; l++)
            {
                source.TextKeys![l].Span[..m].CopyTo(TextKeys![l].Span);
                source.TextValues![l].Span[..m].CopyTo(TextValues![l].Span);
            }
        }
        if (TextFolded)
        {
            EnsureFoldedFloats(source.FoldedKeys![0].Length);
            for (int l = 0; l < Dims.Layers; l++)
            {
                source.FoldedKeys![l].Span.CopyTo(FoldedKeys![l].Span);
                source.FoldedValues![l].Span.CopyTo(FoldedValues![l].Span);
            }
            FoldedStride = source.FoldedStride;
        }
    }

    /// <summary>Where head <paramref name="head"/>'s keys (and values) start in a layer's cache, in values (float32 or bfloat16).</summary>
    internal int HeadOffset(int head) => head * Capacity * Dims.HeadDim;

    /// <summary>Where head <paramref name="head"/>'s scales start in a layer's <see cref="KeyScales"/> (and <see cref="ValueScales"/>).</summary>
    internal int ScaleOffset(int head) => head * Capacity;

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

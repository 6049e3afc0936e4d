namespace Stage.Inference.Models.EnCodec;

/// <summary>
/// EnCodec tokens: one row per codebook (residual VQ stage), one column per 50 Hz frame,
/// stored row-major [codebooks, frames] like the reference's codes[0].
/// </summary>
public sealed class CodeMatrix
{
    readonly int[] _codes;

    public CodeMatrix(int codebooks, int frames) : this(codebooks, frames, new int[codebooks * frames]) { }

    /// <summary>Wraps row-major [codebooks, frames] codes (no copy).</summary>
    public CodeMatrix(int codebooks, int frames, int[] codes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(codebooks, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(frames);
        if (codes.Length != codebooks * frames)
            throw new ArgumentException($"{codes.Length} codes do not form [{codebooks}, {frames}]");
        Codebooks = codebooks;
        Frames = frames;
        _codes = codes;
    }

    public int Codebooks { get; }
    public int Frames { get; }

    public int this[int codebook, int frame]
    {
        get => _codes[Index(codebook, frame)];
        set => _codes[Index(codebook, frame)] = value;
    }

    /// <summary>The codes of one codebook over all frames.</summary>
    public Span<int> Codebook(int codebook) => _codes.AsSpan(codebook * Frames, Frames);

    /// <summary>Row-major [codebooks, frames] view of all codes.</summary>
    public ReadOnlySpan<int> AsSpan() => _codes;

    /// <summary>A copy of frames [start, start + count) of every codebook.</summary>
    public CodeMatrix Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Frames)
            throw new ArgumentOutOfRangeException(nameof(start), $"frames [{start}, {start + count}) outside [0, {Frames})");
        var m = new CodeMatrix(Codebooks, count);
        for (int q = 0; q < Codebooks; q++) Codebook(q).Slice(start, count).CopyTo(m.Codebook(q));
        return m;
    }

    int Index(int codebook, int frame)
    {
        if ((uint)codebook >= (uint)Codebooks || (uint)frame >= (uint)Frames)
            throw new IndexOutOfRangeException($"code [{codebook}, {frame}] outside [{Codebooks}, {Frames}]");
        return codebook * Frames + frame;
    }
}

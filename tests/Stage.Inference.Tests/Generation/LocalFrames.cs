using Stage.Inference.Models.EnCodec;

namespace Stage.Inference.Tests.Generation;

/// <summary>
/// A frame decoder whose audio for a frame depends on that frame's codes alone and settles <paramref name="lookahead"/>
/// frames late: it checks the piece arithmetic apart from EnCodec. <paramref name="onDecode"/> runs before each decode.
/// </summary>
sealed class LocalFrames(int totalFrames, int lookahead = 0, Action? onDecode = null) : IFrameDecoder
{
    readonly List<int[]> _codes = [];

    public int Codebooks => 4;
    public int HopLength => 640;
    public int TotalFrames => totalFrames;
    public int Frames => _codes.Count;
    public int DecodedFrames { get; private set; }
    public int SettledFrames => Frames == TotalFrames ? TotalFrames : Math.Max(0, Frames - lookahead);

    /// <summary>Thread the last decode ran on.</summary>
    public int DecodedOn { get; private set; } = -1;

    public static float Sample(ReadOnlySpan<int> codes, int i) => codes[0] * 1000 + codes[3] + i * 1e-3f;

    public void Add(ReadOnlySpan<int> frameCodes)
    {
        if (frameCodes.Length != Codebooks) throw new ArgumentException($"a frame has {Codebooks} codes, got {frameCodes.Length}");
        if (Frames == TotalFrames) throw new InvalidOperationException("all frames were already added");
        _codes.Add(frameCodes.ToArray());
    }

    public void Decode(int end, Span<float> audio)
    {
        if (end > SettledFrames) throw new ArgumentOutOfRangeException(nameof(end), $"frame {end} is not settled ({SettledFrames})");
        onDecode?.Invoke();
        DecodedOn = Environment.CurrentManagedThreadId;
        for (int t = DecodedFrames; t < end; t++)
            for (int i = 0; i < HopLength; i++) audio[(t - DecodedFrames) * HopLength + i] = Sample(_codes[t], i);
        DecodedFrames = end;
    }
}

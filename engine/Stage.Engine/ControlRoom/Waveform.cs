namespace Stage.Engine.ControlRoom;

/// <summary>
/// A stem or context drawn small: the lowest and highest sample in each of <see cref="Columns"/> equal
/// slices of its length, filled as audio arrives (so a streaming stem grows on the page chunk by chunk).
/// Not thread-safe: the card that owns it locks.
/// </summary>
sealed class Waveform
{
    public const int Columns = 800;

    readonly float[] low = new float[Columns], high = new float[Columns];
    readonly long totalFrames;

    public Waveform(long totalFrames) => this.totalFrames = Math.Max(1, totalFrames);

    /// <summary>How many frames have been drawn (the furthest end of any chunk).</summary>
    public long FramesDrawn { get; private set; }

    /// <summary>Draws interleaved <paramref name="samples"/> starting at frame <paramref name="offset"/>.</summary>
    public void Add(ReadOnlySpan<float> samples, int channels, long offset)
    {
        if (channels < 1) return;
        long frames = samples.Length / channels;
        for (long f = 0; f < frames; f++)
        {
            long at = offset + f;
            if (at < 0 || at >= totalFrames) continue;
            int column = (int)(at * Columns / totalFrames);
            var frame = samples.Slice((int)(f * channels), channels);
            foreach (float v in frame)
            {
                if (!float.IsFinite(v)) continue;
                if (v < low[column]) low[column] = v;
                if (v > high[column]) high[column] = v;
            }
        }
        FramesDrawn = Math.Max(FramesDrawn, Math.Min(totalFrames, offset + frames));
    }

    /// <summary>The columns as bytes (low, high per column, each −127..127 for −1..1), base64: compact for the page.</summary>
    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Columns * 2];
        for (int c = 0; c < Columns; c++)
        {
            bytes[2 * c] = (byte)(sbyte)Math.Clamp(MathF.Round(low[c] * 127), -127, 127);
            bytes[2 * c + 1] = (byte)(sbyte)Math.Clamp(MathF.Round(high[c] * 127), -127, 127);
        }
        return Convert.ToBase64String(bytes);
    }
}

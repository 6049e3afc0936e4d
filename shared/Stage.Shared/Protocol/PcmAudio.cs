namespace Stage.Shared.Protocol;

/// <summary>
/// Interleaved float32 PCM. On the wire: a map {"sampleRate": int, "channels": int, "samples": bin of
/// little-endian float32}. Decoded samples are a view into the received frame, not a copy.
/// </summary>
public readonly record struct PcmAudio(ReadOnlyMemory<float> Samples, int SampleRate, int Channels)
{
    /// <summary>Sample frames (one sample per channel).</summary>
    public long FrameCount => Channels > 0 ? Samples.Length / Channels : 0;

    public double DurationSeconds => SampleRate > 0 ? (double)FrameCount / SampleRate : 0;

    /// <summary>Why this audio cannot be used, or null when it can.</summary>
    public string? Problem()
    {
        if (Channels is < 1 or > 8) return $"channel count {Channels} is outside 1..8";
        if (SampleRate is < 8_000 or > 384_000) return $"sample rate {SampleRate} Hz is outside 8000..384000";
        if (Samples.Length % Channels != 0)
            return $"{Samples.Length} samples do not divide into {Channels} interleaved channels";
        return null;
    }

    internal void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(3);
        writer.WriteUtf8("sampleRate"u8);
        writer.Write(SampleRate);
        writer.WriteUtf8("channels"u8);
        writer.Write(Channels);
        writer.WriteUtf8("samples"u8);
        writer.Write(Samples.Span);
    }
}

namespace Stage.Shared.Audio;

/// <summary>
/// Audio as planar float32 (one array per channel, full scale ±1) at a sample rate. The arrays are owned by the
/// buffer and exposed for speed: callers may write into them but never resize them.
/// </summary>
public sealed class AudioBuffer
{
    private readonly float[][] _channels;

    /// <summary>A silent buffer.</summary>
    public AudioBuffer(int channelCount, int frameCount, int sampleRate)
    {
        if (channelCount < 1)
            throw new ArgumentOutOfRangeException(nameof(channelCount), channelCount, "Audio needs at least one channel.");
        if (frameCount < 0)
            throw new ArgumentOutOfRangeException(nameof(frameCount), frameCount, "Frame count cannot be negative.");
        CheckRate(sampleRate);
        _channels = new float[channelCount][];
        for (var c = 0; c < channelCount; c++)
            _channels[c] = new float[frameCount];
        SampleRate = sampleRate;
    }

    /// <summary>Wraps existing channel arrays (no copy); they must all have the same length.</summary>
    public AudioBuffer(float[][] channels, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Length < 1)
            throw new ArgumentException("Audio needs at least one channel.", nameof(channels));
        CheckRate(sampleRate);
        for (var c = 0; c < channels.Length; c++)
        {
            if (channels[c] is null)
                throw new ArgumentException($"Channel {c} is null.", nameof(channels));
            if (channels[c].Length != channels[0].Length)
                throw new ArgumentException($"Channel {c} has {channels[c].Length} frames but channel 0 has {channels[0].Length}.", nameof(channels));
        }
        _channels = channels;
        SampleRate = sampleRate;
    }

    public int SampleRate { get; }

    public int ChannelCount => _channels.Length;

    public int FrameCount => _channels[0].Length;

    public double DurationSeconds => (double)FrameCount / SampleRate;

    /// <summary>The samples of one channel.</summary>
    public float[] Channel(int channel) => _channels[channel];

    /// <summary>All channel arrays (planar view, not a copy).</summary>
    public float[][] Channels => _channels;

    public static AudioBuffer FromInterleaved(ReadOnlySpan<float> interleaved, int channelCount, int sampleRate)
    {
        if (channelCount < 1)
            throw new ArgumentOutOfRangeException(nameof(channelCount), channelCount, "Audio needs at least one channel.");
        if (interleaved.Length % channelCount != 0)
            throw new ArgumentException($"{interleaved.Length} samples are not a whole number of {channelCount}-channel frames.", nameof(interleaved));
        var buffer = new AudioBuffer(channelCount, interleaved.Length / channelCount, sampleRate);
        Interleaving.Deinterleave(interleaved, buffer._channels, 0);
        return buffer;
    }

    public float[] ToInterleaved()
    {
        var result = new float[checked(FrameCount * ChannelCount)];
        Interleaving.Interleave(_channels, 0, FrameCount, result);
        return result;
    }

    private static void CheckRate(int sampleRate)
    {
        if (sampleRate < 1)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "Sample rate must be positive.");
    }
}

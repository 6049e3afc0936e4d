namespace Stage.Shared.Audio;

/// <summary>How samples are stored in a WAV file's data chunk.</summary>
public enum WavSampleFormat
{
    Pcm16,
    Pcm24,
    Pcm32,
    Float32,
    Float64,
}

public static class WavSampleFormats
{
    public static int BytesPerSample(this WavSampleFormat format) => format switch
    {
        WavSampleFormat.Pcm16 => 2,
        WavSampleFormat.Pcm24 => 3,
        WavSampleFormat.Pcm32 => 4,
        WavSampleFormat.Float32 => 4,
        WavSampleFormat.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown WAV sample format."),
    };

    public static bool IsFloat(this WavSampleFormat format) => format is WavSampleFormat.Float32 or WavSampleFormat.Float64;
}

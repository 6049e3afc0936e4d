namespace Stage.Shared.Audio;

/// <summary>What a WAV file's header says: rate, channels, sample encoding and the number of frames in its data.</summary>
public readonly record struct WavFormat(int SampleRate, int ChannelCount, WavSampleFormat SampleFormat, long FrameCount)
{
    public double DurationSeconds => (double)FrameCount / SampleRate;
}

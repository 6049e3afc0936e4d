using Stage.Shared.Protocol;

namespace Stage.Shared.Tests;

/// <summary>Messages with every field set to something recognisable.</summary>
static class MessageSamples
{
    public static float[] Sine(int frames, int channels)
    {
        var samples = new float[frames * channels];
        for (int i = 0; i < frames; i++)
            for (int c = 0; c < channels; c++) samples[i * channels + c] = MathF.Sin(0.01f * i + c) / 2;
        return samples;
    }

    public static GenerateRequest Generate(long requestId, int frames) => new()
    {
        RequestId = requestId,
        Instrument = Instrument.Drums,
        Context = new PcmAudio(Sine(frames, 2), 48_000, 2),
        TempoBpm = 97.25,
        TimeSignature = new TimeSignature(6, 8),
        Length = StemLength.Bars(8),
        ContextMode = ContextMode.Mixture,
        ClickOffsetSeconds = 0.125,
        Prompt = "dusty breakbeat, ghost notes — ドラム",
        Temperature = 0.85,
        TopK = 125,
        Guidance = 4.5,
        Seed = -123456789012345,
        Variations = 3,
        OutputSampleRate = 44_100,
        OutputChannels = 1,
        WriteWav = true,
        WavDirectory = "/tmp/stems dir/ü",
    };
}

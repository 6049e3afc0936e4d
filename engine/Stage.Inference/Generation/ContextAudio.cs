namespace Stage.Inference.Generation;

/// <summary>Brings the session's audio to what STAGE reads: mono (mean over channels, as STAGE's load_audio) at 32 kHz.</summary>
public static class ContextAudio
{
    /// <summary>Mean over the channels of interleaved PCM.</summary>
    public static float[] MixToMono(ReadOnlySpan<float> interleaved, int channels)
    {
        if (channels < 1) throw new StemInputException($"context audio has {channels} channels");
        if (interleaved.Length % channels != 0)
            throw new StemInputException($"context audio holds {interleaved.Length} samples, not a whole number of {channels}-channel frames");
        int frames = interleaved.Length / channels;
        var mono = new float[frames];
        if (channels == 1)
        {
            interleaved.CopyTo(mono);
            return mono;
        }
        for (int i = 0; i < frames; i++)
        {
            var frame = interleaved.Slice(i * channels, channels);
            float sum = 0;
            for (int c = 0; c < channels; c++) sum += frame[c];
            mono[i] = sum / channels;
        }
        return mono;
    }
}

using System.Numerics.Tensors;

namespace Stage.Shared.Audio;

/// <summary>Channel-count changes: mono mixdown (the mean of the channels, as EnCodec's input conversion does) and
/// mono-to-stereo duplication.</summary>
public static class ChannelMix
{
    /// <summary>The mean of all channels, as a new mono buffer (a copy even when the input is mono).</summary>
    public static AudioBuffer ToMono(AudioBuffer input)
    {
        var mono = new AudioBuffer(1, input.FrameCount, input.SampleRate);
        MixToMono(input.Channels, mono.Channel(0));
        return mono;
    }

    /// <summary>Writes the mean of <paramref name="channels"/> into <paramref name="mono"/>.</summary>
    public static void MixToMono(IReadOnlyList<float[]> channels, Span<float> mono)
    {
        var frames = mono.Length;
        channels[0].AsSpan(0, frames).CopyTo(mono);
        if (channels.Count == 1)
            return;
        for (var c = 1; c < channels.Count; c++)
            TensorPrimitives.Add(mono, channels[c].AsSpan(0, frames), mono);
        TensorPrimitives.Multiply(mono, 1f / channels.Count, mono);
    }

    /// <summary>Writes the mean of each interleaved frame into <paramref name="mono"/>.</summary>
    public static void MixToMono(ReadOnlySpan<float> interleaved, int channelCount, Span<float> mono)
    {
        if (channelCount < 1)
            throw new ArgumentOutOfRangeException(nameof(channelCount), channelCount, "Audio needs at least one channel.");
        var frames = interleaved.Length / channelCount;
        if (mono.Length < frames)
            throw new ArgumentException("Destination is too small.", nameof(mono));
        var scale = 1f / channelCount;
        for (int f = 0, i = 0; f < frames; f++)
        {
            var sum = 0f;
            for (var c = 0; c < channelCount; c++, i++)
                sum += interleaved[i];
            mono[f] = sum * scale;
        }
    }

    /// <summary>Stereo from mono (both sides equal, no level change) or a copy of stereo; more channels are
    /// refused because there is no single right stereo fold-down.</summary>
    public static AudioBuffer ToStereo(AudioBuffer input)
    {
        if (input.ChannelCount > 2)
            throw new ArgumentException($"Cannot make stereo from {input.ChannelCount} channels; mix to mono first.", nameof(input));
        var stereo = new AudioBuffer(2, input.FrameCount, input.SampleRate);
        input.Channel(0).CopyTo(stereo.Channel(0), 0);
        input.Channel(input.ChannelCount - 1).CopyTo(stereo.Channel(1), 0);
        return stereo;
    }

    /// <summary>Duplicates mono samples into interleaved stereo frames.</summary>
    public static void DuplicateMonoToStereo(ReadOnlySpan<float> mono, Span<float> interleavedStereo)
    {
        if (interleavedStereo.Length < mono.Length * 2)
            throw new ArgumentException("Destination is too small.", nameof(interleavedStereo));
        for (int f = 0, i = 0; f < mono.Length; f++, i += 2)
        {
            interleavedStereo[i] = mono[f];
            interleavedStereo[i + 1] = mono[f];
        }
    }
}

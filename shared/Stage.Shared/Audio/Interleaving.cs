namespace Stage.Shared.Audio;

/// <summary>Conversions between interleaved frames (L R L R …) and planar channel arrays.</summary>
public static class Interleaving
{
    /// <summary>Splits <paramref name="interleaved"/> into <paramref name="planar"/>, starting at frame
    /// <paramref name="planarOffset"/> of every channel.</summary>
    public static void Deinterleave(ReadOnlySpan<float> interleaved, IReadOnlyList<float[]> planar, int planarOffset)
    {
        var channels = planar.Count;
        var frames = interleaved.Length / channels;
        if (channels == 1)
        {
            interleaved[..frames].CopyTo(planar[0].AsSpan(planarOffset, frames));
            return;
        }
        for (var c = 0; c < channels; c++)
        {
            var destination = planar[c].AsSpan(planarOffset, frames);
            for (int f = 0, i = c; f < destination.Length; f++, i += channels)
                destination[f] = interleaved[i];
        }
    }

    /// <summary>Writes <paramref name="frames"/> frames of <paramref name="planar"/> from <paramref name="planarOffset"/>
    /// into <paramref name="interleaved"/>.</summary>
    public static void Interleave(IReadOnlyList<float[]> planar, int planarOffset, int frames, Span<float> interleaved)
    {
        var channels = planar.Count;
        if (interleaved.Length < frames * channels)
            throw new ArgumentException("Destination is too small.", nameof(interleaved));
        if (channels == 1)
        {
            planar[0].AsSpan(planarOffset, frames).CopyTo(interleaved);
            return;
        }
        for (var c = 0; c < channels; c++)
        {
            var source = planar[c].AsSpan(planarOffset, frames);
            for (int f = 0, i = c; f < source.Length; f++, i += channels)
                interleaved[i] = source[f];
        }
    }

    /// <summary>Writes the stereo pair <paramref name="left"/>/<paramref name="right"/> into <paramref name="interleaved"/> (L R L R …).</summary>
    public static void Interleave(ReadOnlySpan<float> left, ReadOnlySpan<float> right, Span<float> interleaved)
    {
        if (right.Length != left.Length || interleaved.Length < left.Length * 2)
            throw new ArgumentException("Stereo interleaving needs two equal channels and twice their length.", nameof(interleaved));
        for (int f = 0; f < left.Length; f++)
        {
            interleaved[2 * f] = left[f];
            interleaved[2 * f + 1] = right[f];
        }
    }
}

namespace Stage.Inference.Kernels;

/// <summary>Padding of time-major signals [length, channels] along time.</summary>
public static class TimePadding
{
    /// <summary>
    /// Writes x [length, channels] padded by <paramref name="left"/>/<paramref name="right"/> frames into
    /// y [left + length + right, channels]. Reflect follows audiocraft's pad1d exactly: when the
    /// signal is too short to mirror (length ≤ max(left, right)) it is first extended with zeros
    /// on the right, mirrored, and the extension removed again from the end. With <paramref name="elu"/> the
    /// result is ELU(1) of the padded signal (SEANet's activation before a convolution), in the same pass.
    /// </summary>
    public static void Pad(ReadOnlySpan<float> x, int length, int channels, int left, int right, PaddingMode mode, Span<float> y, bool elu = false)
    {
        if (left < 0 || right < 0) throw new ArgumentException("padding must be non-negative");
        if (x.Length < length * channels) throw new ArgumentException("x is shorter than length × channels");
        int total = left + length + right;
        if (y.Length < total * channels) throw new ArgumentException("y is shorter than the padded signal");
        if (mode == PaddingMode.Reflect && length == 0 && (left > 0 || right > 0))
            throw new ArgumentException("cannot reflect-pad an empty signal");

        var middle = y.Slice(left * channels, length * channels);
        if (elu) Activations.Elu(x[..(length * channels)], middle);
        else x[..(length * channels)].CopyTo(middle);
        if (mode == PaddingMode.Zero)
        {
            // ELU(0) is 0: zero frames need nothing more
            y[..(left * channels)].Clear();
            y.Slice((left + length) * channels, right * channels).Clear();
            return;
        }

        // Mirrored frames are copies of the middle's, taken after its activation.
        int maxPad = Math.Max(left, right);
        int extra = length <= maxPad ? maxPad - length + 1 : 0;
        int extended = length + extra;   // the zero-extended source that is mirrored
        for (int i = 0; i < total; i++)
        {
            if (i == left) i += length;   // the middle is written
            if (i >= total) break;
            int j = i - left;
            if (j < 0) j = -j;
            else if (j >= extended) j = 2 * (extended - 1) - j;
            var dst = y.Slice(i * channels, channels);
            if (j >= length) dst.Clear();
            else middle.Slice(j * channels, channels).CopyTo(dst);
        }
    }
}

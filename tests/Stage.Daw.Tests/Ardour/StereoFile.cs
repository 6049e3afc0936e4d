namespace Stage.Daw.Tests.Ardour;

// The helpers' file format: float32 little-endian, stereo interleaved, at the session rate.
public static class StereoFile
{
    public static void Write(string path, float[] interleaved)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("StereoFile assumes a little-endian machine");
        File.WriteAllBytes(path, System.Runtime.InteropServices.MemoryMarshal.AsBytes(interleaved.AsSpan()).ToArray());
    }

    public static float[] Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length % 8 != 0) throw new InvalidDataException($"{path}: {bytes.Length} bytes is not a whole number of stereo float frames");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    // A deterministic test input with different content in each channel and nothing periodic at the
    // block size, so a shifted, swapped or repeated block cannot compare equal.
    public static float[] TestSignal(int frames, int seed)
    {
        var random = new Random(seed);
        var samples = new float[2 * frames];
        for (int i = 0; i < frames; i++)
        {
            double t = i / 48000.0;
            samples[2 * i] = (float)(0.4 * Math.Sin(2 * Math.PI * 220 * t) + 0.1 * (random.NextDouble() - 0.5));
            samples[2 * i + 1] = (float)(0.3 * Math.Sin(2 * Math.PI * 331 * t) + 0.1 * (random.NextDouble() - 0.5));
        }
        return samples;
    }

    public static long FirstNonSilent(float[] interleaved)
    {
        for (long i = 0; i < interleaved.Length; i++)
            if (interleaved[i] != 0) return i / 2;
        return -1;
    }

    // The first frame where two recordings differ over [startFrame, endFrame), or -1 when equal.
    // Frames missing from the shorter file count as silence.
    public static long FirstDifference(float[] expected, float[] actual, long startFrame, long endFrame, float tolerance = 0)
    {
        for (long frame = startFrame; frame < endFrame; frame++)
            for (int ch = 0; ch < 2; ch++)
            {
                long i = 2 * frame + ch;
                float e = i < expected.Length ? expected[i] : 0;
                float a = i < actual.Length ? actual[i] : 0;
                if (!(Math.Abs(e - a) <= tolerance)) return frame;
            }
        return -1;
    }
}

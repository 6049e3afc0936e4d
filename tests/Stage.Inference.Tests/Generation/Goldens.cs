using Stage.Inference.Checkpoints;
using Stage.Inference.Models.Lm;

namespace Stage.Inference.Tests.Generation;

/// <summary>Readers for the stage-tiny goldens the LM and generation tests share.</summary>
static class Goldens
{
    static readonly Lazy<SafetensorsFile> s_file = new(() => SafetensorsFile.Open(Fixture.Golden));
    static readonly Lazy<MusicGenLm> s_lm = new(() =>
    {
        using var weights = SafetensorsFile.Open(Fixture.Model);
        return MusicGenLm.Load(weights);
    });

    public static SafetensorsFile File => s_file.Value;
    public static MusicGenLm Lm => s_lm.Value;

    public static int[] Shape(string name) => File.Entry(name).Shape;

    public static float[] Floats(string name) => File.ReadFloat32(name);

    public static long[] Longs(string name) => File.ReadInt64(name);

    /// <summary>A [1, 4, T] (or [4, T]) code tensor as [4][T].</summary>
    public static int[][] Codes(string name)
    {
        var shape = Shape(name);
        int frames = shape[^1];
        var flat = Longs(name);
        var codes = new int[4][];
        for (int q = 0; q < 4; q++)
        {
            codes[q] = new int[frames];
            for (int t = 0; t < frames; t++) codes[q][t] = checked((int)flat[q * frames + t]);
        }
        return codes;
    }

    /// <summary>Row <paramref name="row"/> of a [rows, L, D] float tensor, its first <paramref name="length"/> positions.</summary>
    public static float[] Rows(string name, int row, int length)
    {
        var shape = Shape(name);
        int l = shape[1], d = shape[2];
        return Floats(name).AsSpan(row * l * d, length * d).ToArray();
    }

    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        return max;
    }
}

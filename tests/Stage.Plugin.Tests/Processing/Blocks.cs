using Stage.Plugin.Processing;

namespace Stage.Plugin.Tests.Processing;

/// <summary>Drives a <see cref="StagePlugin"/> like a host: consecutive blocks of random sizes from a start position.</summary>
sealed class Blocks
{
    public static IEnumerable<(long Start, int Length)> Random(long start, long end, int seed, int maxBlock = 1024)
    {
        var random = new Random(seed);
        for (long at = start; at < end;)
        {
            int n = (int)Math.Min(end - at, random.Next(1, maxBlock + 1));
            yield return (at, n);
            at += n;
        }
    }

    /// <summary>A transport whose position comes from a host sample position, as Ardour computes PPQ.</summary>
    public static Transport At(long projectSample, double sampleRate = 48000, double tempo = 120, int numerator = 4, int denominator = 4, bool playing = true) =>
        Transport.FromHost(playing, sampleRate, projectSample, ppqValid: true, ppq: projectSample / sampleRate * tempo / 60.0,
                           tempoValid: true, tempo: tempo, meterValid: true, numerator: numerator, denominator: denominator);

    /// <summary>Runs one block; returns (outL, outR).</summary>
    public static (float[] L, float[] R) Run(StagePlugin plugin, float[] inL, float[] inR, in Transport t, float[]? sideL = null, float[]? sideR = null)
    {
        var outL = new float[inL.Length];
        var outR = new float[inR.Length];
        plugin.Process(inL, inR, sideL ?? [], sideR ?? [], outL, outR, t);
        return (outL, outR);
    }

    /// <summary>A test signal that names its own position: left = f(sample), right = −f(sample).</summary>
    public static float Signal(long sample) => (float)((sample % 9973) / 9973.0 - 0.5) * 0.8f;
}

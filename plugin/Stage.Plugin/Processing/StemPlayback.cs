using Stage.Shared.Music;

namespace Stage.Plugin.Processing;

/// <summary>
/// Places a stem on the host timeline. Stem sample 0 sits at the stem's start PPQ on the musical sample
/// axis; with Loop on, the stem repeats every LengthQuarters in both directions (cycle starts rounded
/// on the same axis, so the loop never drifts); with Loop off it plays once. Samples that have not
/// arrived yet are silence.
/// </summary>
public static class StemPlayback
{
    /// <summary>Where the stem's sample 0 is relative to this block's first sample, by the grid's rounding rule (BarGrid remarks).</summary>
    public static long BlockStart(Stem stem, in Transport transport) =>
        transport.Grid.QuarterNotesToSampleCount(transport.Ppq - stem.StartPpq);

    /// <summary>
    /// Mixes the stem from stem-relative sample <paramref name="blockStart"/> on, its level shaped over the
    /// block's first samples by <paramref name="ramp"/> (a fade); past the ramp the gain is exactly
    /// <paramref name="gain"/>, so the result is bit for bit the unfaded one.
    /// </summary>
    public static void MixAt(Stem stem, int variation, long blockStart, in BarGrid grid, bool loop, float gain, Ramp ramp, Span<float> outL, Span<float> outR)
    {
        variation = Math.Clamp(variation, 0, stem.Variations - 1);
        int ready = Math.Min(stem.Length, stem.Available(variation));
        if (ready <= 0 || gain == 0f) return;

        double cycle = grid.QuarterNotesToSamples(stem.LengthQuarters);
        ReadOnlySpan<float> srcL = stem.Left(variation), srcR = stem.Right(variation);

        int n = outL.Length;
        int i = 0;
        while (i < n)
        {
            long position = blockStart + i;
            long local;
            int run;
            if (loop)
            {
                long k = (long)Math.Floor(position / cycle);
                while (CycleStart(k, cycle) > position) k--;
                while (CycleStart(k + 1, cycle) <= position) k++;
                local = position - CycleStart(k, cycle);
                run = (int)Math.Min(n - i, CycleStart(k + 1, cycle) - position);
            }
            else
            {
                local = position;
                run = position < 0 ? (int)Math.Min(n - i, -position) : n - i;
            }

            if (local >= 0 && local < ready)
            {
                int count = (int)Math.Min(run, ready - local);
                ramp.Add(srcL.Slice((int)local, count), gain, i, outL.Slice(i, count));
                ramp.Add(srcR.Slice((int)local, count), gain, i, outR.Slice(i, count));
            }
            i += run;
        }
    }

    static long CycleStart(long k, double cycle) => BarGrid.RoundToSample(k * cycle);
}

/// <summary>
/// A linear level change over a block's first <see cref="Length"/> samples: the level at sample i is
/// <see cref="From"/> + <see cref="Step"/> × i; from sample Length on it is 1.
/// </summary>
public readonly record struct Ramp(float From, float Step, int Length)
{
    public static Ramp None => default;

    /// <summary>A fade from silence over <paramref name="total"/> samples, <paramref name="done"/> of which have played.</summary>
    public static Ramp In(int done, int total) => new((float)done / total, 1f / total, total - done);

    /// <summary>A fade to silence over <paramref name="total"/> samples, <paramref name="done"/> of which have played.</summary>
    public static Ramp Out(int done, int total) => new(1f - (float)done / total, -1f / total, total - done);

    /// <summary>destination += source × gain × level, where destination starts at block sample <paramref name="at"/>.</summary>
    public void Add(ReadOnlySpan<float> source, float gain, int at, Span<float> destination)
    {
        int ramped = Math.Clamp(Length - at, 0, destination.Length);
        for (int j = 0; j < ramped; j++) destination[j] += source[j] * (gain * (From + Step * (at + j)));
        for (int j = ramped; j < destination.Length; j++) destination[j] += source[j] * gain;
    }
}

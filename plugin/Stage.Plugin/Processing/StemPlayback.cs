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
    public static void MixInto(Stem stem, int variation, in Transport transport, bool loop, float gain, Span<float> outL, Span<float> outR)
    {
        if (!transport.IsPlaying || !transport.HasPosition || gain == 0f) return;
        if (stem.SampleRate != transport.SampleRate) return;
        variation = Math.Clamp(variation, 0, stem.Variations - 1);
        int ready = Math.Min(stem.Length, stem.Available(variation));
        if (ready <= 0) return;

        var grid = transport.Grid;
        // Region-relative offset by the grid's rounding rule (BarGrid remarks): the engine trims stems to match.
        long blockStart = grid.QuarterNotesToSampleCount(transport.Ppq - stem.StartPpq);
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
                Add(srcL.Slice((int)local, count), gain, outL.Slice(i, count));
                Add(srcR.Slice((int)local, count), gain, outR.Slice(i, count));
            }
            i += run;
        }
    }

    static long CycleStart(long k, double cycle) => BarGrid.RoundToSample(k * cycle);

    static void Add(ReadOnlySpan<float> source, float gain, Span<float> destination)
    {
        for (int j = 0; j < destination.Length; j++) destination[j] += source[j] * gain;
    }
}

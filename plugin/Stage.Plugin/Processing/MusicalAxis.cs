using Stage.Shared.Music;

namespace Stage.Plugin.Processing;

/// <summary>
/// Bar lines on the musical sample axis of a <see cref="BarGrid"/> (sample n is at PPQ n / samples-per-quarter,
/// made whole by <see cref="BarGrid.QuarterNotesToSampleCount"/>). Capture and playback index with these
/// expressions, so a stem captured from bar k plays back from exactly that sample.
/// </summary>
public static class MusicalAxis
{
    public static long BarStartSample(this in BarGrid grid, long bar) => grid.QuarterNotesToSampleCount(grid.BarStartQuarterNotes(bar));

    /// <summary>The last bar whose start sample is at or before <paramref name="sample"/>.</summary>
    public static long BarAtOrBefore(this in BarGrid grid, long sample)
    {
        long bar = (long)Math.Floor(sample / grid.SamplesPerBar);
        while (grid.BarStartSample(bar) > sample) bar--;
        while (grid.BarStartSample(bar + 1) <= sample) bar++;
        return bar;
    }

    /// <summary>The first bar whose start sample is at or after <paramref name="sample"/>.</summary>
    public static long BarAtOrAfter(this in BarGrid grid, long sample)
    {
        long bar = grid.BarAtOrBefore(sample);
        return grid.BarStartSample(bar) == sample ? bar : bar + 1;
    }
}

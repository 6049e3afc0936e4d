namespace Stage.Inference.Generation;

/// <summary>
/// Where the clicks of a click context fall: one click per beat of the meter (a 1/denominator note; the tempo is
/// in quarter notes per minute as hosts report it), the downbeat <see cref="FirstDownbeatSeconds"/> after the
/// stem's start and every bar after (and before) it.
/// </summary>
public readonly record struct ClickGrid
{
    public ClickGrid(double quarterNotesPerMinute, int beatsPerBar, int beatUnit, double firstDownbeatSeconds)
    {
        if (!double.IsFinite(quarterNotesPerMinute) || quarterNotesPerMinute <= 0)
            throw new StemInputException($"tempo {quarterNotesPerMinute} BPM is not a positive number");
        if (beatsPerBar < 1 || beatUnit < 1)
            throw new StemInputException($"meter {beatsPerBar}/{beatUnit} is not a meter");
        if (!double.IsFinite(firstDownbeatSeconds))
            throw new StemInputException("click offset is not a finite number of seconds");
        QuarterNotesPerMinute = quarterNotesPerMinute;
        BeatsPerBar = beatsPerBar;
        BeatUnit = beatUnit;
        FirstDownbeatSeconds = firstDownbeatSeconds;
    }

    public double QuarterNotesPerMinute { get; }
    public int BeatsPerBar { get; }
    public int BeatUnit { get; }
    public double FirstDownbeatSeconds { get; }

    /// <summary>Clicks per minute: the tempo counted in the meter's beats (eighths in 6/8).</summary>
    public double BeatsPerMinute => QuarterNotesPerMinute * BeatUnit / 4.0;

    public float[] Synthesize(int length) => ClickTrack.Synthesize(BeatsPerMinute, BeatsPerBar, FirstDownbeatSeconds, length);
}

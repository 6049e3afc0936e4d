namespace Stage.Shared.Music;

/// <summary>A position as bar and beat, both counted from zero: <see cref="Bar"/> 0 is the bar that starts at the
/// grid's origin (PPQ 0 unless told otherwise) and is negative during a host's pre-roll; <see cref="Beat"/> is the
/// fractional beat within the bar, in the meter's beats (eighths in 6/8), in [0, numerator).</summary>
public readonly record struct BarBeat(long Bar, double Beat)
{
    /// <summary>Musicians' numbering: "bar 1, beat 1" is (0, 0).</summary>
    public override string ToString() => $"bar {Bar + 1} beat {Beat + 1:0.###}";
}

namespace Stage.Shared.Music;

/// <summary>A run of whole bars on a <see cref="BarGrid"/>: bars <see cref="FirstBar"/> to <see cref="EndBar"/> − 1.</summary>
public readonly record struct BarSpan
{
    public BarSpan(long firstBar, int barCount)
    {
        if (barCount < 1)
            throw new ArgumentOutOfRangeException(nameof(barCount), barCount, "A bar span holds at least one bar.");
        FirstBar = firstBar;
        BarCount = barCount;
    }

    public long FirstBar { get; }

    public int BarCount { get; }

    /// <summary>The bar just after the span (exclusive end).</summary>
    public long EndBar => FirstBar + BarCount;

    public bool Contains(long bar) => bar >= FirstBar && bar < EndBar;
}

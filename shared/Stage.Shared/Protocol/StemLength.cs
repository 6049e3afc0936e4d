namespace Stage.Shared.Protocol;

/// <summary>
/// How long the generated stem is: a number of bars (at the request's tempo and meter) or of seconds.
/// On the wire exactly one of the keys "lengthBars" or "lengthSeconds".
/// </summary>
public readonly record struct StemLength
{
    StemLength(double value, bool inBars) { Value = value; InBars = inBars; }

    public static StemLength Bars(double bars) => new(bars, inBars: true);
    public static StemLength Seconds(double seconds) => new(seconds, inBars: false);

    public double Value { get; }
    public bool InBars { get; }

    public override string ToString() => InBars ? $"{Value} bars" : $"{Value} s";

    public string? Problem() =>
        double.IsFinite(Value) && Value > 0 && Value <= (InBars ? 1024 : 3600)
            ? null
            : $"length {this} is not in (0, {(InBars ? "1024 bars" : "3600 s")}]";
}

namespace Stage.Shared.Music;

/// <summary>A meter such as 4/4, 3/4 or 6/8: <see cref="Numerator"/> beats of a 1/<see cref="Denominator"/> note per bar.</summary>
public readonly record struct TimeSignature
{
    public TimeSignature(int numerator, int denominator)
    {
        if (numerator < 1 || numerator > 256)
            throw new ArgumentOutOfRangeException(nameof(numerator), numerator, "Time signature numerator must be between 1 and 256.");
        if (denominator < 1 || denominator > 256 || (denominator & (denominator - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(denominator), denominator, "Time signature denominator must be a power of two between 1 and 256.");
        Numerator = numerator;
        Denominator = denominator;
    }

    public static TimeSignature FourFour => new(4, 4);

    public int Numerator { get; }

    public int Denominator { get; }

    /// <summary>Length of one beat (a 1/Denominator note) in quarter notes: 1 in 4/4, 0.5 in 6/8.</summary>
    public double QuarterNotesPerBeat => 4.0 / Denominator;

    /// <summary>Length of one bar in quarter notes: 4 in 4/4, 3 in 3/4, 3 in 6/8, 3.5 in 7/8.</summary>
    public double QuarterNotesPerBar => Numerator * 4.0 / Denominator;

    public override string ToString() => $"{Numerator}/{Denominator}";
}

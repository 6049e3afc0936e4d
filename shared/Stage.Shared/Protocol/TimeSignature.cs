namespace Stage.Shared.Protocol;

/// <summary>A meter such as 4/4 or 6/8. On the wire: [numerator, denominator].</summary>
public readonly record struct TimeSignature(int Numerator, int Denominator)
{
    public override string ToString() => $"{Numerator}/{Denominator}";

    public string? Problem()
    {
        if (Numerator is < 1 or > 64) return $"time signature numerator {Numerator} is outside 1..64";
        if (Denominator is < 1 or > 64 || (Denominator & (Denominator - 1)) != 0)
            return $"time signature denominator {Denominator} is not a power of two in 1..64";
        return null;
    }
}

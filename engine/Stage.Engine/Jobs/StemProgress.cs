namespace Stage.Engine.Jobs;

/// <summary>Where a stem job is: the stage's name, the fraction of the whole job done, and the time still to go
/// (null until there is a rate to estimate it from).</summary>
public readonly record struct StemProgress(string Stage, double Fraction, TimeSpan? Eta, int Variation, int Variations)
{
    public const string EncodingContext = "encoding context";
    public const string Generating = "generating";
    public const string Decoding = "decoding";
    public const string Writing = "writing";
}

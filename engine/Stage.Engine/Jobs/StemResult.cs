namespace Stage.Engine.Jobs;

/// <summary>
/// What a finished generation produced: <paramref name="Variations"/> stems of <paramref name="TotalSamples"/>
/// sample frames each, and the WAV files written (one per variation, or none).
/// </summary>
public sealed record StemResult(int Variations, long TotalSamples, IReadOnlyList<string> WavPaths);

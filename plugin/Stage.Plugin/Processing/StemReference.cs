namespace Stage.Plugin.Processing;

/// <summary>
/// Where the last stem lives on disk and where it belongs on the timeline: enough to reload it after the
/// project is reopened. One WAV per variation, at <see cref="SampleRate"/>.
/// </summary>
public sealed record StemReference(IReadOnlyList<string> WavPaths, double StartPpq, double LengthQuarters, double SampleRate);

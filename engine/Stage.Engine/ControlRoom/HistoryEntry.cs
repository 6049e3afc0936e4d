namespace Stage.Engine.ControlRoom;

/// <summary>
/// A stem an instance made earlier: what was asked (the request without its context audio), where its WAVs are,
/// and its drawings, so restoring it shows it again. Its settings, length and place on the timeline are the request's.
/// </summary>
sealed record HistoryEntry(
    long Number, DateTimeOffset Time, IReadOnlyList<string> WavPaths,
    Stage.Shared.Protocol.GenerateRequest Request, Waveform? Context, Waveform[] Drawings);

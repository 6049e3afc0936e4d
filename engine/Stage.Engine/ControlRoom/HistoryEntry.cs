namespace Stage.Engine.ControlRoom;

/// <summary>
/// A stem an instance made earlier: what was asked (the request without its context audio), where its WAVs and
/// its place on the timeline are, and its drawings, so restoring it shows it again.
/// </summary>
sealed record HistoryEntry(
    long Number, DateTimeOffset Time, string Prompt, long? Seed, double Temperature, int TopK, double Guidance,
    int Variations, double Bars, double TempoBpm, IReadOnlyList<string> WavPaths, double? StartPpq, double LengthQuarters, int SampleRate,
    Stage.Shared.Protocol.GenerateRequest Request, Waveform? Context, Waveform[] Drawings);

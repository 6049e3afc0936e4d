namespace Stage.Engine.ControlRoom;

/// <summary>A stem an instance made earlier: what was asked, and where its WAVs and its place on the timeline are.</summary>
sealed record HistoryEntry(
    long Number, DateTimeOffset Time, string Prompt, long? Seed, double Temperature, int TopK, double Guidance,
    int Variations, double Bars, double TempoBpm, IReadOnlyList<string> WavPaths, double? StartPpq, double LengthQuarters, int SampleRate);

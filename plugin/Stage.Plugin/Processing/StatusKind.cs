namespace Stage.Plugin.Processing;

/// <summary>What Stage is doing, shown by the read-only Status parameter.</summary>
public enum StatusKind
{
    Ready = 0,
    EngineStarting = 1,
    Generating = 2,
    StemReady = 3,
    NeedsCapture = 4,
    EngineMissing = 5,
    EngineLost = 6,
    Failed = 7,
}

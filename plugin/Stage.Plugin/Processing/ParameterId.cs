namespace Stage.Plugin.Processing;

/// <summary>
/// Stage's parameters. The numeric value is the VST3 ParamID and also the index in the host's
/// parameter list; never renumber (automation and saved projects refer to these ids).
/// </summary>
public enum ParameterId : uint
{
    Instrument = 0,
    Context = 1,
    Bars = 2,
    Generate = 3,
    Variation = 4,
    Variations = 5,
    Temperature = 6,
    TopK = 7,
    Guidance = 8,
    Seed = 9,
    StemLevel = 10,
    InputLevel = 11,
    Capture = 12,
    Loop = 13,
    Status = 14,
    OpenControlRoom = 15,
}

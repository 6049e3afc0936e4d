namespace Stage.Plugin.Processing;

/// <summary>The table of Stage's parameters, indexed by <see cref="ParameterId"/>.</summary>
public static class StageParameters
{
    public static readonly int[] BarChoices = [1, 2, 4, 8, 16];
    public const int MaxVariations = 8;

    public static readonly ParameterSpec[] All =
    [
        new() { Id = ParameterId.Instrument, Name = "Instrument", ShortName = "Instr", Kind = ParameterKind.List, Labels = ["Drums", "Bass"], DefaultPlain = 0 },
        new() { Id = ParameterId.Context, Name = "Context", ShortName = "Context", Kind = ParameterKind.List, Labels = ["Mixture", "Click", "Both"], DefaultPlain = 0 },
        new() { Id = ParameterId.Bars, Name = "Bars", ShortName = "Bars", Kind = ParameterKind.List, Labels = ["1 bar", "2 bars", "4 bars", "8 bars", "16 bars"], DefaultPlain = 2 },
        new() { Id = ParameterId.Generate, Name = "Generate", ShortName = "Generate", Kind = ParameterKind.List, Labels = ["Idle", "Generate"], DefaultPlain = 0 },
        new() { Id = ParameterId.Variation, Name = "Variation", ShortName = "Var", Kind = ParameterKind.Integer, Minimum = 1, Maximum = MaxVariations, DefaultPlain = 1 },
        new() { Id = ParameterId.Variations, Name = "Variations", ShortName = "Vars", Kind = ParameterKind.Integer, Minimum = 1, Maximum = MaxVariations, DefaultPlain = 1 },
        new() { Id = ParameterId.Temperature, Name = "Temperature", ShortName = "Temp", Kind = ParameterKind.Continuous, Minimum = 0.05, Maximum = 2.0, DefaultPlain = 1.0, Format = "0.00" },
        new() { Id = ParameterId.TopK, Name = "Top-K", ShortName = "Top-K", Kind = ParameterKind.Integer, Minimum = 1, Maximum = 1000, DefaultPlain = 250 },
        new() { Id = ParameterId.Guidance, Name = "Guidance", ShortName = "Guide", Kind = ParameterKind.Continuous, Minimum = 1.0, Maximum = 10.0, DefaultPlain = 3.0, Format = "0.0" },
        new() { Id = ParameterId.Seed, Name = "Seed", ShortName = "Seed", Kind = ParameterKind.Integer, Minimum = 0, Maximum = 9999, DefaultPlain = 0 },
        new() { Id = ParameterId.StemLevel, Name = "Stem level", ShortName = "Stem", Units = "dB", Kind = ParameterKind.Decibels, Minimum = -60, Maximum = 12, DefaultPlain = 0 },
        new() { Id = ParameterId.InputLevel, Name = "Input level", ShortName = "Input", Units = "dB", Kind = ParameterKind.Decibels, Minimum = -60, Maximum = 12, DefaultPlain = 0 },
        new() { Id = ParameterId.Capture, Name = "Capture", ShortName = "Capture", Kind = ParameterKind.List, Labels = ["Off", "Armed"], DefaultPlain = 1 },
        new() { Id = ParameterId.Loop, Name = "Loop", ShortName = "Loop", Kind = ParameterKind.List, Labels = ["Off", "On"], DefaultPlain = 1 },
        new() { Id = ParameterId.Status, Name = "Status", ShortName = "Status", Kind = ParameterKind.List, IsReadOnly = true, DefaultPlain = 0,
                Labels = ["Ready", "Engine starting", "Generating", "Stem ready", "Needs capture", "Engine missing", "Engine lost", "Failed"] },
        new() { Id = ParameterId.OpenControlRoom, Name = "Open control room", ShortName = "Room", Kind = ParameterKind.List, Labels = ["Idle", "Open"], DefaultPlain = 0 },
    ];

    public static int Count => All.Length;

    public static ParameterSpec Get(ParameterId id) => All[(int)id];

    public static bool IsKnown(uint id) => id < (uint)All.Length;
}

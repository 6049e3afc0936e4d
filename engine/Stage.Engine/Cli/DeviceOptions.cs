using System.CommandLine;
using Stage.Inference.Gpu;

namespace Stage.Engine.Cli;

/// <summary>
/// <c>--device</c> and <c>--precision</c>, which <c>generate</c>, <c>serve</c> and <c>devices</c> take: one
/// instance per command (a command owns its symbols), added with <see cref="AddTo"/>.
/// </summary>
public sealed class DeviceOptions
{
    readonly Option<DeviceKind?> _device = new("--device")
    {
        Description = "where the language model runs: auto (default: the best GPU with enough memory, else the CPU), cpu, "
            + "cuda (NVIDIA), opencl (AMD, Intel) or ilgpu-cpu (the GPU kernels on the CPU, for tests). A GPU that is missing, "
            + "too small or fails to compile falls back to the CPU with a message saying why; `stage-engine devices` lists what is found.",
        HelpName = DeviceKinds.Choices,
        CustomParser = OptionValues.OneOf<DeviceKind>(
            [.. Enum.GetValues<DeviceKind>().Select(DeviceKinds.Name)], text => DeviceKinds.TryParse(text, out var kind) ? kind : null),
    };

    readonly Option<WeightPrecision?> _precision = new("--precision")
    {
        Description = "weight storage on a GPU: f32 (reproduces the CPU engine), bf16 (the GPU default) or f16; sums are float32 "
            + "either way. The CPU engine runs f32.",
        HelpName = "f32|bf16|f16",
        CustomParser = OptionValues.OneOf<WeightPrecision>(["f32", "bf16", "f16"], text => WeightPrecisions.TryParse(text, out var p) ? p : null),
    };

    public void AddTo(Command command)
    {
        command.Add(_device);
        command.Add(_precision);
    }

    public (DeviceKind Kind, WeightPrecision? Precision) Read(ParseResult result) =>
        (result.GetValue(_device) ?? DeviceKind.Auto, result.GetValue(_precision));

    /// <summary>Opens the device asked for (or the CPU engine, with the reason in the message). The caller disposes it.</summary>
    public static DeviceSelection Choose(DeviceKind kind, WeightPrecision? precision)
    {
        var selection = DeviceChoice.Choose(kind, precision);
        if (!selection.Device.IsAccelerator && precision is { } p && p != WeightPrecision.Float32)
            return selection with { Message = $"{selection.Message} (--precision {WeightPrecisions.Name(p)} applies to a GPU; the CPU engine runs f32)" };
        return selection;
    }
}

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
        Description = "where the language model and EnCodec run: auto (default: the best GPU with enough memory, else the CPU), cpu, "
            + "cuda (NVIDIA), opencl (AMD, Intel) or ilgpu-cpu (the GPU kernels on the CPU, for tests). A GPU that is missing, "
            + "too small or fails to compile falls back to the CPU with a message saying why; `stage-engine devices` lists what is found.",
        HelpName = DeviceKinds.Choices,
        CustomParser = OptionValues.OneOf<DeviceKind>(
            [.. Enum.GetValues<DeviceKind>().Select(DeviceKinds.Name)], text => DeviceKinds.TryParse(text, out var kind) ? kind : null),
    };

    readonly Option<WeightPrecision?> _precision = new("--precision")
    {
        Description = "how the language model's weights are stored: bf16 (the default: half the bytes per step, about 1.8x faster "
            + "decoding on the CPU), f32 (reproduces STAGE's goldens exactly), int8 (CPU only: a quarter of the bytes, a scale per row, "
            + "an int8 KV cache, about 3.5x f32's decoding speed) "
            + "or f16 (GPU only); sums are float32 whatever the storage. Below f32, T5 and EnCodec are kept in bf16.",
        HelpName = "f32|bf16|int8|f16",
        CustomParser = OptionValues.OneOf<WeightPrecision>(["f32", "bf16", "int8", "f16"], text => WeightPrecisions.TryParse(text, out var p) ? p : null),
    };

    readonly Option<int?> _threads = new("--threads")
    {
        Description = $"CPU threads for the kernels (default: the physical cores, {Stage.Inference.Kernels.KernelThreads.PhysicalCores()} here)",
        HelpName = "N",
        Validators = { r => { if (r.GetValueOrDefault<int?>() is < 1 or > 1024) r.AddError("--threads must be 1 to 1024"); } },
    };

    public void AddTo(Command command)
    {
        command.Add(_device);
        command.Add(_precision);
        command.Add(_threads);
    }

    /// <summary>Only <c>--device</c>, for commands with no language model (<c>codec</c> has its own <c>--precision</c>).</summary>
    public void AddDeviceTo(Command command)
    {
        command.Add(_device);
        command.Add(_threads);
    }

    /// <summary>The device and precision asked for; <c>--threads</c>, when given, is applied here (before any kernel runs).</summary>
    public (DeviceKind Kind, WeightPrecision? Precision) Read(ParseResult result)
    {
        if (result.GetValue(_threads) is { } threads) Stage.Inference.Kernels.KernelThreads.Count = threads;
        return (result.GetValue(_device) ?? DeviceKind.Auto, result.GetValue(_precision));
    }

    /// <summary>Opens the device asked for (or the CPU engine, with the reason in the message). The caller disposes it.</summary>
    public static DeviceSelection Choose(DeviceKind kind, WeightPrecision? precision)
    {
        // int8 is a CPU storage: a GPU asked for it stores bf16 instead, and says so.
        var selection = DeviceChoice.Choose(kind, precision == WeightPrecision.Int8 ? WeightPrecision.BFloat16 : precision);
        if (selection.Device.IsAccelerator && precision == WeightPrecision.Int8)
            return selection with { Message = $"{selection.Message} (--precision int8 is the CPU engine's storage; the GPU stores bf16)" };
        // The CPU engine's default is bf16: 1.8x faster decoding than f32 at 98.75% top-1 agreement (README, "Weight precision").
        var p = precision ?? WeightPrecision.BFloat16;
        if (selection.Device.IsAccelerator || p == WeightPrecision.Float32) return selection;
        if (p is WeightPrecision.BFloat16 or WeightPrecision.Int8)
            return selection with { Device = Stage.Inference.Generation.InferenceDevice.CpuWith(p),
                                    Message = $"{selection.Message}; the language model's weights in {WeightPrecisions.Name(p)}" };
        return selection with { Message = $"{selection.Message} (--precision {WeightPrecisions.Name(p)} is a GPU storage; the CPU engine runs f32, bf16 or int8: f32)" };
    }
}

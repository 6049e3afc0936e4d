using Stage.Inference.Gpu;

namespace Stage.Engine.Cli;

/// <summary><c>--device</c> and <c>--precision</c>, shared by <c>generate</c>, <c>serve</c> and the benchmarks.</summary>
public sealed class DeviceOptions
{
    public const string Usage = "[--device auto|cpu|cuda|opencl|ilgpu-cpu] [--precision f32|bf16|f16]";

    public const string Help = """
          --device D            where the language model runs: auto (default: the best GPU with enough memory,
                                else the CPU), cpu, cuda (NVIDIA), opencl (AMD, Intel) or ilgpu-cpu (the GPU
                                kernels on the CPU, for tests). A GPU that is missing, too small or fails to
                                compile falls back to the CPU with a message saying why. `stage-engine devices`
                                lists what is found.
          --precision P         weight storage on a GPU: f32 (reproduces the CPU engine), bf16 (GPU default) or
                                f16; sums are float32 either way. The CPU engine runs f32.
        """;

    public DeviceKind Kind { get; private set; } = DeviceKind.Auto;
    public WeightPrecision? Precision { get; private set; }

    /// <summary>Takes <paramref name="name"/> if it is one of these options (reading its value); false otherwise.</summary>
    public bool TryTake(string name, Func<string> value)
    {
        switch (name)
        {
            case "--device":
                string d = value();
                if (!DeviceKinds.TryParse(d, out var kind)) throw new UsageException($"--device '{d}' is not one of {DeviceKinds.Choices}");
                Kind = kind;
                return true;
            case "--precision":
                string p = value();
                if (!WeightPrecisions.TryParse(p, out var precision)) throw new UsageException($"--precision '{p}' is not one of f32, bf16, f16");
                Precision = precision;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Opens the device (or the CPU engine, with the reason in the message). The caller disposes it.</summary>
    public DeviceSelection Choose()
    {
        var selection = DeviceChoice.Choose(Kind, Precision);
        if (!selection.Device.IsAccelerator && Precision is { } p && p != WeightPrecision.Float32)
            return selection with { Message = $"{selection.Message} (--precision {WeightPrecisions.Name(p)} applies to a GPU; the CPU engine runs f32)" };
        return selection;
    }
}

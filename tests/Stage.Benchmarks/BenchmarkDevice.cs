using Stage.Engine.Cli;
using Stage.Inference.Generation;
using Stage.Inference.Gpu;

namespace Stage.Benchmarks;

/// <summary>
/// <c>--device D [--precision P] [--threads N]</c> for the whole-job benchmarks (default: the CPU engine). A device asked for by
/// name that is not here measures nothing: <see cref="Open"/> returns null after saying why.
/// </summary>
static class BenchmarkDevice
{
    /// <summary>Takes the device options out of <paramref name="args"/> and opens the device (the caller disposes it).</summary>
    public static InferenceDevice? Open(ref string[] args)
    {
        var kind = DeviceKind.Cpu;
        WeightPrecision? precision = null;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--device" && i + 1 < args.Length && DeviceKinds.TryParse(args[i + 1], out var k)) { kind = k; i++; }
            else if (args[i] == "--precision" && i + 1 < args.Length && WeightPrecisions.TryParse(args[i + 1], out var p)) { precision = p; i++; }
            else if (args[i] == "--threads" && i + 1 < args.Length && int.TryParse(args[i + 1], out int threads) && threads >= 1) { Stage.Inference.Kernels.KernelThreads.Count = threads; i++; }
            else if (args[i] is "--device" or "--precision")
                throw new ArgumentException($"{args[i]} needs one of {(args[i] == "--device" ? DeviceKinds.Choices : "f32|bf16|int8|f16")}");
            else rest.Add(args[i]);
        }
        args = [.. rest];
        var selection = DeviceOptions.Choose(kind, precision);
        Console.WriteLine(selection.Message);
        if (kind is not (DeviceKind.Cpu or DeviceKind.Auto) && !selection.Device.IsAccelerator)
        {
            Console.WriteLine($"nothing measured: no {DeviceKinds.Name(kind)} device here");
            return null;
        }
        return selection.Device;
    }

    /// <summary>What the device holds, for the benchmarks' last line; empty for the CPU engine.</summary>
    public static string Memory(InferenceDevice device) => device is IlgpuDevice gpu
        ? $"device memory: {gpu.AllocatedBytes / 1048576.0:F0} MiB allocated by Stage (weights {gpu.WeightBytes / 1048576.0:F0} MiB, the rest KV caches and scratch) of "
          + (gpu.Kind == DeviceKind.IlgpuCpu ? "host memory" : $"the device's {gpu.MemoryBytes / 1048576.0:F0} MiB")
        : "";
}

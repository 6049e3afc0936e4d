using Stage.Inference.Generation;
using Stage.Inference.Gpu;
using Stage.Inference.Models.Lm;

namespace Stage.Engine.Cli;

/// <summary><c>stage-engine devices</c>: what ILGPU finds here and what <c>--device</c> would choose.</summary>
public static class DevicesCommand
{
    public static readonly Command Definition = new(
        "devices",
        "list the GPUs found and the device the engine would use",
        "devices " + DeviceOptions.Usage,
        $"""
        Lists every device ILGPU can open here (CUDA and OpenCL GPUs with their memory, and ILGPU's CPU
        accelerator), the memory STAGE's released model needs on a GPU in each precision, and the device
        that --device (default auto) chooses, opening it to be sure its kernels compile.

        {DeviceOptions.Help}
        """,
        Run);

    static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var options = new DeviceOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (!options.TryTake(name, () => i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value")))
                throw new UsageException($"unknown option '{name}'");
        }
        var found = DeviceChoice.Find();
        stdout.WriteLine("found:");
        stdout.WriteLine($"  cpu: the CPU engine, {Environment.ProcessorCount} cores");
        foreach (var d in found) stdout.WriteLine($"  {d}");
        if (!found.Any(d => d.Kind is DeviceKind.Cuda or DeviceKind.OpenCl))
            stdout.WriteLine("  (no CUDA or OpenCL GPU: CUDA needs an NVIDIA driver, OpenCL a GPU driver with an OpenCL 2.0+ ICD)");
        stdout.WriteLine("memory the released model (MusicGen-Small) needs on a GPU, weights + one candidate's KV caches:");
        foreach (var p in Enum.GetValues<WeightPrecision>())
            stdout.WriteLine($"  {WeightPrecisions.Name(p),-5} {DeviceChoice.RequiredBytes(LmDimensions.MusicGenSmall, p) / (1024.0 * 1024 * 1024):0.0} GiB");
        var selection = options.Choose();
        using (selection.Device)
        {
            stdout.WriteLine($"chosen: {selection.Device.Name}");
            stdout.WriteLine(selection.Message);
        }
        return 0;
    }
}

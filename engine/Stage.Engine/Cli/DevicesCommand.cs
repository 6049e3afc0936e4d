using System.CommandLine;
using Stage.Inference.Gpu;
using Stage.Inference.Models.Lm;

namespace Stage.Engine.Cli;

/// <summary><c>stage-engine devices</c>: what ILGPU finds here and what <c>--device</c> would choose.</summary>
public sealed class DevicesCommand : EngineCommand
{
    readonly DeviceOptions _device = new();

    public DevicesCommand() : base("devices", "list the GPUs found and the device the engine would use")
    {
        Details =
            """
            Lists every device ILGPU can open here (CUDA and OpenCL GPUs with their memory, and ILGPU's CPU
            accelerator), the memory STAGE's released model needs on a GPU in each precision, and the device that
            --device (default auto) chooses, opening it so that its kernels are compiled.
            """;
        _device.AddTo(this);
    }

    protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var (kind, precision) = _device.Read(result);
        var found = DeviceChoice.Find();
        stdout.WriteLine("found:");
        stdout.WriteLine($"  cpu: the CPU engine, {Environment.ProcessorCount} cores");
        foreach (var d in found) stdout.WriteLine($"  {d}");
        if (!found.Any(d => d.Kind is DeviceKind.Cuda or DeviceKind.OpenCl))
            stdout.WriteLine("  (no CUDA or OpenCL GPU: CUDA needs an NVIDIA driver, OpenCL a GPU driver with an OpenCL 2.0+ ICD)");
        stdout.WriteLine("memory the released model (MusicGen-Small) needs on a GPU, weights + one candidate's KV caches + EnCodec:");
        foreach (var p in Enum.GetValues<WeightPrecision>())
            stdout.WriteLine($"  {WeightPrecisions.Name(p),-5} {DeviceChoice.RequiredBytes(LmDimensions.MusicGenSmall, p) / (1024.0 * 1024 * 1024):0.0} GiB");
        var selection = DeviceOptions.Choose(kind, precision);
        using (selection.Device)
        {
            stdout.WriteLine($"chosen: {selection.Device.Name}");
            stdout.WriteLine(selection.Message);
        }
        return 0;
    }
}

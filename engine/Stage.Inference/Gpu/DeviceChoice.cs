using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Stage.Inference.Generation;
using Stage.Inference.Models.Lm;

namespace Stage.Inference.Gpu;

/// <summary>A device ILGPU found: what it is, its name and memory as the driver reports them.</summary>
public sealed record FoundDevice(DeviceKind Kind, string Name, long MemoryBytes)
{
    public override string ToString() => Kind == DeviceKind.IlgpuCpu
        ? $"{DeviceKinds.Name(Kind)}: {Name}"
        : $"{DeviceKinds.Name(Kind)}: {Name}, {MemoryBytes / (1024.0 * 1024 * 1024):0.#} GiB";
}

/// <summary>The device a run uses, why, and everything that was found.</summary>
public sealed record DeviceSelection(InferenceDevice Device, string Message, IReadOnlyList<FoundDevice> Found);

/// <summary>
/// <c>--device</c>: finds ILGPU's devices and opens the one asked for, or for <c>auto</c> the best GPU with
/// enough memory for the model. Anything that goes wrong on the way — no such device, too little memory, a
/// driver that fails to compile a kernel — falls back to the CPU engine with a message saying why; this never
/// throws for a missing GPU.
/// </summary>
public static class DeviceChoice
{
    /// <summary>Default storage on a GPU: bfloat16 (float32's range; sums stay float32). The CPU accelerator defaults to float32.</summary>
    public static WeightPrecision DefaultPrecision(DeviceKind kind) => kind == DeviceKind.IlgpuCpu ? WeightPrecision.Float32 : WeightPrecision.BFloat16;

    /// <summary>Every device ILGPU can open here (CUDA, OpenCL, and its CPU accelerator).</summary>
    public static IReadOnlyList<FoundDevice> Find()
    {
        try
        {
            using var context = CreateContext(DeviceKind.Auto);
            var found = new List<FoundDevice>();
            foreach (var device in context) found.Add(Describe(device));
            return found;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return [];
        }
    }

    public static DeviceSelection Choose(DeviceKind requested, WeightPrecision? precision = null, LmDimensions? model = null)
    {
        if (requested == DeviceKind.Cpu)
            return new DeviceSelection(InferenceDevice.Cpu, $"device: {InferenceDevice.Cpu.Name} (--device cpu)", []);

        Context? context = null;
        try
        {
            context = CreateContext(requested);
            var found = new List<FoundDevice>();
            var candidates = new List<(Device Device, FoundDevice Found)>();
            foreach (var device in context)
            {
                var f = Describe(device);
                found.Add(f);
                if (requested == DeviceKind.Auto ? f.Kind is DeviceKind.Cuda or DeviceKind.OpenCl : f.Kind == requested)
                    candidates.Add((device, f));
            }
            candidates.Sort((a, b) => a.Found.Kind != b.Found.Kind ? a.Found.Kind.CompareTo(b.Found.Kind) : b.Found.MemoryBytes.CompareTo(a.Found.MemoryBytes));
            string seen = found.Count == 0 ? "none" : string.Join("; ", found);
            if (candidates.Count == 0)
                return Fallback(context, found, requested == DeviceKind.Auto
                    ? $"no GPU found (ILGPU saw: {seen})"
                    : $"no {DeviceKinds.Name(requested)} device found (ILGPU saw: {seen}){Hint(requested)}");

            var problems = new List<string>();
            foreach (var (device, f) in candidates)
            {
                var p = precision ?? DefaultPrecision(f.Kind);
                long needed = RequiredBytes(model ?? LmDimensions.MusicGenSmall, p);
                if (f.Kind != DeviceKind.IlgpuCpu && f.MemoryBytes < needed)
                {
                    problems.Add($"{f} has less than the {needed / (1024.0 * 1024 * 1024):0.#} GiB the model needs in {WeightPrecisions.Name(p)}");
                    continue;
                }
                try
                {
                    var opened = IlgpuDevice.Open(context!, device, f.Kind, p);
                    context = null; // the device owns it now
                    return new DeviceSelection(opened, $"device: {opened.Name} (--device {DeviceKinds.Name(requested)}; found: {seen})", found);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    problems.Add($"{f} failed to start or to compile a kernel: {e.Message}");
                }
            }
            return Fallback(context, found, string.Join("; ", problems));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fallback(context, [], $"ILGPU could not list devices: {e.Message}");
        }
    }

    /// <summary>
    /// EnCodec on the device (<see cref="DeviceBackend"/>): its float32 weights (about 230 MB at the released size) and
    /// one layer's input and output at the widest point of a streamed piece's decode.
    /// </summary>
    const long EncodecBytes = 512L << 20;

    /// <summary>Weights in the chosen storage, one candidate's two KV caches over a full window, EnCodec, and scratch (an estimate, with a margin).</summary>
    public static long RequiredBytes(LmDimensions d, WeightPrecision precision)
    {
        long weightBytes = precision == WeightPrecision.Float32 ? 4 : 2;
        long weights = d.StepParameters * weightBytes + (long)d.Codebooks * d.InputCard * d.Dim * 4;
        long steps = StageGenerator.MaxContextFrames + StageGenerator.MaxStemFrames + 4;
        long caches = 2L * 2 * d.Layers * steps * d.AttentionDim * 4;
        return (long)((weights + caches) * 1.2) + (256L << 20) + EncodecBytes;
    }

    static DeviceSelection Fallback(Context? context, IReadOnlyList<FoundDevice> found, string why)
    {
        context?.Dispose();
        return new DeviceSelection(InferenceDevice.Cpu, $"device: {InferenceDevice.Cpu.Name} — falling back to the CPU engine: {why}", found);
    }

    static string Hint(DeviceKind kind) => kind switch
    {
        DeviceKind.Cuda => " — CUDA needs an NVIDIA GPU and its driver (libcuda), no toolkit",
        DeviceKind.OpenCl => " — OpenCL needs a GPU driver with an OpenCL 2.0+ ICD",
        _ => "",
    };

    internal static Context CreateContext(DeviceKind kind) => kind switch
    {
        DeviceKind.IlgpuCpu => Context.Create(b => b.CPU(CpuAccelerator()).EnableAlgorithms()),
        DeviceKind.Cuda => Context.Create(b => b.Cuda().EnableAlgorithms()),
        DeviceKind.OpenCl => Context.Create(b => b.OpenCL().EnableAlgorithms()),
        _ => Context.Create(b => b.Cuda().OpenCL().CPU(CpuAccelerator()).EnableAlgorithms()),
    };

    // One "multiprocessor" per core and the smallest warp: the kernels run one-thread groups there
    // (LmKernelSet), and ILGPU's default CPU device (4×4 threads on one multiprocessor) spends more time
    // waking idle threads than computing.
    static CPUDevice CpuAccelerator() => new(2, 1, Environment.ProcessorCount);

    static FoundDevice Describe(Device device) => new(device.AcceleratorType switch
    {
        AcceleratorType.Cuda => DeviceKind.Cuda,
        AcceleratorType.OpenCL => DeviceKind.OpenCl,
        _ => DeviceKind.IlgpuCpu,
    }, device.Name, device.MemorySize);
}

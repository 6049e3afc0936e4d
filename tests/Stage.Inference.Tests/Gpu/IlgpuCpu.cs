using Stage.Inference.Gpu;

namespace Stage.Inference.Tests.Gpu;

/// <summary>
/// The GPU backend on ILGPU's CPU accelerator (float32 weights), opened once for every device test: the same
/// kernels a GPU runs, on this machine's cores. Slow (a tiny-model step takes milliseconds), so these tests
/// use only the stage-tiny fixture.
/// </summary>
static class IlgpuCpu
{
    static readonly Lazy<IlgpuDevice> s_device = new(() => Open(WeightPrecision.Float32));

    public static IlgpuDevice Device => s_device.Value;

    public static IlgpuDevice Open(WeightPrecision precision)
    {
        var selection = DeviceChoice.Choose(DeviceKind.IlgpuCpu, precision);
        return selection.Device as IlgpuDevice ?? throw new InvalidOperationException(selection.Message);
    }
}

/// <summary>
/// A fact that needs a real GPU (CUDA or OpenCL): reported as skipped, with what ILGPU found, on a machine without one.
/// </summary>
public sealed class GpuFactAttribute : FactAttribute
{
    static readonly Lazy<string?> s_skip = new(() =>
    {
        var found = DeviceChoice.Find();
        foreach (var d in found)
            if (d.Kind is DeviceKind.Cuda or DeviceKind.OpenCl) return null;
        return $"no CUDA or OpenCL device on this machine (ILGPU found: {(found.Count == 0 ? "nothing" : string.Join("; ", found))})";
    });

    public GpuFactAttribute()
    {
        if (s_skip.Value is { } reason) Skip = reason;
    }
}

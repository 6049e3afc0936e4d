namespace Stage.Inference.Gpu;

/// <summary>What <c>--device</c> asks for.</summary>
public enum DeviceKind
{
    /// <summary>The best GPU with enough memory (CUDA before OpenCL, then the larger), else the CPU engine.</summary>
    Auto,
    /// <summary>The CPU engine (Kernels/), never ILGPU.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through its driver (ILGPU compiles the kernels to PTX; no CUDA toolkit needed).</summary>
    Cuda,
    /// <summary>An OpenCL GPU (AMD, Intel) through ILGPU's OpenCL backend.</summary>
    OpenCl,
    /// <summary>The GPU backend's kernels on ILGPU's CPU accelerator: for tests and debugging, not speed.</summary>
    IlgpuCpu,
}

public static class DeviceKinds
{
    public const string Choices = "auto|cpu|cuda|opencl|ilgpu-cpu";

    public static string Name(DeviceKind kind) => kind switch
    {
        DeviceKind.Auto => "auto",
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => "cuda",
        DeviceKind.OpenCl => "opencl",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string? text, out DeviceKind kind)
    {
        foreach (var k in Enum.GetValues<DeviceKind>())
            if (Name(k) == text) { kind = k; return true; }
        kind = DeviceKind.Auto;
        return false;
    }
}

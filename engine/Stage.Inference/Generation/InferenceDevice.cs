using Stage.Inference.Models.Lm;

namespace Stage.Inference.Generation;

/// <summary>
/// Where the LM runs: the CPU engine (<see cref="Cpu"/>) or a GPU through ILGPU (<c>Gpu/IlgpuDevice</c>,
/// chosen by <c>Gpu/DeviceChoice</c>). A device makes one <see cref="LmDecoder"/> per generator; a GPU device
/// uploads each model's weights once and shares them between its decoders.
/// </summary>
public abstract class InferenceDevice : IDisposable
{
    /// <summary>The CPU engine: the span kernels of <c>Kernels/</c> on every core.</summary>
    public static InferenceDevice Cpu { get; } = new CpuDevice();

    /// <summary>What this device is, for logs and the <c>welcome</c> capabilities ("cpu", "cuda: NVIDIA … (f16)").</summary>
    public abstract string Name { get; }

    /// <summary>True when this is not the CPU engine.</summary>
    public abstract bool IsAccelerator { get; }

    public abstract LmDecoder CreateDecoder(MusicGenLm lm);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    sealed class CpuDevice : InferenceDevice
    {
        public override string Name => $"cpu ({Kernels.KernelThreads.Count} threads)";
        public override bool IsAccelerator => false;
        public override LmDecoder CreateDecoder(MusicGenLm lm) => new CpuLmDecoder(lm);
        public override void Dispose() { } // shared by every generator
    }
}

using Stage.Inference.Models.Lm;

namespace Stage.Inference.Generation;

/// <summary>
/// Where the LM runs: the CPU engine (<see cref="Cpu"/>) or a GPU through ILGPU (<c>Gpu/IlgpuDevice</c>,
/// chosen by <c>Gpu/DeviceChoice</c>). A device makes one <see cref="LmDecoder"/> per generator; a GPU device
/// uploads each model's weights once and shares them between its decoders.
/// </summary>
public abstract class InferenceDevice : IDisposable
{
    /// <summary>The CPU engine: the span kernels of <c>Kernels/</c> on every core, float32 weights.</summary>
    public static InferenceDevice Cpu { get; } = new CpuDevice(bfloat16: false);

    static readonly InferenceDevice s_cpuBFloat16 = new CpuDevice(bfloat16: true);

    /// <summary>The CPU engine with the LM's matrices in <paramref name="precision"/>: float32, or bfloat16 (half the bytes per step).</summary>
    public static InferenceDevice CpuWith(Gpu.WeightPrecision precision) => precision switch
    {
        Gpu.WeightPrecision.Float32 => Cpu,
        Gpu.WeightPrecision.BFloat16 => s_cpuBFloat16,
        _ => throw new ArgumentException($"the CPU engine stores weights as f32 or bf16, not {Gpu.WeightPrecisions.Name(precision)}", nameof(precision)),
    };

    /// <summary>What this device is, for logs and the <c>welcome</c> capabilities ("cpu", "cuda: NVIDIA … (f16)").</summary>
    public abstract string Name { get; }

    /// <summary>True when this is not the CPU engine.</summary>
    public abstract bool IsAccelerator { get; }

    public abstract LmDecoder CreateDecoder(MusicGenLm lm);

    /// <summary>Whether models for this device are best loaded with the LM in bfloat16 (the CPU engine in bf16: no float32 copy kept).</summary>
    public virtual bool HostLmInBFloat16 => false;

    /// <summary>Where EnCodec's layers run (and any other network written against <see cref="Kernels.IComputeBackend"/>).</summary>
    public virtual Kernels.IComputeBackend CodecBackend => Kernels.CpuBackend.Instance;

    public virtual void Dispose() => GC.SuppressFinalize(this);

    sealed class CpuDevice(bool bfloat16) : InferenceDevice
    {
        // One bfloat16 copy per loaded LM, made on its first request and dropped with the model.
        readonly System.Runtime.CompilerServices.ConditionalWeakTable<MusicGenLm, MusicGenLm> _converted = new();

        public override string Name => $"cpu ({Kernels.KernelThreads.Count} threads{(bfloat16 ? ", bf16" : "")})";
        public override bool IsAccelerator => false;
        public override bool HostLmInBFloat16 => bfloat16;
        public override LmDecoder CreateDecoder(MusicGenLm lm) =>
            new CpuLmDecoder(bfloat16 ? _converted.GetValue(lm, static l => l.InBFloat16()) : lm);
        public override void Dispose() { } // shared by every generator
    }
}

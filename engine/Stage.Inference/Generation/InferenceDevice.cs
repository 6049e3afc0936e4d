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
    public static InferenceDevice Cpu { get; } = new CpuDevice(Gpu.WeightPrecision.Float32);

    static readonly InferenceDevice s_cpuBFloat16 = new CpuDevice(Gpu.WeightPrecision.BFloat16);
    static readonly InferenceDevice s_cpuInt8 = new CpuDevice(Gpu.WeightPrecision.Int8);

    /// <summary>The CPU engine with the LM's matrices in <paramref name="precision"/>: float32, bfloat16 (half the bytes per
    /// step) or int8 with a scale per row (a quarter).</summary>
    public static InferenceDevice CpuWith(Gpu.WeightPrecision precision) => precision switch
    {
        Gpu.WeightPrecision.Float32 => Cpu,
        Gpu.WeightPrecision.BFloat16 => s_cpuBFloat16,
        Gpu.WeightPrecision.Int8 => s_cpuInt8,
        _ => throw new ArgumentException($"the CPU engine stores weights as f32, bf16 or int8, not {Gpu.WeightPrecisions.Name(precision)}", nameof(precision)),
    };

    /// <summary>What this device is, for logs and the <c>welcome</c> capabilities ("cpu", "cuda: NVIDIA … (f16)").</summary>
    public abstract string Name { get; }

    /// <summary>True when this is not the CPU engine.</summary>
    public abstract bool IsAccelerator { get; }

    public abstract LmDecoder CreateDecoder(MusicGenLm lm);

    /// <summary>How models for this device are best loaded: the CPU engine in bf16 or int8 stores the LM so at load (no float32
    /// copy kept); a GPU device reads float32 and uploads its own storage.</summary>
    public virtual Gpu.WeightPrecision HostLmPrecision => Gpu.WeightPrecision.Float32;

    /// <summary>Where EnCodec's layers run (and any other network written against <see cref="Kernels.IComputeBackend"/>).</summary>
    public virtual Kernels.IComputeBackend CodecBackend => Kernels.CpuBackend.Instance;

    public virtual void Dispose() => GC.SuppressFinalize(this);

    sealed class CpuDevice(Gpu.WeightPrecision precision) : InferenceDevice
    {
        // One converted copy per loaded float32 LM, made on its first request and dropped with the model.
        readonly System.Runtime.CompilerServices.ConditionalWeakTable<MusicGenLm, MusicGenLm> _converted = new();

        public override string Name =>
            $"cpu ({Kernels.KernelThreads.Count} threads{(precision == Gpu.WeightPrecision.Float32 ? "" : ", " + Gpu.WeightPrecisions.Name(precision))})";
        public override bool IsAccelerator => false;
        public override Gpu.WeightPrecision HostLmPrecision => precision;
        public override LmDecoder CreateDecoder(MusicGenLm lm) =>
            new CpuLmDecoder(lm.Precision == precision || lm.Precision != Gpu.WeightPrecision.Float32 ? lm : _converted.GetValue(lm, l => l.In(precision)));
        public override void Dispose() { } // shared by every generator
    }
}

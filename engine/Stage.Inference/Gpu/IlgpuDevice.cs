using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using Stage.Inference.Generation;
using Stage.Inference.Models.Lm;

namespace Stage.Inference.Gpu;

/// <summary>
/// An ILGPU accelerator (CUDA, OpenCL, or ILGPU's CPU accelerator for tests) as an <see cref="InferenceDevice"/>:
/// owns the ILGPU context and accelerator, the compiled <see cref="LmKernels"/>, and each model's uploaded
/// weights. Opened by <see cref="DeviceChoice"/>.
/// </summary>
public sealed class IlgpuDevice : InferenceDevice
{
    readonly Context _context;
    readonly ConditionalWeakTable<MusicGenLm, DeviceLmWeights> _weights = [];
    readonly List<DeviceLmWeights> _uploaded = [];
    readonly Lock _gate = new();
    bool _disposed;

    IlgpuDevice(Context context, Accelerator accelerator, DeviceKind kind, WeightPrecision precision, int? groupSize)
    {
        _context = context;
        Accelerator = accelerator;
        Kind = kind;
        Precision = precision;
        Kernels = new LmKernelSet(accelerator, groupSize);
    }

    /// <summary>Creates the accelerator for <paramref name="device"/> and compiles every kernel; throws what ILGPU or the driver says.</summary>
    internal static IlgpuDevice Open(Context context, Device device, DeviceKind kind, WeightPrecision precision, int? groupSize = null)
    {
        var accelerator = device.CreateAccelerator(context);
        try
        {
            return new IlgpuDevice(context, accelerator, kind, precision, groupSize);
        }
        catch
        {
            accelerator.Dispose();
            throw;
        }
    }

    /// <summary>ILGPU's CPU accelerator with the grouped kernels run in groups of <paramref name="groupSize"/> threads,
    /// so that tests exercise the reductions a GPU runs (slow: every barrier is an OS-thread rendezvous).</summary>
    internal static IlgpuDevice OpenCpuAccelerator(WeightPrecision precision, int groupSize)
    {
        var context = DeviceChoice.CreateContext(DeviceKind.IlgpuCpu);
        try
        {
            return Open(context, context.Devices[0], DeviceKind.IlgpuCpu, precision, groupSize);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    internal Accelerator Accelerator { get; }
    internal LmKernelSet Kernels { get; }

    public DeviceKind Kind { get; }
    public WeightPrecision Precision { get; }

    /// <summary>Device memory in bytes as the driver reports it.</summary>
    public long MemoryBytes => Accelerator.MemorySize;

    public override string Name => $"{DeviceKinds.Name(Kind)}: {Accelerator.Name} ({WeightPrecisions.Name(Precision)})";

    public override bool IsAccelerator => true;

    /// <summary>EnCodec's layers on this device, float32 whatever the LM's precision (the codec is small; its sums stay exact to 1e-4).</summary>
    public override Kernels.IComputeBackend CodecBackend
    {
        get
        {
            lock (_codecGate)
            {
                if (_codec != null) return _codec;
                Accelerator.Bind();
                return _codec = new DeviceBackend(Accelerator, Name.Replace($"({WeightPrecisions.Name(Precision)})", "(f32)"));
            }
        }
    }

    readonly Lock _codecGate = new();
    DeviceBackend? _codec;

    /// <summary>Bytes of weights uploaded so far (every model this device has decoded).</summary>
    public long WeightBytes
    {
        get
        {
            lock (_gate)
            {
                long total = 0;
                foreach (var w in _uploaded) total += w.Bytes;
                return total;
            }
        }
    }

    long _decoderBytes;

    /// <summary>Bytes Stage holds on the device: the weights plus every live decoder's caches and scratch.</summary>
    public long AllocatedBytes => WeightBytes + Interlocked.Read(ref _decoderBytes);

    internal void TrackDecoderBytes(long change) => Interlocked.Add(ref _decoderBytes, change);

    public override LmDecoder CreateDecoder(MusicGenLm lm)
    {
        ArgumentNullException.ThrowIfNull(lm);
        DeviceLmWeights weights;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Accelerator.Bind();
            if (!_weights.TryGetValue(lm, out weights!))
            {
                weights = new DeviceLmWeights(Accelerator, lm, Precision);
                _weights.Add(lm, weights);
                _uploaded.Add(weights);
            }
        }
        return new DeviceLmDecoder(this, lm, weights, Kernels);
    }

    public override void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Accelerator.Bind();
            foreach (var w in _uploaded) w.Dispose();
            _uploaded.Clear();
            lock (_codecGate) _codec?.Dispose();
        }
        Accelerator.Dispose();
        _context.Dispose();
        base.Dispose();
    }
}

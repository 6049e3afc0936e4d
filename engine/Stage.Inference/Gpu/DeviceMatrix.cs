using ILGPU;
using ILGPU.Runtime;
using Stage.Inference.Kernels;

namespace Stage.Inference.Gpu;

/// <summary>A PyTorch-layout weight <c>[rows, cols]</c> uploaded once, as float32 or as 16-bit bits (<see cref="WeightPrecision"/>).</summary>
sealed class DeviceMatrix : IDisposable
{
    readonly MemoryBuffer1D<float, Stride1D.Dense>? _floats;
    readonly MemoryBuffer1D<ushort, Stride1D.Dense>? _bits;

    public DeviceMatrix(Accelerator accelerator, PinnedFloats host, int rows, int cols, WeightPrecision precision)
        : this(accelerator, host.Span[..checked(rows * cols)], rows, cols, precision) { }

    public DeviceMatrix(Accelerator accelerator, ReadOnlySpan<float> host, int rows, int cols, WeightPrecision precision)
    {
        if (host.Length != (long)rows * cols) throw new ArgumentException($"a [{rows}, {cols}] matrix needs {(long)rows * cols} floats, got {host.Length}");
        Rows = rows;
        Cols = cols;
        Precision = precision;
        if (precision == WeightPrecision.Float32)
        {
            _floats = accelerator.Allocate1D<float>(host.Length);
            _floats.Flat().CopyFromCPU(host);
            return;
        }
        var bits = new ushort[host.Length];
        for (int i = 0; i < bits.Length; i++)
            bits[i] = precision == WeightPrecision.BFloat16 ? HalfBits.SingleToBFloat16(host[i]) : HalfBits.SingleToHalf(host[i]);
        _bits = accelerator.Allocate1D(bits);
    }

    public int Rows { get; }
    public int Cols { get; }
    public WeightPrecision Precision { get; }
    public long Bytes => _floats is not null ? _floats.LengthInBytes : _bits!.LengthInBytes;

    public ArrayView<float> Floats => _floats!.View;
    public ArrayView<ushort> Bits => _bits!.View;

    public void Dispose()
    {
        _floats?.Dispose();
        _bits?.Dispose();
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Stage.Inference.Kernels;

/// <summary>
/// A weight matrix <c>[Rows, Cols]</c> (PyTorch layout, one output per row) as <see cref="RowsLinear"/> reads it:
/// float32; bfloat16 — float32's top 16 bits, rounded to nearest even — for half the bytes a decode step
/// streams; or int8 with one float32 scale per row (symmetric: w ≈ scale·q, q in −127..127) for a quarter.
/// Sums stay float32 whatever the storage. Lives on the pinned heap, or in a mapped file of converted weights, so
/// kernels keep raw pointers; the object that owns the memory is held for as long as the matrix is.
/// </summary>
public sealed unsafe class RowWeights
{
    readonly PinnedFloats? _f32;
    readonly object? _owner;   // the arrays, or the mapping, the pointers point into

    public RowWeights(PinnedFloats f32, int rows, int cols)
    {
        if ((long)rows * cols != f32.Length) throw new ArgumentException($"a [{rows}, {cols}] matrix needs {(long)rows * cols} values, got {f32.Length}");
        _f32 = f32;
        Rows = rows;
        Cols = cols;
        Float32 = f32.Pointer;
    }

    RowWeights(ushort[] bf16, int rows, int cols)
        : this(bf16, (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(bf16)), rows, cols) { }

    RowWeights(sbyte[] int8, float[] scales, int rows, int cols)
        : this((int8, scales), (sbyte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(int8)),
            (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(scales)), rows, cols) { }

    /// <summary>bfloat16 rows in memory that <paramref name="owner"/> keeps valid (pinned arrays, a file mapping).</summary>
    internal RowWeights(object owner, ushort* bf16, int rows, int cols)
    {
        _owner = owner;
        Rows = rows;
        Cols = cols;
        BFloat16 = bf16;
    }

    /// <summary>int8 rows and their scales in memory that <paramref name="owner"/> keeps valid.</summary>
    internal RowWeights(object owner, sbyte* int8, float* scales, int rows, int cols)
    {
        _owner = owner;
        Rows = rows;
        Cols = cols;
        Int8 = int8;
        Scales = scales;
    }

    public int Rows { get; }
    public int Cols { get; }

    /// <summary>
    /// Where the matrix is used in place from a mapped file (<see cref="IWeightMapping"/>), lets its pages leave the working
    /// set until it is next read; a matrix in memory stays as it is.
    /// </summary>
    public void LeaveWorkingSet()
    {
        if (_owner is not IWeightMapping mapping) return;
        if (IsBFloat16) mapping.LeaveWorkingSet(BFloat16, 2L * Rows * Cols);
        else if (IsInt8)
        {
            mapping.LeaveWorkingSet(Int8, (long)Rows * Cols);
            mapping.LeaveWorkingSet(Scales, 4L * Rows);
        }
    }

    /// <summary>The int8 values (row after row), or null unless stored as int8.</summary>
    public sbyte* Int8 { get; }

    /// <summary>Per row: the float32 value of one int8 step, or null unless stored as int8.</summary>
    public float* Scales { get; }

    public bool IsInt8 => Int8 != null;

    /// <summary>The float32 values, or null when stored as bfloat16.</summary>
    public float* Float32 { get; }

    /// <summary>The bfloat16 values, or null when stored as float32.</summary>
    public ushort* BFloat16 { get; }

    public bool IsBFloat16 => BFloat16 != null;

    /// <summary>Bytes one pass over the weights reads.</summary>
    public long Bytes => IsInt8 ? (long)Rows * Cols + Rows * 4L : (long)Rows * Cols * (IsBFloat16 ? 2 : 4);

    /// <summary>
    /// The same matrix as int8 with a scale per row: max |w| of the row maps to 127, every value rounds to the
    /// nearest step (this one is left as it is). From float32 storage only.
    /// </summary>
    public RowWeights ToInt8()
    {
        if (IsInt8) return this;
        if (_f32 == null) throw new InvalidOperationException("int8 is made from float32 weights, not from bfloat16 ones");
        return Int8From(_f32.Span, Rows, Cols);
    }

    /// <summary>A row-major float32 matrix as <see cref="ToInt8"/> stores it, with no pinned float32 copy (see <see cref="BFloat16From"/>).</summary>
    public static RowWeights Int8From(ReadOnlySpan<float> rowMajor, int rows, int cols)
    {
        if ((long)rows * cols != rowMajor.Length) throw new ArgumentException($"a [{rows}, {cols}] matrix needs {(long)rows * cols} values, got {rowMajor.Length}");
        var q = GC.AllocateArray<sbyte>(rows * cols, pinned: true);
        var scales = GC.AllocateArray<float>(rows, pinned: true);
        for (int r = 0; r < rows; r++)
        {
            var row = rowMajor.Slice(r * cols, cols);
            float max = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row));   // MaxMagnitude keeps the sign
            float scale = max > 0 ? max / 127f : 1f;
            float inverse = 1f / scale;
            scales[r] = scale;
            var target = q.AsSpan(r * cols, cols);
            for (int i = 0; i < cols; i++) target[i] = (sbyte)Math.Clamp(MathF.Round(row[i] * inverse), -127f, 127f);
        }
        return new RowWeights(q, scales, rows, cols);
    }

    /// <summary>The same matrix rounded to bfloat16 (this one is left as it is).</summary>
    public RowWeights ToBFloat16()
    {
        if (IsBFloat16) return this;
        if (IsInt8) throw new InvalidOperationException("bfloat16 is made from float32 weights, not from int8 ones");
        return BFloat16From(_f32!.Span, Rows, Cols);
    }

    /// <summary>
    /// A row-major float32 matrix rounded straight to bfloat16 rows, with no pinned float32 copy: a load that staged each
    /// matrix on the pinned heap left holes there that no collection can close.
    /// </summary>
    public static RowWeights BFloat16From(ReadOnlySpan<float> rowMajor, int rows, int cols)
    {
        if ((long)rows * cols != rowMajor.Length) throw new ArgumentException($"a [{rows}, {cols}] matrix needs {(long)rows * cols} values, got {rowMajor.Length}");
        var bf16 = GC.AllocateArray<ushort>(rowMajor.Length, pinned: true);
        var result = new RowWeights(bf16, rows, cols);
        // One thread. The win-x64 engine once died under Wine with "Internal CLR error" in a finalizer when this ran on
        // Parallel.For; the same crash later came back with no change here and went away with .NET's W^X off under Wine
        // (tests/Stage.Windows.Tests/Wine.cs), so Wine's handling of W^X, not this loop, was most likely the cause.
        fixed (float* source = rowMajor) RoundToBFloat16(source, result.BFloat16, bf16.Length);
        return result;
    }

    /// <summary><paramref name="n"/> values rounded to bfloat16, to nearest even, as <see cref="RoundToBFloat16(float)"/> rounds each (a NaN stays a NaN).</summary>
    public static void RoundToBFloat16(float* source, ushort* target, long n)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                Vector256.Store(Vector256.Narrow(RoundToBFloat16(source + i), RoundToBFloat16(source + i + 8)), target + i);
        for (; i < n; i++) target[i] = RoundToBFloat16(source[i]);
    }

    /// <summary>Eight values rounded to bfloat16, each in the low half of its lane.</summary>
    static Vector256<uint> RoundToBFloat16(float* source)
    {
        // add 0x7FFF plus the lowest kept bit, keep the top half; a NaN keeps its top half with a quiet bit
        var value = Vector256.Load(source);
        var bits = value.AsUInt32();
        var top = Vector256.ShiftRightLogical(bits, 16);
        var rounded = Vector256.ShiftRightLogical(bits + Vector256.Create(0x7FFFu) + (top & Vector256<uint>.One), 16);
        return Vector256.ConditionalSelect(Vector256.Equals(value, value).AsUInt32(), rounded, top | Vector256.Create(0x40u));
    }

    /// <summary>Row <paramref name="row"/> as float32 (exact for float32 storage, widened for bfloat16).</summary>
    public void CopyRow(int row, Span<float> destination)
    {
        if (_f32 != null) { _f32.Span.Slice(row * Cols, Cols).CopyTo(destination); return; }
        if (IsInt8) { WidenInt8(Int8 + (long)row * Cols, Scales[row], destination[..Cols]); return; }
        Widen(BFloat16 + (long)row * Cols, destination[..Cols]);
    }

    /// <summary>Every value as float32, row after row (e.g. to upload to a device).</summary>
    public void CopyTo(Span<float> destination)
    {
        for (int r = 0; r < Rows; r++) CopyRow(r, destination.Slice(r * Cols, Cols));
    }

    public static ushort RoundToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);   // stays a NaN
        bits += 0x7FFF + ((bits >> 16) & 1);
        return (ushort)(bits >> 16);
    }

    /// <summary>int8 → float32: q·scale.</summary>
    public static void WidenInt8(sbyte* source, float scale, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = source[i] * scale;
    }

    /// <summary>bfloat16 → float32 is exact: the 16 bits become the top half of the float.</summary>
    public static void Widen(ushort* source, Span<float> destination)
    {
        int n = destination.Length, i = 0;
        fixed (float* d = destination)
        {
            if (Vector256.IsHardwareAccelerated)
                for (; i + 16 <= n; i += 16)
                {
                    var (lo, hi) = Vector256.Widen(Vector256.Load(source + i));
                    Vector256.Store(Vector256.ShiftLeft(lo, 16).AsSingle(), d + i);
                    Vector256.Store(Vector256.ShiftLeft(hi, 16).AsSingle(), d + i + 8);
                }
            for (; i < n; i++) d[i] = BitConverter.UInt32BitsToSingle((uint)source[i] << 16);
        }
    }
}

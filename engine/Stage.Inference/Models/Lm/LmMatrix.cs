using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;

namespace Stage.Inference.Models.Lm;

/// <summary>
/// One bias-free linear weight of the LM, PyTorch layout <c>[out, in]</c>, pinned, in the chosen
/// <see cref="LmWeightFormat"/>; several checkpoint tensors may be stacked by rows (q|k|v, the four heads).
/// </summary>
public sealed unsafe class LmMatrix
{
    readonly PinnedFloats? _single;
    readonly Half[]? _half;
    readonly Half* _halfPointer;

    public LmMatrix(int rows, int cols, LmWeightFormat format)
    {
        if (rows < 1 || cols < 1) throw new ArgumentOutOfRangeException(nameof(rows), $"[{rows}, {cols}] is not a matrix");
        Rows = rows;
        Cols = cols;
        Format = format;
        long n = (long)rows * cols;
        if (format == LmWeightFormat.Float32) _single = new PinnedFloats(n);
        else
        {
            _half = GC.AllocateArray<Half>(checked((int)n), pinned: true);
            _halfPointer = (Half*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_half));
        }
    }

    public int Rows { get; }
    public int Cols { get; }
    public LmWeightFormat Format { get; }

    /// <summary><c>y (+)= x·Wᵀ</c> for <paramref name="rows"/> rows (see <see cref="RowsLinear"/>).</summary>
    public void Multiply(RowsLinear linear, float* x, int xStride, int rows, float* y, int yStride, LinearOutput mode)
    {
        if (_single is not null) linear.Run(x, xStride, rows, _single.Pointer, Cols, Rows, y, yStride, mode);
        else linear.Run(x, xStride, rows, _halfPointer, Cols, Rows, y, yStride, mode);
    }

    /// <summary>Writes <c>values.Length / Cols</c> rows from <paramref name="firstRow"/> on.</summary>
    public void Set(int firstRow, ReadOnlySpan<float> values, string what)
    {
        if (values.Length % Cols != 0 || firstRow < 0 || firstRow + values.Length / Cols > Rows)
            throw new ArgumentException($"{what}: {values.Length} values do not fit rows {firstRow}.. of [{Rows}, {Cols}]");
        long offset = (long)firstRow * Cols;
        if (_single is not null)
        {
            values.CopyTo(_single.Span[(int)offset..]);
            return;
        }
        float largest = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(values);
        if (!(MathF.Abs(largest) <= (float)Half.MaxValue))
            throw new CheckpointException($"{what}: weight {largest} does not fit half precision; load the LM as float32");
        System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(values, _half.AsSpan((int)offset, values.Length));
    }

    /// <summary>Reads checkpoint tensor <paramref name="name"/> (which must be <c>[rows, Cols]</c>) into rows from <paramref name="firstRow"/>.</summary>
    public void Load(SafetensorsFile file, string name, int firstRow, int rows)
    {
        var entry = file.Entry(name);
        if (entry.Shape.Length != 2 || entry.Shape[0] != rows || entry.Shape[1] != Cols)
            throw new CheckpointException($"{file.Path}: tensor '{name}' has shape {entry.ShapeText}, expected [{rows}, {Cols}]");
        if (_single is not null)
        {
            file.ReadFloat32(entry, _single.Span.Slice(firstRow * Cols, rows * Cols));
            return;
        }
        var values = new float[rows * Cols];
        file.ReadFloat32(entry, values);
        Set(firstRow, values, $"{file.Path}: tensor '{name}'");
    }
}

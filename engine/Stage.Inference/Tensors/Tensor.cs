namespace Stage.Inference.Tensors;

/// <summary>
/// A dense float32 tensor: one contiguous row-major buffer plus its shape. The buffer is a plain
/// managed array so kernels can pin it and work on spans; views share the buffer (no copies).
/// </summary>
public sealed class Tensor
{
    readonly float[] _data;
    readonly int _offset;

    public Tensor(params int[] shape) : this(new float[CheckedLength(shape)], 0, shape) { }

    /// <summary>Wraps an existing buffer (no copy); its length must equal the product of the shape.</summary>
    public Tensor(float[] data, params int[] shape) : this(data, 0, shape)
    {
        if (data.Length != CheckedLength(shape))
            throw new ArgumentException($"buffer holds {data.Length} floats but shape {ShapeText(shape)} needs {CheckedLength(shape)}");
    }

    Tensor(float[] data, int offset, int[] shape)
    {
        _data = data;
        _offset = offset;
        Shape = (int[])shape.Clone();
        Length = CheckedLength(shape);
        if (offset + Length > data.Length) throw new ArgumentException("view exceeds its buffer");
    }

    /// <summary>Dimensions, outermost first.</summary>
    public int[] Shape { get; }
    public int Rank => Shape.Length;
    public int Length { get; }
    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    /// <summary>The elements in row-major order.</summary>
    public Span<float> Span => _data.AsSpan(_offset, Length);
    public ReadOnlySpan<float> ReadOnlySpan => _data.AsSpan(_offset, Length);

    /// <summary>The backing array and where this tensor starts in it (for kernels that pin).</summary>
    public float[] Buffer => _data;
    public int Offset => _offset;

    /// <summary>Slice i along the outermost axis, e.g. row i of a matrix or frame i of [T, C].</summary>
    public Span<float> this[int i]
    {
        get
        {
            int inner = Length / Shape[0];
            if ((uint)i >= (uint)Shape[0]) throw new IndexOutOfRangeException($"index {i} outside [0, {Shape[0]})");
            return _data.AsSpan(_offset + i * inner, inner);
        }
    }

    /// <summary>Same buffer, another shape with the same element count (one axis may be -1).</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = (int[])shape.Clone();
        int known = 1, free = -1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1) { if (free >= 0) throw new ArgumentException("only one axis may be -1"); free = i; }
            else known *= s[i];
        }
        if (free >= 0) s[free] = known == 0 ? 0 : Length / known;
        if (CheckedLength(s) != Length)
            throw new ArgumentException($"cannot reshape {ShapeText(Shape)} to {ShapeText(shape)}");
        return new Tensor(_data, _offset, s);
    }

    /// <summary>Rows [start, start+count) along the outermost axis, sharing the buffer.</summary>
    public Tensor Narrow(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) outside [0, {Shape[0]})");
        int inner = Shape[0] == 0 ? 0 : Length / Shape[0];
        var s = (int[])Shape.Clone();
        s[0] = count;
        return new Tensor(_data, _offset + start * inner, s);
    }

    public Tensor Clone() => new(Span.ToArray(), Shape);

    public override string ToString() => $"Tensor{ShapeText(Shape)}";

    public static string ShapeText(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    static int CheckedLength(int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape {ShapeText(shape)}");
            n *= d;
            if (n > int.MaxValue) throw new ArgumentException($"shape {ShapeText(shape)} exceeds 2^31 elements");
        }
        return (int)n;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Stage.Inference.Kernels;

/// <summary>A float array on the pinned object heap, so kernels can keep raw pointers into it for its lifetime.</summary>
public sealed unsafe class PinnedFloats
{
    public PinnedFloats(long length)
    {
        if (length < 0 || length > System.Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(length), length, "unsupported buffer length");
        Array = GC.AllocateArray<float>((int)length, pinned: true);
        Pointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array));
    }

    public float[] Array { get; }
    public float* Pointer { get; }
    public int Length => Array.Length;
    public Span<float> Span => Array;
}

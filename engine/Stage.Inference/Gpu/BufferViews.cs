using ILGPU;
using ILGPU.Runtime;

namespace Stage.Inference.Gpu;

static class BufferViews
{
    /// <summary>The whole buffer as the contiguous view kernels and copies take.</summary>
    public static ArrayView<T> Flat<T>(this MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged => buffer.View;
}

using ILGPU;
using ILGPU.Runtime;

namespace Stage.Inference.Gpu;

/// <summary>
/// <see cref="LmKernels"/> compiled for one accelerator (PTX, OpenCL C or the CPU accelerator's IL), loaded
/// eagerly so a kernel the driver cannot compile fails when the device is opened, not mid-generation.
/// </summary>
sealed class LmKernelSet
{
    /// <param name="groupSize">Threads per group of the grouped kernels, a power of two; by default 128 on a GPU and
    /// 1 on ILGPU's CPU accelerator, which runs a group's threads as OS threads where every barrier costs microseconds
    /// (tests pass 2 there to run the GPU's reductions).</param>
    public LmKernelSet(Accelerator accelerator, int? groupSize = null)
    {
        GroupSize = groupSize ?? (accelerator.AcceleratorType == AcceleratorType.CPU ? 1 : FloorPowerOfTwo(Math.Min(128, accelerator.MaxNumThreadsPerGroup)));
        if (GroupSize < 1 || GroupSize > LmKernels.MaxGroup || (GroupSize & (GroupSize - 1)) != 0 || GroupSize > accelerator.MaxNumThreadsPerGroup)
            throw new ArgumentOutOfRangeException(nameof(groupSize), GroupSize, $"a power of two up to {Math.Min(LmKernels.MaxGroup, accelerator.MaxNumThreadsPerGroup)}");
        Embed = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, RowLayout, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(LmKernels.Embed);
        LayerNorm = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, float>(LmKernels.LayerNorm);
        Linear = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, LinearShape>(LmKernels.Linear);
        Linear16 = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<float>, LinearShape>(LmKernels.Linear16);
        AppendKeysValues = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, RowLayout, long, long, int>(LmKernels.AppendKeysValues);
        Attention = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, AttentionShape>(LmKernels.Attention);
        ScatterLogits = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int>(LmKernels.ScatterLogits);
        Guide = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, float>(LmKernels.Guide);
        Sample = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, SampleShape>(LmKernels.Sample);
    }

    public int GroupSize { get; }

    public Action<Index1D, ArrayView<int>, RowLayout, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> Embed { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, float> LayerNorm { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, LinearShape> Linear { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, LinearShape> Linear16 { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, RowLayout, long, long, int> AppendKeysValues { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, AttentionShape> Attention { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int> ScatterLogits { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, float> Guide { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, SampleShape> Sample { get; }

    /// <summary>y (rows of yStride) = x (rows of xStride)·Wᵀ with <paramref name="mode"/> (<see cref="LinearShape"/>).</summary>
    public void RunLinear(ArrayView<float> x, int xStride, int rows, DeviceMatrix w, ArrayView<float> y, int yStride, int mode)
    {
        if (rows <= 0) return;
        var shape = new LinearShape { In = w.Cols, Out = w.Rows, XStride = xStride, YStride = yStride, Mode = mode, Weights = w.Precision };
        var config = new KernelConfig(checked(w.Rows * rows), GroupSize);
        if (w.Precision == WeightPrecision.Float32) Linear(config, x, w.Floats, y, shape);
        else Linear16(config, x, w.Bits, y, shape);
    }

    static int FloorPowerOfTwo(int n)
    {
        int p = 1;
        while (p * 2 <= n) p *= 2;
        return p;
    }
}

using ILGPU;
using ILGPU.Runtime;
using Stage.Inference.Kernels;
using Stage.Inference.Tensors;

namespace Stage.Inference.Gpu;

/// <summary>
/// <see cref="IComputeBackend"/> on an ILGPU accelerator, so a network written once against the seam (EnCodec's
/// SEANet encoder and decoder, T5) runs on the device with no second copy of its code. Each prepared weight is
/// uploaded on first use and kept (in <see cref="PreparedWeights.DeviceState"/>); activations go up and come back
/// per call, as <see cref="Tensor"/> lives in host memory. Calls are serialised: one accelerator stream.
/// Float32 throughout, so results match the CPU backend to rounding (sums run in another order).
/// </summary>
public sealed class DeviceBackend : IComputeBackend, IDisposable
{
    readonly Accelerator accelerator;
    readonly Lock gate = new();
    readonly List<IDisposable> uploads = [];
    readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape> conv, convTranspose;
    readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> linear;
    readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> lstmStep;
    readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> pointwise;
    readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, int> rows;

    /// <summary>Compiles every kernel now, so a device that cannot run them fails here rather than mid-request.</summary>
    public DeviceBackend(Accelerator accelerator, string name)
    {
        this.accelerator = accelerator;
        Name = name;
        conv = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape>(BackendKernels.Conv1d);
        convTranspose = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape>(BackendKernels.ConvTranspose1d);
        linear = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(BackendKernels.Linear);
        lstmStep = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(BackendKernels.LstmStep);
        pointwise = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(BackendKernels.Pointwise);
        rows = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, int>(BackendKernels.Rows);
    }

    public string Name { get; }

    /// <summary>Bytes of weights uploaded so far.</summary>
    public long WeightBytes { get; private set; }

    /// <summary>A weight matrix [out, in] and its bias on the device.</summary>
    sealed record DeviceLinear(DeviceBackend Owner, MemoryBuffer1D<float, Stride1D.Dense> Weight, MemoryBuffer1D<float, Stride1D.Dense> Bias);

    DeviceLinear Upload(LinearWeights w)
    {
        if (w.DeviceState is DeviceLinear mine && mine.Owner == this) return mine;
        var weight = accelerator.Allocate1D(w.RowMajor());
        var bias = accelerator.Allocate1D(w.Bias);
        uploads.Add(weight);
        uploads.Add(bias);
        WeightBytes += weight.LengthInBytes + bias.LengthInBytes;
        var uploaded = new DeviceLinear(this, weight, bias);
        w.DeviceState = uploaded;
        return uploaded;
    }

    MemoryBuffer1D<float, Stride1D.Dense> UploadNorm(NormWeights w, bool bias)
    {
        var key = bias ? "bias" : "weight";
        if (w.DeviceState is Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> kept && kept.TryGetValue(key, out var buffer)) return buffer;
        var values = bias ? w.Bias ?? new float[w.Dim] : w.Weight;
        buffer = accelerator.Allocate1D(values);
        uploads.Add(buffer);
        WeightBytes += buffer.LengthInBytes;
        var dictionary = w.DeviceState as Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> ?? [];
        dictionary[key] = buffer;
        w.DeviceState = dictionary;
        return buffer;
    }

    MemoryBuffer1D<float, Stride1D.Dense> In(ReadOnlySpan<float> host)
    {
        var buffer = accelerator.Allocate1D<float>(Math.Max(1, host.Length));
        if (!host.IsEmpty) buffer.View.AsContiguous().SubView(0, host.Length).CopyFromCPU(host);
        return buffer;
    }

    void Out(MemoryBuffer1D<float, Stride1D.Dense> buffer, Span<float> host)
    {
        accelerator.Synchronize();
        if (!host.IsEmpty) buffer.View.AsContiguous().SubView(0, host.Length).CopyToCPU(host);
    }

    public void Linear(Tensor x, LinearWeights w, Tensor y, bool accumulate = false)
    {
        int count = x.Length / w.InFeatures;
        if (count * w.InFeatures != x.Length) throw new ArgumentException($"{x} is not rows of {w.InFeatures}");
        int outputs = count * w.OutFeatures;
        lock (gate)
        {
            accelerator.Bind();   // the calling thread may not be the one that opened the device
            var d = Upload(w);
            using var xs = In(x.ReadOnlySpan);
            using var ys = accumulate ? In(y.ReadOnlySpan[..outputs]) : accelerator.Allocate1D<float>(Math.Max(1, outputs));
            if (outputs > 0) linear(outputs, xs.View, d.Weight.View, d.Bias.View, ys.View, w.InFeatures, w.OutFeatures, accumulate ? 1 : 0);
            Out(ys, y.Span[..outputs]);
        }
    }

    public void Conv1d(Tensor x, Conv1dWeights w, int padLeft, int padRight, PaddingMode mode, Tensor y, bool eluInput = false, bool accumulate = false)
    {
        int length = x.Dim(0);
        if (mode == PaddingMode.Reflect && length == 0 && (padLeft > 0 || padRight > 0)) throw new ArgumentException("cannot reflect-pad an empty signal");
        int outLength = Kernels.Conv1d.OutputLength(padLeft + length + padRight, w);
        int maxPad = Math.Max(padLeft, padRight);
        var shape = new ConvShape
        {
            Length = length, In = w.InChannels, Out = w.OutChannels, Kernel = w.KernelSize, Stride = w.Stride, Dilation = w.Dilation,
            PadLeft = padLeft, OutLength = outLength,
            ReflectExtent = mode == PaddingMode.Reflect ? length + (length <= maxPad ? maxPad - length + 1 : 0) : 0,
            EluInput = eluInput ? 1 : 0, Accumulate = accumulate ? 1 : 0,
        };
        int outputs = outLength * w.OutChannels;
        if (y.Length < outputs) throw new ArgumentException($"y holds {y.Length} floats, expected [{outLength}, {w.OutChannels}]");
        lock (gate)
        {
            accelerator.Bind();   // the calling thread may not be the one that opened the device
            var d = Upload(w.Gemm);
            using var xs = In(x.ReadOnlySpan[..(length * w.InChannels)]);
            using var ys = accumulate ? In(y.ReadOnlySpan[..outputs]) : accelerator.Allocate1D<float>(Math.Max(1, outputs));
            if (outputs > 0) conv(outputs, xs.View, d.Weight.View, d.Bias.View, ys.View, shape);
            Out(ys, y.Span[..outputs]);
        }
    }

    public void ConvTranspose1d(Tensor x, ConvTranspose1dWeights w, int trimLeft, int trimRight, Tensor y, bool eluInput = false)
    {
        int length = x.Dim(0);
        int outLength = Kernels.ConvTranspose1d.FullLength(length, w) - trimLeft - trimRight;
        if (outLength <= 0) return;
        int outputs = outLength * w.OutChannels;
        if (y.Length < outputs) throw new ArgumentException($"y holds {y.Length} floats, expected [{outLength}, {w.OutChannels}]");
        var shape = new ConvShape
        {
            Length = length, In = w.InChannels, Out = w.OutChannels, Kernel = w.KernelSize, Stride = w.Stride, Taps = w.Taps,
            TrimLeft = trimLeft, OutLength = outLength, EluInput = eluInput ? 1 : 0,
        };
        lock (gate)
        {
            accelerator.Bind();   // the calling thread may not be the one that opened the device
            var d = Upload(w.Gemm);
            using var xs = In(x.ReadOnlySpan[..(length * w.InChannels)]);
            using var ys = accelerator.Allocate1D<float>(outputs);
            convTranspose(outputs, xs.View, d.Weight.View, d.Bias.View, ys.View, shape);
            Out(ys, y.Span[..outputs]);
        }
    }

    public void Lstm(Tensor x, LstmWeights w, Tensor y, LstmState? state = null)
    {
        int length = x.Dim(0), h = w.HiddenSize, gates = 4 * h;
        if (y.Length < length * h) throw new ArgumentException($"y holds {y.Length} floats, expected [{length}, {h}]");
        if (length == 0) return;
        bool carried = state is not null && state.Frames > 0;
        lock (gate)
        {
            accelerator.Bind();   // the calling thread may not be the one that opened the device
            var input = In(x.ReadOnlySpan[..(length * w.InputSize)]);
            var inputView = input.View;
            using var all = accelerator.Allocate1D<float>(length * gates);
            using var cell = accelerator.Allocate1D<float>(h);
            try
            {
                for (int l = 0; l < w.Layers; l++)
                {
                    var projection = Upload(w.Input[l]);
                    var recurrent = Upload(w.Recurrent[l]);
                    linear(length * gates, inputView, projection.Weight.View, projection.Bias.View, all.View, w.Input[l].InFeatures, gates, 0);
                    // Row 0 holds h before the first frame (the carried state), step t writes row t + 1.
                    var outputs = accelerator.Allocate1D<float>((length + 1) * h);
                    if (carried)
                    {
                        outputs.View.SubView(0, h).CopyFromCPU(state!.Hidden[l]);
                        cell.View.CopyFromCPU(state.Cell[l]);
                    }
                    for (int t = 0; t < length; t++) lstmStep(h, all.View, recurrent.Weight.View, cell.View, outputs.View, h, t, carried || t > 0 ? 1 : 0);
                    input.Dispose();
                    input = outputs;
                    inputView = outputs.View.SubView(h, length * h);
                    if (state is not null)
                    {
                        accelerator.Synchronize();
                        outputs.View.SubView((long)length * h, h).CopyToCPU(state.Hidden[l]);
                        cell.View.CopyToCPU(state.Cell[l]);
                    }
                }
                accelerator.Synchronize();
                inputView.AsContiguous().SubView(0, length * h).CopyToCPU(y.Span[..(length * h)]);
                if (state is not null) state.Frames += length;
            }
            finally { input.Dispose(); }
        }
    }

    public void LayerNorm(Tensor x, Tensor y, NormWeights w, float eps) => RowOp(x, y, w, eps, 0);

    public void RmsNorm(Tensor x, Tensor y, NormWeights w, float eps) => RowOp(x, y, w, eps, 1);

    public void Softmax(Tensor x, Tensor y) => RowOp(x, y, null, 0, 2);

    void RowOp(Tensor x, Tensor y, NormWeights? w, float eps, int op)
    {
        int dim = w?.Dim ?? x.Dim(-1);
        int count = x.Length / dim;
        lock (gate)
        {
            accelerator.Bind();   // the calling thread may not be the one that opened the device
            using var xs = In(x.ReadOnlySpan);
            using var ys = accelerator.Allocate1D<float>(Math.Max(1, x.Length));
            using var none = accelerator.Allocate1D<float>(1);
            var weight = w is null ? none : UploadNorm(w, bias: false);
            var bias = w is null ? none : UploadNorm(w, bias: true);
            if (count > 0) rows(count, xs.View, weight.View, bias.View, ys.View, dim, eps, op);
            Out(ys, y.Span[..x.Length]);
        }
    }

    public void Gelu(Tensor x, Tensor y) => Pointwise(x, null, y, 1);

    public void Relu(Tensor x, Tensor y) => Pointwise(x, null, y, 2);

    public void Elu(Tensor x, Tensor y) => Pointwise(x, null, y, 0);

    public void Add(Tensor a, Tensor b, Tensor y) => Pointwise(a, b, y, 3);

    void Pointwise(Tensor a, Tensor? b, Tensor y, int op)
    {
        if (b is not null && b.Length != a.Length) throw new ArgumentException($"{a} and {b} differ in length");
        lock (gate)
        {
            accelerator.Bind();   // the calling thread may not be the one that opened the device
            using var xs = In(a.ReadOnlySpan);
            using var bs = b is null ? accelerator.Allocate1D<float>(1) : In(b.ReadOnlySpan);
            using var ys = accelerator.Allocate1D<float>(Math.Max(1, a.Length));
            if (a.Length > 0) pointwise(a.Length, xs.View, bs.View, ys.View, op);
            Out(ys, y.Span[..a.Length]);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            accelerator.Bind();   // the calling thread may not be the one that opened the device
            foreach (var upload in uploads) upload.Dispose();
            uploads.Clear();
        }
    }
}

using Stage.Inference.Tensors;

namespace Stage.Inference.Kernels;

/// <summary>The CPU implementation of <see cref="IComputeBackend"/>: the vectorised, multi-threaded span kernels.</summary>
public sealed class CpuBackend : IComputeBackend
{
    public static CpuBackend Instance { get; } = new();

    CpuBackend() { }

    public string Name => $"cpu ({KernelThreads.Count} threads)";

    public void Linear(Tensor x, LinearWeights w, Tensor y, bool accumulate = false)
    {
        int rows = x.Length / w.InFeatures;
        if (rows * w.InFeatures != x.Length) throw new ArgumentException($"{x} is not rows of {w.InFeatures}");
        MatMul.Linear(x.ReadOnlySpan, rows, w, y.Span, accumulate);
    }

    public void Conv1d(Tensor x, Conv1dWeights w, int padLeft, int padRight, PaddingMode mode, Tensor y, bool eluInput = false, bool accumulate = false)
        => Kernels.Conv1d.Forward(x.ReadOnlySpan, x.Dim(0), w, padLeft, padRight, mode, y.Span, eluInput, accumulate);

    public void ConvTranspose1d(Tensor x, ConvTranspose1dWeights w, int trimLeft, int trimRight, Tensor y, bool eluInput = false)
        => Kernels.ConvTranspose1d.Forward(x.ReadOnlySpan, x.Dim(0), w, trimLeft, trimRight, y.Span, eluInput);

    public void Lstm(Tensor x, LstmWeights w, Tensor y, LstmState? state = null) => Kernels.Lstm.Forward(x.ReadOnlySpan, x.Dim(0), w, y.Span, state);

    public void LayerNorm(Tensor x, Tensor y, NormWeights w, float eps) => Norms.LayerNorm(x.ReadOnlySpan, y.Span, w.Dim, w.Weight, w.Bias, eps);

    public void RmsNorm(Tensor x, Tensor y, NormWeights w, float eps) => Norms.RmsNorm(x.ReadOnlySpan, y.Span, w.Dim, w.Weight, eps);

    public void Gelu(Tensor x, Tensor y) => Activations.Gelu(x.ReadOnlySpan, y.Span);

    public void Relu(Tensor x, Tensor y) => Activations.Relu(x.ReadOnlySpan, y.Span);

    public void Elu(Tensor x, Tensor y) => Activations.Elu(x.ReadOnlySpan, y.Span);

    public void Softmax(Tensor x, Tensor y) => Kernels.Softmax.Rows(x.ReadOnlySpan, y.Span, x.Dim(-1));

    public void Add(Tensor a, Tensor b, Tensor y) => Elementwise.Add(a.ReadOnlySpan, b.ReadOnlySpan, y.Span);
}

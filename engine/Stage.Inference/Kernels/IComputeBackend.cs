using Stage.Inference.Tensors;

namespace Stage.Inference.Kernels;

/// <summary>
/// The seam between models and the hardware: the op groups a network calls once per layer (never per
/// element). Models hold an <see cref="IComputeBackend"/> and pass it tensors plus weights prepared
/// at load time (<see cref="LinearWeights"/>, <see cref="Conv1dWeights"/>, …). <see cref="CpuBackend"/>
/// runs the span kernels in this folder; a GPU backend would implement the same calls, keeping its
/// uploaded copy of each prepared weight in <see cref="PreparedWeights.DeviceState"/> and its own
/// storage behind <see cref="Tensor"/>.
/// </summary>
public interface IComputeBackend
{
    string Name { get; }

    /// <summary>y[rows, out] = x[rows, in]·Wᵀ + b (or y += … when accumulate); rows = x.Length / in.</summary>
    void Linear(Tensor x, LinearWeights w, Tensor y, bool accumulate = false);

    /// <summary>Time-major conv: x [T, in] padded (left, right) → y [T', out]; ELU on the input when eluInput.</summary>
    void Conv1d(Tensor x, Conv1dWeights w, int padLeft, int padRight, PaddingMode mode, Tensor y, bool eluInput = false, bool accumulate = false);

    /// <summary>Time-major transposed conv: x [T, in] → y [(T−1)·s + k − trims, out].</summary>
    void ConvTranspose1d(Tensor x, ConvTranspose1dWeights w, int trimLeft, int trimRight, Tensor y, bool eluInput = false);

    /// <summary>Stacked LSTM over frames: x [T, in] → y [T, hidden], from zero state or continuing <paramref name="state"/> (which it advances).</summary>
    void Lstm(Tensor x, LstmWeights w, Tensor y, LstmState? state = null);

    /// <summary>LayerNorm over the last axis (x and y may be the same tensor).</summary>
    void LayerNorm(Tensor x, Tensor y, NormWeights w, float eps);

    /// <summary>RMSNorm over the last axis (T5; NormWeights.Bias unused).</summary>
    void RmsNorm(Tensor x, Tensor y, NormWeights w, float eps);

    void Gelu(Tensor x, Tensor y);
    void Relu(Tensor x, Tensor y);
    void Elu(Tensor x, Tensor y);

    /// <summary>Stable softmax over the last axis.</summary>
    void Softmax(Tensor x, Tensor y);

    /// <summary>y = a + b (same shapes).</summary>
    void Add(Tensor a, Tensor b, Tensor y);
}

/// <summary>Weights prepared once for a backend; a device backend may attach its uploaded copy here.</summary>
public abstract class PreparedWeights
{
    /// <summary>Backend-owned state (e.g. a GPU buffer); null for the CPU backend.</summary>
    public object? DeviceState { get; set; }
}

/// <summary>Weight (and optional bias) of a normalisation over the last axis.</summary>
public sealed class NormWeights(float[] weight, float[]? bias = null) : PreparedWeights
{
    public float[] Weight { get; } = weight;
    public float[]? Bias { get; } = bias;
    public int Dim => Weight.Length;
}

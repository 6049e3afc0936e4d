namespace Stage.Inference.Kernels;

/// <summary>
/// A stacked unidirectional nn.LSTM: per layer the input projection (W_ih with b_ih + b_hh folded
/// into one bias, run as one GEMM over all frames) and the recurrent projection W_hh (run per
/// frame). Gate order i, f, g, o as PyTorch stores them.
/// </summary>
public sealed class LstmWeights : PreparedWeights
{
    LstmWeights(int inputSize, int hiddenSize, LinearWeights[] input, LinearWeights[] recurrent)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Input = input;
        Recurrent = recurrent;
    }

    public int InputSize { get; }
    public int HiddenSize { get; }
    public int Layers => Input.Length;
    internal LinearWeights[] Input { get; }
    internal LinearWeights[] Recurrent { get; }

    /// <summary>
    /// The same LSTM with its projections kept as bfloat16 (see <see cref="LinearWeights.ToBFloat16"/>); the recurrent step,
    /// one frame's product with all of W_hh, then reads half the bytes.
    /// </summary>
    public LstmWeights ToBFloat16() =>
        new(InputSize, HiddenSize, Array.ConvertAll(Input, w => w.ToBFloat16()), Array.ConvertAll(Recurrent, w => w.ToBFloat16()));

    /// <summary>One layer's PyTorch parameters: weight_ih [4H, in], weight_hh [4H, H], bias_ih [4H], bias_hh [4H].</summary>
    public readonly record struct Layer(float[] WeightIh, float[] WeightHh, float[] BiasIh, float[] BiasHh);

    public static LstmWeights FromPyTorch(int inputSize, int hiddenSize, IReadOnlyList<Layer> layers)
    {
        if (layers.Count == 0) throw new ArgumentException("an LSTM needs at least one layer");
        int gates = 4 * hiddenSize;
        var input = new LinearWeights[layers.Count];
        var recurrent = new LinearWeights[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            int inSize = l == 0 ? inputSize : hiddenSize;
            var p = layers[l];
            if (p.WeightIh.Length != gates * inSize || p.WeightHh.Length != gates * hiddenSize || p.BiasIh.Length != gates || p.BiasHh.Length != gates)
                throw new ArgumentException($"LSTM layer {l}: parameter sizes do not match input {inSize}, hidden {hiddenSize}");
            var bias = new float[gates];
            for (int i = 0; i < gates; i++) bias[i] = p.BiasIh[i] + p.BiasHh[i];
            input[l] = LinearWeights.FromRows(p.WeightIh, gates, inSize, bias);
            recurrent[l] = LinearWeights.FromRows(p.WeightHh, gates, hiddenSize);
        }
        return new LstmWeights(inputSize, hiddenSize, input, recurrent);
    }
}

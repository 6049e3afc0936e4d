using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Tensors;

namespace Stage.Inference.Models.EnCodec;

/// <summary>SLSTM: a stacked LSTM over the frames with a skip connection, y = LSTM(x) + x.</summary>
sealed class SeanetLstm
{
    readonly IComputeBackend _backend;
    readonly LstmWeights _weights;

    SeanetLstm(IComputeBackend backend, LstmWeights weights)
    {
        _backend = backend;
        _weights = weights;
    }

    public static SeanetLstm Load(IComputeBackend backend, SafetensorsFile file, string prefix, int dim, int layers, bool bfloat16)
    {
        var parameters = new LstmWeights.Layer[layers];
        for (int l = 0; l < layers; l++)
        {
            string P(string kind) => StageCheckpointLayout.Encodec.LstmParameter(prefix, kind, l);
            parameters[l] = new LstmWeights.Layer(
                file.ReadFloat32(P("weight_ih"), 4 * dim, dim),
                file.ReadFloat32(P("weight_hh"), 4 * dim, dim),
                file.ReadFloat32(P("bias_ih"), 4 * dim),
                file.ReadFloat32(P("bias_hh"), 4 * dim));
        }
        var weights = LstmWeights.FromPyTorch(dim, dim, parameters);
        return new SeanetLstm(backend, bfloat16 ? weights.ToBFloat16() : weights);
    }

    /// <summary>A fresh state for running a sequence in pieces.</summary>
    public LstmState NewState() => new(_weights);

    /// <param name="state">Where the previous piece of the sequence ended (advanced past x); null for a whole sequence.</param>
    public Tensor Forward(Tensor x, LstmState? state = null)
    {
        var y = new Tensor(x.Shape);
        _backend.Lstm(x, _weights, y, state);
        _backend.Add(y, x, y);
        return y;
    }
}

using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Tensors;
using Layout = Stage.Inference.Checkpoints.StageCheckpointLayout.Encodec;

namespace Stage.Inference.Models.EnCodec;

/// <summary>
/// SEANet encoder (model-spec §4.2): conv k7 → per ratio in reverse order [residual blocks, ELU,
/// strided conv k = 2·ratio doubling the channels] → LSTM + skip → ELU → conv k7 to the latent
/// dimension. Signals are time-major [frames, channels]; audio [L, 1] becomes [ceil(L/hop), dim].
/// </summary>
sealed class SeanetEncoder
{
    readonly SeanetConv1d _input;
    readonly Stage[] _stages;
    readonly SeanetLstm _lstm;
    readonly SeanetConv1d _output;

    sealed record Stage(int Index, SeanetResidualBlock[] Blocks, SeanetConv1d Downsample);

    SeanetEncoder(SeanetConv1d input, Stage[] stages, SeanetLstm lstm, SeanetConv1d output)
    {
        _input = input;
        _stages = stages;
        _lstm = lstm;
        _output = output;
    }

    public static SeanetEncoder Load(IComputeBackend backend, SafetensorsFile file, EncodecConfig c)
    {
        var pad = c.PadMode == "reflect" ? PaddingMode.Reflect : PaddingMode.Zero;
        int i = 0;
        int channels = c.NFilters;
        var input = SeanetConv1d.Load(backend, file, Layout.EncoderConv(i++), c.Channels, channels, c.KernelSize, 1, 1, pad);
        var stages = new List<Stage>();
        foreach (int ratio in c.Ratios.Reverse())
        {
            var blocks = new SeanetResidualBlock[c.NResidualLayers];
            for (int j = 0; j < c.NResidualLayers; j++)
            {
                int index = i++;
                blocks[j] = SeanetResidualBlock.Load(backend, file, n => Layout.EncoderResidualConv(index, n), channels, channels / c.Compress,
                    c.ResidualKernelSize, (int)Math.Pow(c.DilationBase, j), pad);
            }
            i++; // ELU
            int convIndex = i++;
            var down = SeanetConv1d.Load(backend, file, Layout.EncoderConv(convIndex), channels, channels * 2, 2 * ratio, ratio, 1, pad);
            stages.Add(new Stage(convIndex, blocks, down));
            channels *= 2;
        }
        var lstm = SeanetLstm.Load(backend, file, Layout.EncoderLstm(i++), channels, c.LstmLayers);
        i++; // ELU
        var output = SeanetConv1d.Load(backend, file, Layout.EncoderConv(i), channels, c.Dimension, c.LastKernelSize, 1, 1, pad);
        return new SeanetEncoder(input, stages.ToArray(), lstm, output);
    }

    public int LstmIndex => _stages[^1].Index + 1;

    /// <param name="trace">Optional observer of the module outputs (valid during the call only; clone to keep), keyed "encoder.model.{i}" as in the reference.</param>
    public Tensor Forward(Tensor audio, Action<string, Tensor>? trace = null)
    {
        var x = _input.Forward(audio, eluInput: false);
        foreach (var stage in _stages)
        {
            foreach (var block in stage.Blocks) block.ForwardInPlace(x);
            x = stage.Downsample.Forward(x, eluInput: true);
            trace?.Invoke($"encoder.model.{stage.Index}", x);
        }
        x = _lstm.Forward(x);
        trace?.Invoke($"encoder.model.{LstmIndex}", x);
        return _output.Forward(x, eluInput: true);
    }
}

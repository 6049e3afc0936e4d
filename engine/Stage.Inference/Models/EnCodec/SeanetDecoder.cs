using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Tensors;
using Layout = Stage.Inference.Checkpoints.StageCheckpointLayout.Encodec;

namespace Stage.Inference.Models.EnCodec;

/// <summary>
/// SEANet decoder (model-spec §4.3): conv k7 from the latent → LSTM + skip → per ratio [ELU,
/// transposed conv k = 2·ratio halving the channels, residual blocks] → ELU → conv k7 to audio.
/// No final activation. [T, dim] becomes [T·hop, 1].
/// </summary>
sealed class SeanetDecoder
{
    readonly SeanetConv1d _input;
    readonly SeanetLstm _lstm;
    readonly Stage[] _stages;
    readonly SeanetConv1d _output;

    sealed record Stage(int Index, SeanetConvTranspose1d Upsample, SeanetResidualBlock[] Blocks);

    SeanetDecoder(SeanetConv1d input, SeanetLstm lstm, Stage[] stages, SeanetConv1d output)
    {
        _input = input;
        _lstm = lstm;
        _stages = stages;
        _output = output;
    }

    public static SeanetDecoder Load(IComputeBackend backend, SafetensorsFile file, EncodecConfig c, bool bfloat16)
    {
        var pad = c.PadMode == "reflect" ? PaddingMode.Reflect : PaddingMode.Zero;
        int channels = c.NFilters << c.Ratios.Length;
        int i = 0;
        var input = SeanetConv1d.Load(backend, file, Layout.DecoderConv(i++), c.Dimension, channels, c.KernelSize, 1, 1, pad, bfloat16);
        var lstm = SeanetLstm.Load(backend, file, Layout.DecoderLstm(i++), channels, c.LstmLayers, bfloat16);
        var stages = new List<Stage>();
        foreach (int ratio in c.Ratios)
        {
            i++; // ELU
            int convIndex = i++;
            var up = SeanetConvTranspose1d.Load(backend, file, Layout.DecoderTransposedConv(convIndex), channels, channels / 2, 2 * ratio, ratio, bfloat16);
            channels /= 2;
            var blocks = new SeanetResidualBlock[c.NResidualLayers];
            for (int j = 0; j < c.NResidualLayers; j++)
            {
                int index = i++;
                blocks[j] = SeanetResidualBlock.Load(backend, file, n => Layout.DecoderResidualConv(index, n), channels, channels / c.Compress,
                    c.ResidualKernelSize, (int)Math.Pow(c.DilationBase, j), pad, bfloat16);
            }
            stages.Add(new Stage(convIndex, up, blocks));
        }
        i++; // ELU
        var output = SeanetConv1d.Load(backend, file, Layout.DecoderConv(i), channels, c.Channels, c.LastKernelSize, 1, 1, pad, bfloat16);
        return new SeanetDecoder(input, lstm, stages.ToArray(), output);
    }

    /// <param name="trace">Optional observer of module outputs (valid during the call only; clone to keep), keyed "decoder.model.{i}" as in the reference.</param>
    public Tensor Forward(Tensor latent, Action<string, Tensor>? trace = null)
    {
        var x = Input(latent);
        trace?.Invoke("decoder.model.0", x);
        x = Memory(x);
        trace?.Invoke("decoder.model.1", x);
        return Upsample(x, trace);
    }

    /// <summary>Channels between the first conv and the upsampling stack (the LSTM's width).</summary>
    public int Channels => _input.OutChannels;

    /// <summary>The first conv: latent [T, dim] → [T, channels].</summary>
    public Tensor Input(Tensor latent) => _input.Forward(latent, eluInput: false);

    /// <summary>Latent frames the first conv looks ahead: the codes a frame's audio waits for.</summary>
    public int InputLookahead => _input.Lookahead;

    /// <summary>Latent frames the first conv looks back.</summary>
    public int InputLookback => _input.Span - _input.Lookahead;

    /// <summary>The LSTM and its skip; with a state, continuing the sequence it ended.</summary>
    public Tensor Memory(Tensor x, LstmState? state = null) => _lstm.Forward(x, state);

    public LstmState NewMemoryState() => _lstm.NewState();

    /// <summary>Everything after the LSTM: [T, channels] → [T·hop, 1].</summary>
    public Tensor Upsample(Tensor x, Action<string, Tensor>? trace = null)
    {
        foreach (var stage in _stages)
        {
            x = stage.Upsample.Forward(x, eluInput: true);
            trace?.Invoke($"decoder.model.{stage.Index}", x);
            foreach (var block in stage.Blocks) block.ForwardInPlace(x);
        }
        return _output.Forward(x, eluInput: true);
    }

    /// <summary>
    /// LSTM frames, either side of a frame, that its audio from <see cref="Upsample"/> depends on: each conv's reach at
    /// its own rate, carried back through every transposed conv (1 frame for EnCodec 32 kHz).
    /// </summary>
    public int UpsampleReach
    {
        get
        {
            int reach = _output.Reach;
            for (int s = _stages.Length - 1; s >= 0; s--)
            {
                foreach (var block in _stages[s].Blocks) reach += block.Reach;
                reach = _stages[s].Upsample.InputReach(reach);
            }
            return reach;
        }
    }
}

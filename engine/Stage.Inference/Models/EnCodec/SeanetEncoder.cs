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

    public static SeanetEncoder Load(IComputeBackend backend, SafetensorsFile file, EncodecConfig c, bool bfloat16)
    {
        var pad = c.PadMode == "reflect" ? PaddingMode.Reflect : PaddingMode.Zero;
        int i = 0;
        int channels = c.NFilters;
        var input = SeanetConv1d.Load(backend, file, Layout.EncoderConv(i++), c.Channels, channels, c.KernelSize, 1, 1, pad, bfloat16);
        var stages = new List<Stage>();
        foreach (int ratio in c.Ratios.Reverse())
        {
            var blocks = new SeanetResidualBlock[c.NResidualLayers];
            for (int j = 0; j < c.NResidualLayers; j++)
            {
                int index = i++;
                blocks[j] = SeanetResidualBlock.Load(backend, file, n => Layout.EncoderResidualConv(index, n), channels, channels / c.Compress,
                    c.ResidualKernelSize, (int)Math.Pow(c.DilationBase, j), pad, bfloat16);
            }
            i++; // ELU
            int convIndex = i++;
            var down = SeanetConv1d.Load(backend, file, Layout.EncoderConv(convIndex), channels, channels * 2, 2 * ratio, ratio, 1, pad, bfloat16);
            stages.Add(new Stage(convIndex, blocks, down));
            channels *= 2;
        }
        var lstm = SeanetLstm.Load(backend, file, Layout.EncoderLstm(i++), channels, c.LstmLayers, bfloat16);
        i++; // ELU
        var output = SeanetConv1d.Load(backend, file, Layout.EncoderConv(i), channels, c.Dimension, c.LastKernelSize, 1, 1, pad, bfloat16);
        return new SeanetEncoder(input, stages.ToArray(), lstm, output);
    }

    public int LstmIndex => _stages[^1].Index + 1;

    /// <param name="trace">Optional observer of the module outputs (valid during the call only; clone to keep), keyed "encoder.model.{i}" as in the reference.</param>
    public Tensor Forward(Tensor audio, Action<string, Tensor>? trace = null)
    {
        var x = Downsample(audio, trace);
        return Finish(x, trace);
    }

    /// <summary>
    /// As <see cref="Forward"/>, with the convolutions before the LSTM run over windows of <paramref name="windowFrames"/>
    /// frames and a margin of <see cref="DownsampleReach"/> samples either side, so that a long signal's activations at
    /// the audio rate (64 channels at 32 kHz: 82 MB for 10 s, several alive at once) are a window's, not the signal's.
    /// Windows start on frame boundaries, so every strided conv sees the same phases and paddings as in the whole pass
    /// and the latent is bit for bit the same.
    /// </summary>
    public Tensor ForwardInWindows(ReadOnlySpan<float> audio, int windowFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowFrames, 1);
        int hop = Hop, length = audio.Length;
        int frames = (length + hop - 1) / hop;
        int margin = (DownsampleReach + hop - 1) / hop;   // in frames, so windows stay aligned to them
        if (frames <= windowFrames + 2 * margin) return Forward(new Tensor(audio.ToArray(), length, 1));

        Tensor? downsampled = null;
        for (int a = 0; a < frames; a += windowFrames)
        {
            int b = Math.Min(frames, a + windowFrames);
            int from = Math.Max(0, a - margin) * hop, to = Math.Min(length, (b + margin) * hop);
            var window = Downsample(new Tensor(audio[from..to].ToArray(), to - from, 1));
            downsampled ??= new Tensor(frames, window.Dim(1));
            window.Narrow(a - from / hop, b - a).ReadOnlySpan.CopyTo(downsampled.Narrow(a, b - a).Span);
        }
        return Finish(downsampled!);
    }

    int Hop
    {
        get
        {
            int hop = 1;
            foreach (var stage in _stages) hop *= stage.Downsample.Stride;
            return hop;
        }
    }

    /// <summary>
    /// Samples either side of a frame's own that its <see cref="Downsample"/> output can depend on (an upper bound):
    /// each conv's span at its rate, carried back through every strided conv.
    /// </summary>
    public int DownsampleReach
    {
        get
        {
            int reach = 0;
            for (int s = _stages.Length - 1; s >= 0; s--)
            {
                var down = _stages[s].Downsample;
                reach = reach * down.Stride + down.Span;
                foreach (var block in _stages[s].Blocks) reach += block.Reach;
            }
            return reach + _input.Reach;
        }
    }

    /// <summary>Audio [L, 1] → the LSTM's input [ceil(L / hop), channels].</summary>
    Tensor Downsample(Tensor audio, Action<string, Tensor>? trace = null)
    {
        var x = _input.Forward(audio, eluInput: false);
        foreach (var stage in _stages)
        {
            foreach (var block in stage.Blocks) block.ForwardInPlace(x);
            x = stage.Downsample.Forward(x, eluInput: true);
            trace?.Invoke($"encoder.model.{stage.Index}", x);
        }
        return x;
    }

    /// <summary>The LSTM and its skip, then ELU and the last conv to the latent.</summary>
    Tensor Finish(Tensor x, Action<string, Tensor>? trace = null)
    {
        x = _lstm.Forward(x);
        trace?.Invoke($"encoder.model.{LstmIndex}", x);
        return _output.Forward(x, eluInput: true);
    }
}

namespace Stage.Inference.Kernels;

/// <summary>
/// Where a stacked LSTM stopped: each layer's last hidden output h and cell c. Handing it to the next call continues
/// the sequence exactly, so a stream of frames can be run in pieces (EnCodec's streamed decode).
/// </summary>
public sealed class LstmState
{
    public LstmState(int layers, int hiddenSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        Hidden = new float[layers][];
        Cell = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            Hidden[l] = new float[hiddenSize];
            Cell[l] = new float[hiddenSize];
        }
    }

    public LstmState(LstmWeights w) : this(w.Layers, w.HiddenSize) { }

    /// <summary>Per layer, h after the last frame run.</summary>
    public float[][] Hidden { get; }

    /// <summary>Per layer, c after the last frame run.</summary>
    public float[][] Cell { get; }

    /// <summary>Frames run so far; at zero the state is PyTorch's zero initial state.</summary>
    public long Frames { get; internal set; }

    internal void Check(LstmWeights w)
    {
        if (Hidden.Length != w.Layers || Hidden[0].Length != w.HiddenSize)
            throw new ArgumentException($"LSTM state of {Hidden.Length} × {Hidden[0].Length} does not fit {w.Layers} layers of {w.HiddenSize}");
    }
}

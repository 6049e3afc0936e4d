using Stage.Inference.Kernels;
using Stage.Inference.Tensors;

namespace Stage.Inference.Models.EnCodec;

/// <summary>
/// EnCodec's decoder run on a sequence whose codes are still arriving, giving each frame the audio the whole-sequence
/// decode gives it. The decoder is not causal, but only its LSTM remembers without limit: the LSTM runs once over the
/// frames, carrying its state from piece to piece, and the convolutions around it, which each see a few frames either
/// side, run over windows wide enough that the kept middle never sees a window's edge.
/// </summary>
/// <remarks>
/// A frame's audio therefore waits for the first conv's look-ahead (3 frames) plus the upsampling stack's reach
/// (1 frame for EnCodec 32 kHz): 0.08 s behind the LM. The cost over one whole decode is the windows' margins.
/// </remarks>
public sealed class EncodecDecodeStream : IFrameDecoder
{
    readonly ResidualVectorQuantizer _quantizer;
    readonly SeanetDecoder _decoder;
    readonly CodeMatrix _codes;
    readonly Tensor _latent;    // [total, dimension]
    readonly Tensor _memory;    // the LSTM's output with its skip, [total, channels]
    readonly LstmState _state;
    readonly int _lookahead, _lookback, _reach;
    int _frames, _dequantized, _remembered, _decoded;

    internal EncodecDecodeStream(ResidualVectorQuantizer quantizer, SeanetDecoder decoder, int codebooks, int hopLength, int totalFrames)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalFrames);
        _quantizer = quantizer;
        _decoder = decoder;
        HopLength = hopLength;
        _codes = new CodeMatrix(codebooks, totalFrames);
        _latent = new Tensor(totalFrames, quantizer.Dimension);
        _memory = new Tensor(totalFrames, decoder.Channels);
        _state = decoder.NewMemoryState();
        _lookahead = decoder.InputLookahead;
        _lookback = decoder.InputLookback;
        _reach = decoder.UpsampleReach;
    }

    public int Codebooks => _codes.Codebooks;
    public int HopLength { get; }
    public int TotalFrames => _codes.Frames;
    public int Frames => _frames;
    public int DecodedFrames => _decoded;

    /// <summary>Codes frames that have been through the LSTM can be: all of them at the end, else those the first conv needs no more codes for.</summary>
    int Rememberable => _frames == TotalFrames ? TotalFrames : Math.Max(0, _frames - _lookahead);

    public int SettledFrames
    {
        get
        {
            int remembered = Rememberable;
            return remembered == TotalFrames ? TotalFrames : Math.Max(0, remembered - _reach);
        }
    }

    public void Add(ReadOnlySpan<int> frameCodes)
    {
        if (frameCodes.Length != Codebooks) throw new ArgumentException($"a frame has {Codebooks} codes, got {frameCodes.Length}");
        if (_frames == TotalFrames) throw new InvalidOperationException($"all {TotalFrames} frames of the sequence were already added");
        for (int q = 0; q < Codebooks; q++) _codes[q, _frames] = frameCodes[q];
        _frames++;
    }

    public void Decode(int end, Span<float> audio)
    {
        if (end < _decoded || end > SettledFrames)
            throw new ArgumentOutOfRangeException(nameof(end), $"frame {end} is outside the settled frames [{_decoded}, {SettledFrames}]");
        if (audio.Length < (end - _decoded) * HopLength) throw new ArgumentException($"{audio.Length} samples cannot hold frames [{_decoded}, {end})");
        if (end == _decoded) return;
        Remember();

        // The window reaches far enough either side that the kept frames never see its edges, except the sequence's own.
        int from = Math.Max(0, _decoded - _reach), to = Math.Min(_remembered, end + _reach);
        var window = _decoder.Upsample(_memory.Narrow(from, to - from));
        window.ReadOnlySpan.Slice((_decoded - from) * HopLength, (end - _decoded) * HopLength).CopyTo(audio);
        _decoded = end;
    }

    /// <summary>Runs the first conv and the LSTM over every frame that can be remembered and has not been.</summary>
    void Remember()
    {
        int target = Rememberable;
        if (target == _remembered) return;
        if (_frames > _dequantized)
        {
            _quantizer.Decode(_codes.Slice(_dequantized, _frames - _dequantized)).ReadOnlySpan
                .CopyTo(_latent.Narrow(_dequantized, _frames - _dequantized).Span);
            _dequantized = _frames;
        }
        // target + look-ahead is the last added frame unless the sequence is complete, where the conv pads as a whole decode does.
        int from = Math.Max(0, _remembered - _lookback), to = Math.Min(_frames, target + _lookahead);
        var input = _decoder.Input(_latent.Narrow(from, to - from)).Narrow(_remembered - from, target - _remembered);
        _decoder.Memory(input, _state).ReadOnlySpan.CopyTo(_memory.Narrow(_remembered, target - _remembered).Span);
        _remembered = target;
    }
}

namespace Stage.Inference.Generation;

/// <summary>
/// Decodes a stem in pieces while its frames are still being generated, so audio can be streamed.
/// </summary>
/// <remarks>
/// EnCodec's decoder is not causal: its first convolution looks 3 frames ahead, its LSTM carries state from
/// the first frame, and the upsampling convolutions look a fraction of a frame both ways. A piece of frames
/// [a, b) is therefore decoded from the window [a − warm-up, b + look-ahead) and only its middle kept; the LSTM
/// starts from zero state at the window's start, so the piece differs slightly from a whole-sequence decode
/// (the measured error is in the tests and the engine's notes). The first piece starts at frame 0 and the last
/// piece ends at the last frame, where the window's edges are the sequence's edges. Callers that need the exact
/// audio (the WAV) decode the whole sequence once at the end.
/// </remarks>
public sealed class StreamingStemDecoder
{
    public const int SamplesPerFrame = 640;

    readonly Func<int[][], float[]> _decode;
    readonly int _codebooks;
    readonly int[][] _codes;
    int _frames;
    int _emittedFrames;

    /// <param name="decode">EnCodec decode: codes [codebook][frame] → 640 samples per frame.</param>
    /// <param name="totalFrames">How many frames the stem will have.</param>
    public StreamingStemDecoder(Func<int[][], float[]> decode, int codebooks, int totalFrames,
        int pieceFrames = DefaultPieceFrames, int warmupFrames = DefaultWarmupFrames, int lookaheadFrames = DefaultLookaheadFrames,
        int firstPieceFrames = DefaultFirstPieceFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceFrames, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(firstPieceFrames, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupFrames);
        ArgumentOutOfRangeException.ThrowIfNegative(lookaheadFrames);
        _decode = decode;
        _codebooks = codebooks;
        _codes = new int[codebooks][];
        for (int q = 0; q < codebooks; q++) _codes[q] = new int[totalFrames];
        PieceFrames = pieceFrames;
        FirstPieceFrames = firstPieceFrames;
        WarmupFrames = warmupFrames;
        LookaheadFrames = lookaheadFrames;
    }

    /// <summary>0.5 s: the streaming granularity.</summary>
    public const int DefaultPieceFrames = 25;

    /// <summary>0.2 s: the first piece is short so the first audio comes soon after the first frames.</summary>
    public const int DefaultFirstPieceFrames = 10;

    /// <summary>Frames decoded before a piece so the LSTM state has settled (see the remarks).</summary>
    public const int DefaultWarmupFrames = 50;

    /// <summary>Frames decoded after a piece: the 3 of the first convolution plus margin for the upsampling stack.</summary>
    public const int DefaultLookaheadFrames = 5;

    public int Codebooks => _codebooks;
    public int PieceFrames { get; }
    public int FirstPieceFrames { get; }
    public int WarmupFrames { get; }
    public int LookaheadFrames { get; }
    public int TotalFrames => _codes[0].Length;
    public int Frames => _frames;
    public int EmittedFrames => _emittedFrames;

    /// <summary>Appends the next frame's codes (one per codebook).</summary>
    public void Add(ReadOnlySpan<int> frameCodes)
    {
        if (frameCodes.Length != _codebooks) throw new ArgumentException($"a frame has {_codebooks} codes, got {frameCodes.Length}");
        if (_frames == TotalFrames) throw new InvalidOperationException("all frames of the stem were already added");
        for (int q = 0; q < _codebooks; q++) _codes[q][_frames] = frameCodes[q];
        _frames++;
    }

    /// <summary>The next piece, once its look-ahead frames exist (or it is the stem's last piece).</summary>
    public bool TryDecodePiece(out StemPiece piece)
    {
        int start = _emittedFrames;
        int end = Math.Min(start + (start == 0 ? FirstPieceFrames : PieceFrames), TotalFrames);
        bool last = end == TotalFrames;
        if (start == TotalFrames || _frames < (last ? TotalFrames : Math.Min(end + LookaheadFrames, TotalFrames)))
        {
            piece = default;
            return false;
        }
        piece = DecodeRange(start, end);
        _emittedFrames = end;
        return true;
    }

    /// <summary>The whole stem decoded in one pass: the exact audio (needs every frame).</summary>
    public float[] DecodeWhole()
    {
        if (_frames != TotalFrames) throw new InvalidOperationException($"only {_frames} of {TotalFrames} frames were added");
        return _decode(_codes);
    }

    StemPiece DecodeRange(int start, int end)
    {
        int windowStart = Math.Max(0, start - WarmupFrames);
        int windowEnd = Math.Min(_frames, end + LookaheadFrames);
        var window = new int[_codebooks][];
        for (int q = 0; q < _codebooks; q++) window[q] = _codes[q][windowStart..windowEnd];
        var audio = _decode(window);
        var samples = audio.AsSpan((start - windowStart) * SamplesPerFrame, (end - start) * SamplesPerFrame).ToArray();
        return new StemPiece((long)start * SamplesPerFrame, samples);
    }
}

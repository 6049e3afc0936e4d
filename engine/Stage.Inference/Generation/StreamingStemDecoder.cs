using Stage.Inference.Models.EnCodec;

namespace Stage.Inference.Generation;

/// <summary>
/// Cuts a stem's audio into pieces while its frames are still being generated, so it can be streamed, and keeps the
/// whole stem for the WAV. The frames' audio comes from an <see cref="IFrameDecoder"/> (EnCodec's
/// <see cref="EncodecDecodeStream"/>), which gives each frame the audio of a whole-sequence decode once no later frame
/// can change it: the streamed pieces and the WAV are the same samples, and no frame is decoded twice.
/// </summary>
public sealed class StreamingStemDecoder
{
    readonly IFrameDecoder _frames;
    readonly float[] _audio;

    public StreamingStemDecoder(IFrameDecoder frames, int pieceFrames = DefaultPieceFrames, int firstPieceFrames = DefaultFirstPieceFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceFrames, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(firstPieceFrames, 1);
        _frames = frames ?? throw new ArgumentNullException(nameof(frames));
        if (frames.Frames != 0) throw new ArgumentException("the frame decoder already has frames", nameof(frames));
        _audio = new float[(long)frames.TotalFrames * frames.HopLength];
        PieceFrames = pieceFrames;
        FirstPieceFrames = firstPieceFrames;
    }

    /// <summary>0.5 s: the streaming granularity.</summary>
    public const int DefaultPieceFrames = 25;

    /// <summary>
    /// 0.1 s: the first piece is short so the first audio comes soon after the first frames. It waits for 4 more frames
    /// (the decoder's look-ahead and reach) and 3 more steps (the delay pattern): 12 steps, where 10 frames took 17 (a bf16
    /// next take's first audio 0.52 → 0.4 s).
    /// </summary>
    public const int DefaultFirstPieceFrames = 5;

    public int Codebooks => _frames.Codebooks;
    public int SamplesPerFrame => _frames.HopLength;
    public int PieceFrames { get; }
    public int FirstPieceFrames { get; }
    public int TotalFrames => _frames.TotalFrames;
    public int Frames => _frames.Frames;
    public int EmittedFrames => _frames.DecodedFrames;

    /// <summary>Appends the next frame's codes (one per codebook).</summary>
    public void Add(ReadOnlySpan<int> frameCodes) => _frames.Add(frameCodes);

    /// <summary>The next piece, once its audio is settled (or it is the stem's last piece and every frame is in).</summary>
    public bool TryDecodePiece(out StemPiece piece)
    {
        int start = _frames.DecodedFrames;
        int end = Math.Min(start + (start == 0 ? FirstPieceFrames : PieceFrames), TotalFrames);
        if (start == TotalFrames || _frames.SettledFrames < end)
        {
            piece = default;
            return false;
        }
        var samples = _audio.AsSpan(start * SamplesPerFrame, (end - start) * SamplesPerFrame);
        _frames.Decode(end, samples);
        piece = new StemPiece((long)start * SamplesPerFrame, samples.ToArray());
        return true;
    }

    /// <summary>The whole stem, once every piece has been decoded: the streamed pieces end to end.</summary>
    public float[] Audio => EmittedFrames == TotalFrames
        ? _audio
        : throw new InvalidOperationException($"only {EmittedFrames} of {TotalFrames} frames were decoded");
}

namespace Stage.Inference.Models.EnCodec;

/// <summary>
/// A sequence's codes go in a frame at a time and its audio comes out in order, each frame as soon as no frame still
/// to come can change it. <see cref="EncodecDecodeStream"/> is EnCodec's; the streamed stem cuts its pieces from one.
/// </summary>
public interface IFrameDecoder
{
    int Codebooks { get; }

    /// <summary>Samples per frame.</summary>
    int HopLength { get; }

    /// <summary>How many frames the sequence will have.</summary>
    int TotalFrames { get; }

    /// <summary>Frames added so far.</summary>
    int Frames { get; }

    /// <summary>Frames whose audio has been written.</summary>
    int DecodedFrames { get; }

    /// <summary>Frames whose audio is final: no frame still to come changes it (all of them once every frame is in).</summary>
    int SettledFrames { get; }

    /// <summary>Appends the next frame's codes (one per codebook).</summary>
    void Add(ReadOnlySpan<int> frameCodes);

    /// <summary>Writes the audio of frames [<see cref="DecodedFrames"/>, end) to <paramref name="audio"/>; end ≤ <see cref="SettledFrames"/>.</summary>
    void Decode(int end, Span<float> audio);
}

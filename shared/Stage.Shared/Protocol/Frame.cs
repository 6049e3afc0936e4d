using System.Buffers.Binary;

namespace Stage.Shared.Protocol;

/// <summary>
/// Framing on the pipe: each message is a 4-byte big-endian payload length followed by that many bytes
/// of MessagePack. The length is checked against <see cref="MaxPayloadBytes"/> before anything is allocated.
/// </summary>
public static class Frame
{
    public const int HeaderBytes = 4;

    /// <summary>64 MiB: ample for minutes of stereo float32 audio, small enough to refuse a hostile length.</summary>
    public const int MaxPayloadBytes = 64 * 1024 * 1024;

    /// <summary>
    /// Reads one frame's payload into a new array (owned by the caller, so decoded messages may view it).
    /// Returns null when the stream ends cleanly between frames. Throws <see cref="ProtocolException"/>
    /// for an empty, oversize or truncated frame.
    /// </summary>
    public static async ValueTask<byte[]?> ReadAsync(Stream stream, CancellationToken cancel, int maxPayloadBytes = MaxPayloadBytes)
    {
        var header = new byte[HeaderBytes];
        int got = await stream.ReadAtLeastAsync(header, HeaderBytes, throwOnEndOfStream: false, cancel).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < HeaderBytes)
            throw new ProtocolException(FailureCode.TruncatedFrame, $"the stream ended after {got} of the {HeaderBytes} bytes of a frame header");
        uint length = PayloadLength(header, maxPayloadBytes);
        var payload = new byte[length];
        got = await stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancel).ConfigureAwait(false);
        if (got < payload.Length)
            throw new ProtocolException(FailureCode.TruncatedFrame, $"the stream ended after {got} of the {length} bytes of a frame");
        return payload;
    }

    /// <summary>The payload length a whole header announces; throws <see cref="ProtocolException"/> for 0 or above the limit.</summary>
    public static uint PayloadLength(ReadOnlySpan<byte> header, int maxPayloadBytes = MaxPayloadBytes)
    {
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length == 0)
            throw new ProtocolException(FailureCode.Malformed, "received an empty frame; every frame holds one message");
        if (length > (uint)maxPayloadBytes)
            throw new ProtocolException(FailureCode.FrameTooLarge, $"a frame announces {length} bytes, more than the limit of {maxPayloadBytes}");
        return length;
    }

    /// <summary>Writes a frame built in a <see cref="FrameBuffer"/> (header included) in one write.</summary>
    public static async ValueTask WriteAsync(Stream stream, FrameBuffer frame, CancellationToken cancel)
    {
        await stream.WriteAsync(frame.Seal(), cancel).ConfigureAwait(false);
        await stream.FlushAsync(cancel).ConfigureAwait(false);
    }
}

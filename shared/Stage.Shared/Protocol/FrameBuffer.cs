using System.Buffers;
using System.Buffers.Binary;

namespace Stage.Shared.Protocol;

/// <summary>
/// A reusable buffer a message is encoded into, with room for the frame header in front so the whole
/// frame goes out in one write. Pooled; refuses to grow past <see cref="Frame.MaxPayloadBytes"/>.
/// </summary>
public sealed class FrameBuffer : IBufferWriter<byte>, IDisposable
{
    byte[] _buffer;
    int _written = Frame.HeaderBytes;

    public FrameBuffer(int initialCapacity = 64 * 1024) =>
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, Frame.HeaderBytes + 256));

    public int PayloadLength => _written - Frame.HeaderBytes;

    /// <summary>Empties the buffer for the next frame.</summary>
    public void Reset() => _written = Frame.HeaderBytes;

    /// <summary>Encodes <paramref name="message"/> as this buffer's frame.</summary>
    public void Encode(ProtocolMessage message)
    {
        Reset();
        MessageCodec.Encode(message, this);
    }

    /// <summary>Fills in the header; returns header + payload, valid until the next Reset or Encode.</summary>
    public ReadOnlyMemory<byte> Seal()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer, (uint)PayloadLength);
        return _buffer.AsMemory(0, _written);
    }

    public void Advance(int count)
    {
        if (count < 0 || _written + count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed) return;
        long payload = (long)PayloadLength + needed;
        if (payload > Frame.MaxPayloadBytes)
            throw new ProtocolException(FailureCode.FrameTooLarge, $"a message of more than {Frame.MaxPayloadBytes} bytes cannot be sent in one frame");
        int capacity = (int)Math.Min(Math.Max((long)_buffer.Length * 2, _written + (long)needed), Frame.HeaderBytes + (long)Frame.MaxPayloadBytes);
        var grown = ArrayPool<byte>.Shared.Rent(capacity);
        _buffer.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}

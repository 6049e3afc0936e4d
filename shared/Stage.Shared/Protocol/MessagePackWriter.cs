using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Stage.Shared.Protocol;

/// <summary>
/// Writes MessagePack (per the official specification, msgpack/msgpack spec.md) into a buffer, always in
/// the smallest encoding the spec allows. No reflection: callers write each field explicitly.
/// </summary>
public ref struct MessagePackWriter(IBufferWriter<byte> output)
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    readonly IBufferWriter<byte> _output = output;

    public void WriteNil() => WriteByte(MessagePackCode.Nil);

    public void Write(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    public void Write(int value) => Write((long)value);

    public void Write(long value)
    {
        if (value >= 0) { Write((ulong)value); return; }
        if (value >= -32) { WriteByte(unchecked((byte)(sbyte)value)); return; }
        if (value >= sbyte.MinValue)
        {
            var span = _output.GetSpan(2);
            span[0] = MessagePackCode.Int8;
            span[1] = unchecked((byte)(sbyte)value);
            _output.Advance(2);
        }
        else if (value >= short.MinValue)
        {
            var span = _output.GetSpan(3);
            span[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            _output.Advance(3);
        }
        else if (value >= int.MinValue)
        {
            var span = _output.GetSpan(5);
            span[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            _output.Advance(5);
        }
        else
        {
            var span = _output.GetSpan(9);
            span[0] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    public void Write(ulong value)
    {
        if (value <= MessagePackCode.MaxPositiveFixInt) { WriteByte((byte)value); return; }
        if (value <= byte.MaxValue)
        {
            var span = _output.GetSpan(2);
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            _output.Advance(2);
        }
        else if (value <= ushort.MaxValue)
        {
            var span = _output.GetSpan(3);
            span[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
            _output.Advance(3);
        }
        else if (value <= uint.MaxValue)
        {
            var span = _output.GetSpan(5);
            span[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
            _output.Advance(5);
        }
        else
        {
            var span = _output.GetSpan(9);
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    public void Write(float value)
    {
        var span = _output.GetSpan(5);
        span[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        _output.Advance(5);
    }

    public void Write(double value)
    {
        var span = _output.GetSpan(9);
        span[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        _output.Advance(9);
    }

    /// <summary>Writes a str, or nil for null. Lone surrogates throw rather than being silently replaced.</summary>
    public void Write(string? value)
    {
        if (value is null) { WriteNil(); return; }
        Write(value.AsSpan());
    }

    public void Write(ReadOnlySpan<char> value)
    {
        int byteCount = StrictUtf8.GetByteCount(value);
        WriteStringHeader(byteCount);
        var span = _output.GetSpan(byteCount);
        StrictUtf8.GetBytes(value, span);
        _output.Advance(byteCount);
    }

    /// <summary>Writes an already UTF-8 encoded str (e.g. a u8 literal key).</summary>
    public void WriteUtf8(ReadOnlySpan<byte> utf8)
    {
        WriteStringHeader(utf8.Length);
        WriteRaw(utf8);
    }

    public void WriteStringHeader(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        if (byteCount <= 31) WriteByte((byte)(MessagePackCode.MinFixStr | byteCount));
        else if (byteCount <= byte.MaxValue) WriteHeader8(MessagePackCode.Str8, (byte)byteCount);
        else if (byteCount <= ushort.MaxValue) WriteHeader16(MessagePackCode.Str16, (ushort)byteCount);
        else WriteHeader32(MessagePackCode.Str32, (uint)byteCount);
    }

    public void Write(ReadOnlySpan<byte> binary)
    {
        WriteBinaryHeader(binary.Length);
        WriteRaw(binary);
    }

    /// <summary>
    /// Writes float32 samples as one bin of little-endian IEEE floats, the layout the reader hands back
    /// as a span without copying.
    /// </summary>
    public void Write(ReadOnlySpan<float> samples)
    {
        int byteCount = checked(samples.Length * sizeof(float));
        WriteBinaryHeader(byteCount);
        if (BitConverter.IsLittleEndian)
        {
            WriteRaw(MemoryMarshal.AsBytes(samples));
            return;
        }
        var span = _output.GetSpan(byteCount);
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(span[(i * sizeof(float))..], samples[i]);
        _output.Advance(byteCount);
    }

    public void WriteBinaryHeader(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        if (byteCount <= byte.MaxValue) WriteHeader8(MessagePackCode.Bin8, (byte)byteCount);
        else if (byteCount <= ushort.MaxValue) WriteHeader16(MessagePackCode.Bin16, (ushort)byteCount);
        else WriteHeader32(MessagePackCode.Bin32, (uint)byteCount);
    }

    public void WriteArrayHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15) WriteByte((byte)(MessagePackCode.MinFixArray | count));
        else if (count <= ushort.MaxValue) WriteHeader16(MessagePackCode.Array16, (ushort)count);
        else WriteHeader32(MessagePackCode.Array32, (uint)count);
    }

    public void WriteMapHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15) WriteByte((byte)(MessagePackCode.MinFixMap | count));
        else if (count <= ushort.MaxValue) WriteHeader16(MessagePackCode.Map16, (ushort)count);
        else WriteHeader32(MessagePackCode.Map32, (uint)count);
    }

    /// <summary>Copies bytes that are already MessagePack (or a payload after a header) as they are.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        // Ask for all of it; a writer may still hand out less, so copy in pieces.
        while (!bytes.IsEmpty)
        {
            var span = _output.GetSpan(bytes.Length);
            int n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            _output.Advance(n);
            bytes = bytes[n..];
        }
    }

    void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    void WriteHeader8(byte code, byte length)
    {
        var span = _output.GetSpan(2);
        span[0] = code;
        span[1] = length;
        _output.Advance(2);
    }

    void WriteHeader16(byte code, ushort length)
    {
        var span = _output.GetSpan(3);
        span[0] = code;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], length);
        _output.Advance(3);
    }

    void WriteHeader32(byte code, uint length)
    {
        var span = _output.GetSpan(5);
        span[0] = code;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], length);
        _output.Advance(5);
    }
}

using System.Buffers.Binary;

namespace Stage.Inference.Text;

/// <summary>
/// Reads the protobuf wire format (varint, fixed32/64, length-delimited) field by field. Enough for
/// SentencePiece's ModelProto without a protobuf package; every read is bounds-checked and a
/// malformed message throws <see cref="InvalidDataException"/> with the byte offset.
/// </summary>
public ref struct ProtobufReader
{
    public enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5 }

    readonly ReadOnlySpan<byte> _data;
    readonly int _baseOffset;
    int _position;

    public ProtobufReader(ReadOnlySpan<byte> data, int baseOffset = 0)
    {
        _data = data;
        _baseOffset = baseOffset;
        _position = 0;
    }

    public readonly bool AtEnd => _position >= _data.Length;

    /// <summary>Offset of the next byte relative to the outermost message (for error messages).</summary>
    public readonly int Offset => _baseOffset + _position;

    public bool TryReadTag(out int field, out WireType wireType)
    {
        if (AtEnd)
        {
            field = 0;
            wireType = default;
            return false;
        }
        int at = Offset;
        ulong tag = ReadVarint();
        field = (int)Math.Min(tag >> 3, int.MaxValue);
        wireType = (WireType)(tag & 7);
        if (field == 0) throw Malformed(at, "field number 0");
        if (wireType > WireType.Fixed32) throw Malformed(at, $"unknown wire type {(int)wireType}");
        return true;
    }

    public ulong ReadVarint()
    {
        int at = Offset;
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length) throw Malformed(at, "truncated varint");
            byte b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Malformed(at, "varint longer than 10 bytes");
    }

    /// <summary>int32 fields are sign-extended to 64 bits on the wire (negative ids take 10 bytes).</summary>
    public int ReadInt32() => unchecked((int)ReadVarint());

    public bool ReadBool() => ReadVarint() != 0;

    public uint ReadFixed32()
    {
        int at = Offset;
        if (_data.Length - _position < 4) throw Malformed(at, "truncated fixed32");
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(_data.Slice(_position, 4));
        _position += 4;
        return v;
    }

    public float ReadFloat() => BitConverter.UInt32BitsToSingle(ReadFixed32());

    public ReadOnlySpan<byte> ReadBytes()
    {
        int at = Offset;
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position)) throw Malformed(at, $"length {length} runs past the end of the data");
        var bytes = _data.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }

    /// <summary>A nested message as its own reader; offsets in its errors stay relative to the outermost message.</summary>
    public ProtobufReader ReadMessage()
    {
        var bytes = ReadBytes();
        return new ProtobufReader(bytes, Offset - bytes.Length);
    }

    public string ReadString()
    {
        var bytes = ReadBytes();
        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    public void Skip(WireType wireType)
    {
        int at = Offset;
        switch (wireType)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64:
                if (_data.Length - _position < 8) throw Malformed(at, "truncated fixed64");
                _position += 8;
                break;
            case WireType.LengthDelimited: ReadBytes(); break;
            case WireType.Fixed32: ReadFixed32(); break;
            default: throw Malformed(at, $"unsupported wire type {(int)wireType} (groups)");
        }
    }

    /// <summary>Throws unless the field has the wire type its schema declares.</summary>
    public readonly void Expect(int field, WireType actual, WireType expected)
    {
        if (actual != expected)
            throw Malformed(Offset, $"field {field} has wire type {(int)actual}, expected {(int)expected}");
    }

    static InvalidDataException Malformed(int offset, string problem) =>
        new($"malformed protobuf at byte {offset}: {problem}");
}

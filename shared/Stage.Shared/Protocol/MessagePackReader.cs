using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Stage.Shared.Protocol;

/// <summary>
/// Reads MessagePack from untrusted bytes. Every length is checked against the bytes that remain before
/// anything is sliced or allocated, containers cannot claim more elements than bytes remain, skipping
/// is depth-limited, and ext types and the reserved byte 0xc1 are rejected. Each problem throws a
/// <see cref="MessagePackException"/> naming the byte offset and what was expected.
/// <para>bin payloads are returned as slices of the input: nothing is copied, so a decoded value keeps
/// the input buffer alive and must not outlive changes to it.</para>
/// </summary>
public ref struct MessagePackReader
{
    /// <summary>Nesting deeper than this is refused; Stage's messages nest two levels.</summary>
    public const int DefaultMaxDepth = 32;

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    readonly ReadOnlyMemory<byte> _memory;
    readonly ReadOnlySpan<byte> _span;
    int _position;

    public MessagePackReader(ReadOnlyMemory<byte> input, int maxDepth = DefaultMaxDepth)
    {
        _memory = input;
        _span = input.Span;
        MaxDepth = maxDepth;
    }

    public readonly int MaxDepth { get; }
    public readonly int Position => _position;
    public readonly int Remaining => _span.Length - _position;
    public readonly bool End => _position >= _span.Length;

    /// <summary>The kind of the next object, without consuming it.</summary>
    public readonly MessagePackType PeekType()
    {
        if (End) throw Fail(_position, "expected a MessagePack object but the input ended");
        byte code = _span[_position];
        return MessagePackCode.TypeOf(code) ?? throw Fail(_position, "found the reserved byte 0xc1, which is never valid MessagePack");
    }

    public bool TryReadNil()
    {
        if (End || _span[_position] != MessagePackCode.Nil) return false;
        _position++;
        return true;
    }

    public void ReadNil()
    {
        int start = _position;
        byte code = ReadCode("nil");
        if (code != MessagePackCode.Nil) throw Unexpected(start, code, "nil");
    }

    public bool ReadBoolean()
    {
        int start = _position;
        return ReadCode("a boolean") switch
        {
            MessagePackCode.True => true,
            MessagePackCode.False => false,
            var code => throw Unexpected(start, code, "a boolean"),
        };
    }

    public long ReadInt64()
    {
        int start = _position;
        byte code = ReadCode("an integer");
        if (code <= MessagePackCode.MaxPositiveFixInt) return code;
        if (code >= MessagePackCode.MinNegativeFixInt) return unchecked((sbyte)code);
        return code switch
        {
            MessagePackCode.UInt8 => Take(1, "uint8")[0],
            MessagePackCode.UInt16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2, "uint16")),
            MessagePackCode.UInt32 => BinaryPrimitives.ReadUInt32BigEndian(Take(4, "uint32")),
            MessagePackCode.UInt64 => BinaryPrimitives.ReadUInt64BigEndian(Take(8, "uint64")) is var u and <= long.MaxValue
                ? (long)u
                : throw Fail(start, "expected an integer that fits in int64 but found a larger uint64"),
            MessagePackCode.Int8 => unchecked((sbyte)Take(1, "int8")[0]),
            MessagePackCode.Int16 => BinaryPrimitives.ReadInt16BigEndian(Take(2, "int16")),
            MessagePackCode.Int32 => BinaryPrimitives.ReadInt32BigEndian(Take(4, "int32")),
            MessagePackCode.Int64 => BinaryPrimitives.ReadInt64BigEndian(Take(8, "int64")),
            _ => throw Unexpected(start, code, "an integer"),
        };
    }

    public ulong ReadUInt64()
    {
        int start = _position;
        if (!End && _span[_position] == MessagePackCode.UInt64)
        {
            _position++;
            return BinaryPrimitives.ReadUInt64BigEndian(Take(8, "uint64"));
        }
        long value = ReadInt64();
        return value >= 0 ? (ulong)value : throw Fail(start, $"expected a non-negative integer but found {value}");
    }

    public int ReadInt32()
    {
        int start = _position;
        long value = ReadInt64();
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw Fail(start, $"expected an integer that fits in int32 but found {value}");
    }

    /// <summary>Reads a float32, a float64, or an integer (JavaScript encoders write 2.0 as the int 2).</summary>
    public double ReadDouble()
    {
        int start = _position;
        if (End) throw Fail(start, "expected a number but the input ended");
        switch (_span[_position])
        {
            case MessagePackCode.Float32:
                _position++;
                return BinaryPrimitives.ReadSingleBigEndian(Take(4, "float32"));
            case MessagePackCode.Float64:
                _position++;
                return BinaryPrimitives.ReadDoubleBigEndian(Take(8, "float64"));
            case MessagePackCode.UInt64:
                return ReadUInt64();
            default:
                if (PeekType() != MessagePackType.Integer) throw Unexpected(start, _span[start], "a number");
                return ReadInt64();
        }
    }

    public float ReadSingle() => (float)ReadDouble();

    public string ReadString()
    {
        int start = _position;
        var utf8 = ReadStringUtf8();
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw Fail(start, "expected a UTF-8 string but its bytes are not valid UTF-8");
        }
    }

    public string? ReadNullableString() => TryReadNil() ? null : ReadString();

    /// <summary>The raw UTF-8 bytes of a str, not validated; for comparing keys without allocating.</summary>
    public ReadOnlySpan<byte> ReadStringUtf8()
    {
        int start = _position;
        byte code = ReadCode("a string");
        int length = code switch
        {
            >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr => code & 0x1f,
            MessagePackCode.Str8 => Take(1, "str8 length")[0],
            MessagePackCode.Str16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2, "str16 length")),
            MessagePackCode.Str32 => Length32(Take(4, "str32 length"), start, "str32"),
            _ => throw Unexpected(start, code, "a string"),
        };
        return Take(length, "string bytes");
    }

    /// <summary>A bin payload, as a slice of the input (no copy).</summary>
    public ReadOnlyMemory<byte> ReadBinary()
    {
        int start = _position;
        byte code = ReadCode("binary data");
        int length = code switch
        {
            MessagePackCode.Bin8 => Take(1, "bin8 length")[0],
            MessagePackCode.Bin16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2, "bin16 length")),
            MessagePackCode.Bin32 => Length32(Take(4, "bin32 length"), start, "bin32"),
            _ => throw Unexpected(start, code, "binary data"),
        };
        int payloadStart = _position;
        Take(length, "binary bytes");
        return _memory.Slice(payloadStart, length);
    }

    /// <summary>
    /// A bin holding little-endian float32 samples, viewed as floats over the input bytes (no copy on
    /// little-endian machines).
    /// </summary>
    public ReadOnlyMemory<float> ReadFloat32Samples()
    {
        int start = _position;
        var bytes = ReadBinary();
        if (bytes.Length % sizeof(float) != 0)
            throw Fail(start, $"expected float32 samples but the bin holds {bytes.Length} bytes, not a multiple of 4");
        if (BitConverter.IsLittleEndian) return Float32Memory.Over(bytes);
        var samples = new float[bytes.Length / sizeof(float)];
        for (int i = 0; i < samples.Length; i++)
            samples[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Span[(i * sizeof(float))..]);
        return samples;
    }

    /// <summary>An array's element count; never more than the bytes that remain (each element takes one at least).</summary>
    public int ReadArrayHeader()
    {
        int start = _position;
        byte code = ReadCode("an array");
        long count = code switch
        {
            >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray => code & 0x0f,
            MessagePackCode.Array16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2, "array16 count")),
            MessagePackCode.Array32 => BinaryPrimitives.ReadUInt32BigEndian(Take(4, "array32 count")),
            _ => throw Unexpected(start, code, "an array"),
        };
        if (count > Remaining)
            throw Fail(start, $"array claims {count} elements but only {Remaining} bytes remain");
        return (int)count;
    }

    /// <summary>A map's entry count; never more than half the bytes that remain.</summary>
    public int ReadMapHeader()
    {
        int start = _position;
        byte code = ReadCode("a map");
        long count = code switch
        {
            >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap => code & 0x0f,
            MessagePackCode.Map16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2, "map16 count")),
            MessagePackCode.Map32 => BinaryPrimitives.ReadUInt32BigEndian(Take(4, "map32 count")),
            _ => throw Unexpected(start, code, "a map"),
        };
        if (count * 2 > Remaining)
            throw Fail(start, $"map claims {count} entries but only {Remaining} bytes remain");
        return (int)count;
    }

    /// <summary>Skips one object, with everything nested in it, validating it on the way.</summary>
    public void Skip() => Skip(0);

    void Skip(int depth)
    {
        int start = _position;
        switch (PeekType())
        {
            case MessagePackType.Nil: _position++; break;
            case MessagePackType.Boolean: _position++; break;
            case MessagePackType.Integer:
                if (_span[_position] == MessagePackCode.UInt64) ReadUInt64(); else ReadInt64();
                break;
            case MessagePackType.Float: ReadDouble(); break;
            case MessagePackType.String: ReadStringUtf8(); break;
            case MessagePackType.Binary: ReadBinary(); break;
            case MessagePackType.Array:
            {
                if (depth >= MaxDepth) throw Fail(start, $"objects nest deeper than {MaxDepth} levels");
                int count = ReadArrayHeader();
                for (int i = 0; i < count; i++) Skip(depth + 1);
                break;
            }
            case MessagePackType.Map:
            {
                if (depth >= MaxDepth) throw Fail(start, $"objects nest deeper than {MaxDepth} levels");
                int count = ReadMapHeader();
                for (int i = 0; i < 2 * count; i++) Skip(depth + 1);
                break;
            }
            default:
                throw Unexpected(start, _span[start], "a MessagePack object");
        }
    }

    byte ReadCode(string expected)
    {
        if (End) throw Fail(_position, $"expected {expected} but the input ended");
        return _span[_position++];
    }

    ReadOnlySpan<byte> Take(int length, string what)
    {
        if (length > Remaining)
            throw Fail(_position, $"{what} need {length} bytes but only {Remaining} remain");
        var slice = _span.Slice(_position, length);
        _position += length;
        return slice;
    }

    int Length32(ReadOnlySpan<byte> bytes, int start, string format)
    {
        uint length = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return length <= (uint)Remaining
            ? (int)length
            : throw Fail(start, $"{format} claims {length} bytes but only {Remaining} remain");
    }

    static MessagePackException Unexpected(int offset, byte code, string expected) =>
        new($"expected {expected} but found {MessagePackCode.Describe(code)}", offset);

    static MessagePackException Fail(int offset, string problem) => new(problem, offset);
}

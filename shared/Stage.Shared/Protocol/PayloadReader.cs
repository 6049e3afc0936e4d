using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using MessagePack;

namespace Stage.Shared.Protocol;

/// <summary>
/// Reads the MessagePack of one frame payload, which is untrusted, with MessagePack-CSharp's
/// <see cref="MessagePackReader"/> underneath. The library decodes; this adds what Stage promises and the
/// library does not: every length is checked against the bytes that remain before anything is sliced or
/// allocated (the library reads a str32 or array32 length above 2³¹ as negative), containers cannot claim
/// more elements than bytes remain, skipping is depth-limited (the library's is not), ext types and the
/// reserved byte 0xc1 are refused (the library skips ext), strings must be valid UTF-8 (the library
/// replaces bad bytes) and a bin is never a str (the library accepts either). Each problem throws a
/// <see cref="MessagePackException"/> naming the byte offset and what was expected, never the library's
/// own exceptions.
/// <para>bin payloads are returned as slices of the input: nothing is copied, so a decoded value keeps
/// the input buffer alive and must not outlive changes to it.</para>
/// </summary>
public ref struct PayloadReader
{
    /// <summary>Nesting deeper than this is refused; Stage's messages nest two levels.</summary>
    public const int DefaultMaxDepth = 32;

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    readonly ReadOnlyMemory<byte> _input;
    MessagePackReader _reader;

    public PayloadReader(ReadOnlyMemory<byte> input, int maxDepth = DefaultMaxDepth)
    {
        _input = input;
        _reader = new MessagePackReader(input);
        MaxDepth = maxDepth;
    }

    public readonly int MaxDepth { get; }
    public int Position => (int)_reader.Consumed;
    public int Remaining => _input.Length - Position;
    public bool End => _reader.End;

    /// <summary>The kind of the next object, without consuming it; never <see cref="MessagePackType.Unknown"/>.</summary>
    public MessagePackType PeekType()
    {
        if (End) throw Fail(Position, "expected a MessagePack object but the input ended");
        var type = MessagePackCode.ToMessagePackType(_reader.NextCode);
        return type != MessagePackType.Unknown
            ? type
            : throw Fail(Position, "found the reserved byte 0xc1, which is never valid MessagePack");
    }

    public bool TryReadNil() => !End && _reader.TryReadNil();

    public void ReadNil()
    {
        Expect(MessagePackType.Nil, "nil");
        _reader.ReadNil();
    }

    public bool ReadBoolean()
    {
        Expect(MessagePackType.Boolean, "a boolean");
        return _reader.ReadBoolean();
    }

    public long ReadInt64()
    {
        int start = Position;
        Expect(MessagePackType.Integer, "an integer");
        try
        {
            return _reader.ReadInt64();
        }
        catch (OverflowException)
        {
            throw Fail(start, "expected an integer that fits in int64 but found a larger uint64");
        }
        catch (EndOfStreamException)
        {
            throw Fail(start, "an integer was cut off by the end of the input");
        }
    }

    public ulong ReadUInt64()
    {
        int start = Position;
        if (!End && _reader.NextCode == MessagePackCode.UInt64)
        {
            try { return _reader.ReadUInt64(); }
            catch (EndOfStreamException) { throw Fail(start, "a uint64 was cut off by the end of the input"); }
        }
        long value = ReadInt64();
        return value >= 0 ? (ulong)value : throw Fail(start, $"expected a non-negative integer but found {value}");
    }

    public int ReadInt32()
    {
        int start = Position;
        long value = ReadInt64();
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw Fail(start, $"expected an integer that fits in int32 but found {value}");
    }

    /// <summary>Reads a float32, a float64, or an integer (JavaScript encoders write 2.0 as the int 2).</summary>
    public double ReadDouble()
    {
        int start = Position;
        var type = PeekType();
        if (type is not (MessagePackType.Float or MessagePackType.Integer))
            throw Unexpected(start, _reader.NextCode, "a number");
        try
        {
            return _reader.ReadDouble();
        }
        catch (EndOfStreamException)
        {
            throw Fail(start, "a number was cut off by the end of the input");
        }
    }

    public float ReadSingle() => (float)ReadDouble();

    public string ReadString()
    {
        int start = Position;
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
        Expect(MessagePackType.String, "a string");
        CheckPayloadLength("string");
        // The reader was made over one block of memory, so no str spans two segments.
        return _reader.TryReadStringSpan(out var utf8) ? utf8 : throw new UnreachableException("a str spans two segments");
    }

    /// <summary>A bin payload, as a slice of the input (no copy).</summary>
    public ReadOnlyMemory<byte> ReadBinary()
    {
        Expect(MessagePackType.Binary, "binary data");
        CheckPayloadLength("binary");
        return _reader.ReadBytes()!.Value.First;
    }

    /// <summary>
    /// A bin holding little-endian float32 samples, viewed as floats over the input bytes (no copy on
    /// little-endian machines).
    /// </summary>
    public ReadOnlyMemory<float> ReadFloat32Samples()
    {
        int start = Position;
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
        int start = Position;
        Expect(MessagePackType.Array, "an array");
        if (!_reader.TryReadArrayHeader(out int count)) throw Fail(start, "an array header was cut off by the end of the input");
        // An array32 count above 2³¹ arrives negative; as unsigned it is what the bytes say.
        uint claimed = unchecked((uint)count);
        if (claimed > Remaining)
            throw Fail(start, $"array claims {claimed} elements but only {Remaining} bytes remain");
        return count;
    }

    /// <summary>A map's entry count; never more than half the bytes that remain.</summary>
    public int ReadMapHeader()
    {
        int start = Position;
        Expect(MessagePackType.Map, "a map");
        if (!_reader.TryReadMapHeader(out int count)) throw Fail(start, "a map header was cut off by the end of the input");
        uint claimed = unchecked((uint)count);
        if (claimed * 2L > Remaining)
            throw Fail(start, $"map claims {claimed} entries but only {Remaining} bytes remain");
        return count;
    }

    /// <summary>Skips one object, with everything nested in it, validating it on the way.</summary>
    public void Skip() => Skip(0);

    void Skip(int depth)
    {
        int start = Position;
        switch (PeekType())
        {
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
            case MessagePackType.Extension:
                throw Unexpected(start, _reader.NextCode, "a MessagePack object");
            default: // nil, boolean, integer, float: fixed sizes the library knows
                try { _reader.Skip(); }
                catch (EndOfStreamException) { throw Fail(start, "a value was cut off by the end of the input"); }
                break;
        }
    }

    void Expect(MessagePackType type, string expected)
    {
        if (End) throw Fail(Position, $"expected {expected} but the input ended");
        byte code = _reader.NextCode;
        if (MessagePackCode.ToMessagePackType(code) != type) throw Unexpected(Position, code, expected);
    }

    /// <summary>
    /// Checks the length in the str or bin header at the reader against the bytes that follow it, so the
    /// error names the claim; the library would throw a bare end-of-stream, or slice with a negative
    /// length for a 32-bit length above 2³¹.
    /// </summary>
    void CheckPayloadLength(string kind)
    {
        int start = Position;
        var header = _input.Span[start..];
        byte code = header[0];
        (int width, string format) = code switch
        {
            MessagePackCode.Str8 => (1, "str8"),
            MessagePackCode.Bin8 => (1, "bin8"),
            MessagePackCode.Str16 => (2, "str16"),
            MessagePackCode.Bin16 => (2, "bin16"),
            MessagePackCode.Str32 => (4, "str32"),
            MessagePackCode.Bin32 => (4, "bin32"),
            _ => (0, "fixstr"), // the length is in the code
        };
        long remaining = Remaining - 1 - width;
        if (remaining < 0) throw Fail(start, $"the {format} length was cut off by the end of the input");
        var lengthBytes = header[1..];
        long length = width switch
        {
            0 => code & 0x1f,
            1 => lengthBytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(lengthBytes),
            _ => BinaryPrimitives.ReadUInt32BigEndian(lengthBytes),
        };
        if (length <= remaining) return;
        throw width == 4
            ? Fail(start, $"{format} claims {length} bytes but only {remaining} remain")
            : Fail(start + 1 + width, $"{kind} bytes need {length} bytes but only {remaining} remain");
    }

    static MessagePackException Unexpected(int offset, byte code, string expected) =>
        new($"expected {expected} but found {Describe(code)}", offset);

    static MessagePackException Fail(int offset, string problem) => new(problem, offset);

    /// <summary>A first byte in words: its kind and value ("string (0xa1)").</summary>
    internal static string Describe(byte code) => MessagePackCode.ToMessagePackType(code) switch
    {
        MessagePackType.Unknown => "the reserved byte 0xc1",
        MessagePackType.Extension => $"an ext type (0x{code:x2}), which Stage does not use",
        var type => $"{type.ToString().ToLowerInvariant()} (0x{code:x2})",
    };
}

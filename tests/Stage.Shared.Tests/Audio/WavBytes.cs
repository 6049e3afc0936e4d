using System.Buffers.Binary;

namespace Stage.Shared.Tests.Audio;

/// <summary>Builds WAV files byte by byte, including broken ones, independently of the WavWriter under test.</summary>
internal sealed class WavBytes
{
    private readonly List<byte> _bytes = [];

    public static WavBytes Riff() => new WavBytes().Ascii("RIFF").UInt32(0).Ascii("WAVE");

    public WavBytes Ascii(string text)
    {
        foreach (var c in text)
            _bytes.Add((byte)c);
        return this;
    }

    public WavBytes UInt16(int value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public WavBytes UInt32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public WavBytes Bytes(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    /// <summary>A plain fmt chunk (16 bytes, or 18 with cbSize for float).</summary>
    public WavBytes Fmt(int tag, int channels, int rate, int bits, int? blockAlign = null, bool withCbSize = false)
    {
        var align = blockAlign ?? channels * bits / 8;
        Ascii("fmt ").UInt32(withCbSize ? 18u : 16u).UInt16(tag).UInt16(channels).UInt32((uint)rate)
            .UInt32((uint)(rate * align)).UInt16(align).UInt16(bits);
        return withCbSize ? UInt16(0) : this;
    }

    /// <summary>A WAVE_FORMAT_EXTENSIBLE fmt chunk with the standard subformat GUID for <paramref name="subformat"/>.</summary>
    public WavBytes FmtExtensible(int subformat, int channels, int rate, int bits, int validBits, uint channelMask, byte[]? guidTail = null)
    {
        var align = channels * bits / 8;
        Ascii("fmt ").UInt32(40).UInt16(0xFFFE).UInt16(channels).UInt32((uint)rate).UInt32((uint)(rate * align))
            .UInt16(align).UInt16(bits).UInt16(22).UInt16(validBits).UInt32(channelMask).UInt16(subformat);
        return Bytes(guidTail ?? [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]);
    }

    /// <summary>A chunk with a payload, padded to even length.</summary>
    public WavBytes Chunk(string id, byte[] payload, uint? declaredSize = null)
    {
        Ascii(id).UInt32(declaredSize ?? (uint)payload.Length).Bytes(payload);
        if (payload.Length % 2 == 1)
            _bytes.Add(0);
        return this;
    }

    public WavBytes Data(byte[] payload, uint? declaredSize = null) => Chunk("data", payload, declaredSize);

    /// <summary>The bytes, with the RIFF size filled in.</summary>
    public byte[] ToArray()
    {
        var array = _bytes.ToArray();
        if (array.Length >= 8)
            BinaryPrimitives.WriteUInt32LittleEndian(array.AsSpan(4), (uint)(array.Length - 8));
        return array;
    }

    public static byte[] Int16Samples(params short[] samples)
    {
        var bytes = new byte[samples.Length * 2];
        for (var i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), samples[i]);
        return bytes;
    }
}

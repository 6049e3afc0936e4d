using System.Buffers;
using Stage.Shared.Protocol;

namespace Stage.Shared.Tests;

/// <summary>Exact bytes from the MessagePack specification's format table, both ways.</summary>
public class MessagePackGoldenBytesTests
{
    public static TheoryData<string, object?> Golden => new()
    {
        { "c0", null },
        { "c2", false },
        { "c3", true },
        { "00", 0L },
        { "7f", 127L },
        { "cc80", 128L },
        { "ccff", 255L },
        { "cd0100", 256L },
        { "cdffff", 65535L },
        { "ce00010000", 65536L },
        { "ceffffffff", 4294967295L },
        { "cf0000000100000000", 4294967296L },
        { "cf7fffffffffffffff", long.MaxValue },
        { "cfffffffffffffffff", ulong.MaxValue },
        { "ff", -1L },
        { "e0", -32L },
        { "d0df", -33L },
        { "d080", -128L },
        { "d1ff7f", -129L },
        { "d18000", -32768L },
        { "d2ffff7fff", -32769L },
        { "d280000000", (long)int.MinValue },
        { "d3ffffffff7fffffff", (long)int.MinValue - 1 },
        { "d38000000000000000", long.MinValue },
        { "ca3fc00000", 1.5f },
        { "cb3ff8000000000000", 1.5 },
        { "cb7ff8000000000000", BitConverter.Int64BitsToDouble(0x7ff8000000000000) }, // the canonical quiet NaN
        { "cb7ff0000000000000", double.PositiveInfinity },
        { "cbfff0000000000000", double.NegativeInfinity },
        { "a0", "" },
        { "a161", "a" },
        { "a3e282ac", "€" },
        { "a4f09f8eb8", "🎸" },
        { "c400", Array.Empty<byte>() },
        { "c40200ff", new byte[] { 0x00, 0xff } },
        { "90", Array.Empty<object?>() },
        { "93010203", new object?[] { 1L, 2L, 3L } },
        { "80", new List<KeyValuePair<object?, object?>>() },
        // The example on msgpack.org: {"compact": true, "schema": 0}.
        { "82a7636f6d70616374c3a6736368656d6100", new List<KeyValuePair<object?, object?>> { new("compact", true), new("schema", 0L) } },
    };

    [Theory, MemberData(nameof(Golden))]
    public void WriterProducesTheSpecBytes(string hex, object? value) =>
        Assert.Equal(hex, Convert.ToHexStringLower(MessagePackTree.Encode(value)));

    [Theory, MemberData(nameof(Golden))]
    public void ReaderDecodesTheSpecBytes(string hex, object? value)
    {
        var decoded = MessagePackTree.Decode(Convert.FromHexString(hex));
        Assert.True(MessagePackTree.Same(value, decoded), $"{hex} decoded to {MessagePackTree.Show(decoded)}");
    }

    [Theory]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65535, "daffff")]
    [InlineData(65536, "db00010000")]
    public void StringHeaderWidthsFollowByteLength(int length, string header)
    {
        var bytes = MessagePackTree.Encode(new string('x', length));
        Assert.StartsWith(header, Convert.ToHexStringLower(bytes.AsSpan(0, header.Length / 2)));
        Assert.Equal(header.Length / 2 + length, bytes.Length);
    }

    [Theory]
    [InlineData(255, "c4ff")]
    [InlineData(256, "c50100")]
    [InlineData(65535, "c5ffff")]
    [InlineData(65536, "c600010000")]
    public void BinHeaderWidths(int length, string header)
    {
        var bytes = MessagePackTree.Encode(new byte[length]);
        Assert.Equal(header, Convert.ToHexStringLower(bytes.AsSpan(0, header.Length / 2)));
        Assert.Equal(header.Length / 2 + length, bytes.Length);
    }

    [Theory]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(65535, "dcffff", "deffff")]
    [InlineData(65536, "dd00010000", "df00010000")]
    public void ContainerHeaderWidths(int count, string arrayHeader, string mapHeader)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new PayloadWriter(output);
        writer.WriteArrayHeader(count);
        writer.WriteMapHeader(count);
        writer.Flush();
        Assert.Equal(arrayHeader + mapHeader, Convert.ToHexStringLower(output.WrittenSpan));
    }
}

using System.Buffers;
using System.Text;
using Stage.Shared.Protocol;

namespace Stage.Shared.Tests;

public class MessagePackRoundTripTests
{
    static readonly long[] IntBoundaries =
    [
        0, 1, 31, 32, 127, 128, 255, 256, 32767, 32768, 65535, 65536, int.MaxValue, (long)int.MaxValue + 1,
        uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue, long.MaxValue - 1,
        -1, -31, -32, -33, -127, -128, -129, -255, -256, -32767, -32768, -32769, -65535, -65536,
        int.MinValue + 1, int.MinValue, (long)int.MinValue - 1, long.MinValue + 1, long.MinValue,
    ];

    [Fact]
    public void EveryIntegerWidthBoundaryRoundTripsInItsSmallestForm()
    {
        foreach (long value in IntBoundaries)
        {
            foreach (long v in new[] { value, value - 1, value + 1 })
            {
                if ((value == long.MaxValue && v == long.MinValue) || (value == long.MinValue && v == long.MaxValue)) continue;
                var bytes = MessagePackTree.Encode(v);
                Assert.Equal(ExpectedLength(v), bytes.Length);
                var reader = new PayloadReader(bytes);
                Assert.Equal(v, reader.ReadInt64());
                Assert.True(reader.End);
            }
        }
    }

    static int ExpectedLength(long v) => v switch
    {
        >= -32 and <= 127 => 1,
        >= sbyte.MinValue and < 0 => 2,
        >= 0 and <= byte.MaxValue => 2,
        >= short.MinValue and < 0 => 3,
        >= 0 and <= ushort.MaxValue => 3,
        >= int.MinValue and < 0 => 5,
        >= 0 and <= uint.MaxValue => 5,
        _ => 9,
    };

    [Fact]
    public void UnsignedBeyondInt64RoundTripsAndIsRefusedAsInt64()
    {
        foreach (ulong v in new[] { (ulong)long.MaxValue + 1, ulong.MaxValue - 1, ulong.MaxValue })
        {
            var bytes = MessagePackTree.Encode(v);
            Assert.Equal(9, bytes.Length);
            Assert.Equal(v, new PayloadReader(bytes).ReadUInt64());
            var e = Assert.Throws<MessagePackException>(() => new PayloadReader(bytes).ReadInt64());
            Assert.Contains("int64", e.Message);
        }
    }

    [Fact]
    public void Int32ReaderRefusesValuesOutsideInt32()
    {
        var bytes = MessagePackTree.Encode((long)int.MaxValue + 1);
        var e = Assert.Throws<MessagePackException>(() => new PayloadReader(bytes).ReadInt32());
        Assert.Contains("2147483648", e.Message);
    }

    [Fact]
    public void FloatsRoundTripBitExactIncludingNaNInfinityAndSignedZero()
    {
        double[] doubles = [0.0, -0.0, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, double.NaN,
            double.PositiveInfinity, double.NegativeInfinity, Math.PI, 1e-310, BitConverter.Int64BitsToDouble(0x7ff0000000000001)];
        foreach (double d in doubles)
        {
            var bytes = MessagePackTree.Encode(d);
            Assert.Equal(9, bytes.Length);
            Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(new PayloadReader(bytes).ReadDouble()));
        }
        float[] floats = [0f, -0f, float.Epsilon, float.MaxValue, float.MinValue, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0.1f];
        foreach (float f in floats)
        {
            var bytes = MessagePackTree.Encode(f);
            Assert.Equal(5, bytes.Length);
            Assert.Equal(BitConverter.SingleToInt32Bits(f), BitConverter.SingleToInt32Bits(new PayloadReader(bytes).ReadSingle()));
        }
    }

    [Fact]
    public void NumberReadersAcceptIntegersAsFloats()
    {
        Assert.Equal(2.0, new PayloadReader(MessagePackTree.Encode(2L)).ReadDouble());
        Assert.Equal(-40000.0, new PayloadReader(MessagePackTree.Encode(-40000L)).ReadDouble());
        Assert.Equal(18446744073709551615.0, new PayloadReader(MessagePackTree.Encode(ulong.MaxValue)).ReadDouble());
    }

    [Fact]
    public void StringsRoundTripEmptyLongAndUtf8()
    {
        string[] strings =
        [
            "", "a", new string('a', 31), new string('b', 32), new string('c', 255), new string('d', 256),
            new string('e', 65535), new string('f', 65536), "grüße, ¿qué tal? 日本語 ♪ 🥁🎸",
            string.Concat(Enumerable.Repeat("🎹", 20_000)), "\0embedded\0nul",
        ];
        foreach (var s in strings)
        {
            var bytes = MessagePackTree.Encode(s);
            Assert.Equal(s, new PayloadReader(bytes).ReadString());
        }
    }

    [Fact]
    public void LoneSurrogatesAreRefusedRatherThanReplaced()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<EncoderFallbackException>(() =>
        {
            var writer = new PayloadWriter(output);
            writer.Write("broken \ud800 pair");
        });
    }

    [Fact]
    public void BinsAtEveryHeaderBoundaryRoundTripAsSlicesOfTheInput()
    {
        var random = new Random(7);
        foreach (int length in new[] { 0, 1, 255, 256, 65535, 65536, 1 << 20 })
        {
            var payload = new byte[length];
            random.NextBytes(payload);
            var bytes = MessagePackTree.Encode(payload);
            var reader = new PayloadReader(bytes);
            var slice = reader.ReadBinary();
            Assert.True(slice.Span.SequenceEqual(payload));
            if (length > 0)
            {
                // No copy: the slice is the input's memory.
                bytes[^1] ^= 0xff;
                Assert.Equal((byte)(payload[^1] ^ 0xff), slice.Span[^1]);
            }
        }
    }

    [Fact]
    public void Float32SamplesAreViewedInPlace()
    {
        float[] samples = [0f, 1f, -1f, 0.25f, float.NaN, float.Epsilon];
        var output = new ArrayBufferWriter<byte>();
        var writer = new PayloadWriter(output);
        writer.Write(samples.AsSpan());
        writer.Flush();
        var bytes = output.WrittenSpan.ToArray();
        var view = new PayloadReader(bytes).ReadFloat32Samples();
        Assert.Equal(samples, view.ToArray());
        bytes.AsSpan(bytes.Length - 4).Clear(); // the last sample's bytes
        Assert.Equal(0f, view.Span[^1]);
    }

    [Fact]
    public void NestedArraysAndMapsRoundTrip()
    {
        object? deep = "leaf";
        for (int i = 0; i < PayloadReader.DefaultMaxDepth - 1; i++)
            deep = i % 2 == 0 ? new object?[] { deep, (long)i } : new List<KeyValuePair<object?, object?>> { new($"k{i}", deep) };
        var bytes = MessagePackTree.Encode(deep);
        Assert.True(MessagePackTree.Same(deep, MessagePackTree.Decode(bytes)));
        var reader = new PayloadReader(bytes);
        reader.Skip();
        Assert.True(reader.End);
    }

    [Fact]
    public void RandomTreesRoundTrip()
    {
        var random = new Random(20261122);
        for (int i = 0; i < 2000; i++)
        {
            var tree = RandomTree.Make(random, depth: 4);
            var decoded = MessagePackTree.Decode(MessagePackTree.Encode(tree));
            Assert.True(MessagePackTree.Same(tree, decoded), $"tree {i}: {MessagePackTree.Show(tree)} came back as {MessagePackTree.Show(decoded)}");
        }
    }

    [Fact]
    public void RandomTreesReencodeToTheSameBytes()
    {
        // Without float32 (which decodes as double) every decoded tree is exactly what was written.
        var random = new Random(11);
        for (int i = 0; i < 1000; i++)
        {
            var bytes = MessagePackTree.Encode(RandomTree.Make(random, depth: 4, float32: false));
            Assert.Equal(bytes, MessagePackTree.Encode(MessagePackTree.Decode(bytes)));
        }
    }
}

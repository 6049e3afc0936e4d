using Stage.Shared.Protocol;

namespace Stage.Shared.Tests;

/// <summary>Untrusted bytes: every problem is a MessagePackException naming the offset, never a crash or a huge allocation.</summary>
public class MessagePackHardeningTests
{
    static MessagePackException Rejects(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        return Assert.Throws<MessagePackException>(() => MessagePackTree.Decode(bytes));
    }

    [Fact]
    public void ReservedByteC1IsRejected()
    {
        var e = Rejects("92 01 c1".Replace(" ", ""));
        Assert.Contains("0xc1", e.Message);
        Assert.Equal(2, e.Offset);
    }

    [Theory]
    [InlineData("d40110")]            // fixext 1
    [InlineData("d5022021")]          // fixext 2
    [InlineData("d6ff5a4af6a5")]      // timestamp 32
    [InlineData("d7ff00000000000000ff")]
    [InlineData("d8010000000000000000000000000000000000")]
    [InlineData("c70101ff")]          // ext 8
    [InlineData("c8000101ff")]        // ext 16
    [InlineData("c900000001 01ff")]   // ext 32
    public void ExtTypesAreRejected(string hex)
    {
        var e = Rejects(hex.Replace(" ", ""));
        Assert.Contains("ext type", e.Message);
        var reader = new PayloadReader(Convert.FromHexString(hex.Replace(" ", "")));
        try { reader.Skip(); Assert.Fail("Skip accepted an ext type"); }
        catch (MessagePackException skip) { Assert.Contains("ext type", skip.Message); }
    }

    [Theory]
    [InlineData("ddffffffff", "array claims 4294967295 elements but only 0 bytes remain")]
    [InlineData("dfffffffff01", "map claims 4294967295 entries but only 1 bytes remain")]
    [InlineData("dbffffffff61", "str32 claims 4294967295 bytes but only 1 remain")]
    [InlineData("c6ffffffff00", "bin32 claims 4294967295 bytes but only 1 remain")]
    [InlineData("c6 7fffffff", "bin32 claims 2147483647 bytes but only 0 remain")]
    [InlineData("dc0003 01 02", "array claims 3 elements but only 2 bytes remain")]
    [InlineData("da0005 6161", "string bytes need 5 bytes but only 2 remain")]
    [InlineData("c405 0102", "binary bytes need 5 bytes but only 2 remain")]
    public void LengthsAreCheckedAgainstRemainingBytesBeforeAllocating(string hex, string problem)
    {
        var e = Rejects(hex.Replace(" ", ""));
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void EveryTruncationOfValidDataIsACleanError()
    {
        var random = new Random(3);
        for (int n = 0; n < 200; n++)
        {
            var bytes = MessagePackTree.Encode(RandomTree.Make(random, depth: 3));
            // Every cut of small encodings; a sample of cuts of the large ones (long strings and bins).
            for (int i = 0; i < Math.Min(bytes.Length, 300); i++)
            {
                int length = bytes.Length <= 300 ? i : random.Next(bytes.Length);
                var prefix = bytes.AsSpan(0, length).ToArray();
                Assert.Throws<MessagePackException>(() => MessagePackTree.Decode(prefix));
            }
        }
    }

    [Fact]
    public void NestingBeyondTheDepthLimitIsRefusedBySkip()
    {
        var bomb = Enumerable.Repeat((byte)0x91, 100_000).Append((byte)0xc0).ToArray();
        var reader = new PayloadReader(bomb);
        try { reader.Skip(); Assert.Fail("a 100000-deep array was accepted"); }
        catch (MessagePackException e)
        {
            Assert.Contains($"deeper than {PayloadReader.DefaultMaxDepth}", e.Message);
            Assert.Equal(PayloadReader.DefaultMaxDepth, e.Offset);
        }
    }

    [Fact]
    public void InvalidUtf8IsRefused()
    {
        var e = Rejects("a3 61 ff 62".Replace(" ", ""));
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void WrongKindNamesWhatWasExpectedAndFound()
    {
        var reader = new PayloadReader(Convert.FromHexString("a161"));
        try { reader.ReadInt64(); Assert.Fail(); }
        catch (MessagePackException e) { Assert.Equal("expected an integer but found string (0xa1) (at byte 0)", e.Message); }
    }

    /// <summary>MessagePack-CSharp's reader reads a str or nil as a bin and nil as a string; Stage's does not.</summary>
    [Theory]
    [InlineData("binary", "a161", "expected binary data but found string (0xa1) (at byte 0)")]
    [InlineData("binary", "c0", "expected binary data but found nil (0xc0) (at byte 0)")]
    [InlineData("string", "c0", "expected a string but found nil (0xc0) (at byte 0)")]
    [InlineData("string", "c40161", "expected a string but found binary (0xc4) (at byte 0)")]
    [InlineData("array", "dd80000000", "array claims 2147483648 elements but only 0 bytes remain (at byte 0)")]
    [InlineData("map", "df80000000", "map claims 2147483648 entries but only 0 bytes remain (at byte 0)")]
    public void KindsAreNotConvertedAndCountsAboveInt32AreRefused(string read, string hex, string message)
    {
        var reader = new PayloadReader(Convert.FromHexString(hex));
        try
        {
            _ = read switch
            {
                "binary" => reader.ReadBinary().Length,
                "string" => reader.ReadString().Length,
                "array" => reader.ReadArrayHeader(),
                _ => reader.ReadMapHeader(),
            };
            Assert.Fail($"{hex} was read as {read}");
        }
        catch (MessagePackException e) { Assert.Equal(message, e.Message); }
    }

    [Fact]
    public void RandomGarbageNeverEscapesAsAnythingButProtocolErrors()
    {
        var random = new Random(99);
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(1, 64)];
            random.NextBytes(bytes);
            try { MessageCodec.Decode(bytes); }
            catch (ProtocolException) { }
        }
    }

    [Fact]
    public void BitFlippedMessagesDecodeOrFailCleanly()
    {
        var random = new Random(5);
        var valid = MessageCodec.Encode(MessageSamples.Generate(requestId: 3, frames: 64));
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])valid.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            try { MessageCodec.Decode(bytes); }
            catch (ProtocolException) { }
        }
    }
}

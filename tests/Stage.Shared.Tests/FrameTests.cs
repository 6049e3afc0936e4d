using Stage.Shared.Protocol;

namespace Stage.Shared.Tests;

public class FrameTests
{
    static async Task<byte[]?> Read(byte[] stream, int max = Frame.MaxPayloadBytes) =>
        await Frame.ReadAsync(new MemoryStream(stream), CancellationToken.None, max);

    [Fact]
    public async Task FramesRoundTripBackToBack()
    {
        var stream = new MemoryStream();
        using var buffer = new FrameBuffer(16);
        ProtocolMessage[] messages = [new Ping(1), MessageSamples.Generate(2, 48_000), new Cancel(2)];
        foreach (var m in messages)
        {
            buffer.Encode(m);
            await Frame.WriteAsync(stream, buffer, CancellationToken.None);
        }
        stream.Position = 0;
        foreach (var m in messages)
            Assert.Equal(m.Type, MessageCodec.Decode((await Frame.ReadAsync(stream, CancellationToken.None))!).Type);
        Assert.Null(await Frame.ReadAsync(stream, CancellationToken.None));
    }

    [Fact]
    public async Task HeaderIsBigEndianPayloadLength()
    {
        var stream = new MemoryStream();
        using var buffer = new FrameBuffer();
        buffer.Encode(new Ping(5));
        await Frame.WriteAsync(stream, buffer, CancellationToken.None);
        var bytes = stream.ToArray();
        Assert.Equal(new byte[] { 0, 0, 0, (byte)(bytes.Length - 4) }, bytes[..4]);
        Assert.Equal(MessageCodec.Encode(new Ping(5)), bytes[4..]);
    }

    [Fact]
    public async Task CleanEndBetweenFramesIsNull() => Assert.Null(await Read([]));

    [Fact]
    public async Task TruncatedHeaderIsReported()
    {
        var e = await Assert.ThrowsAsync<ProtocolException>(() => Read([0, 0]));
        Assert.Equal(FailureCode.TruncatedFrame, e.Code);
        Assert.Contains("after 2 of the 4 bytes of a frame header", e.Message);
    }

    [Fact]
    public async Task TruncatedPayloadIsReported()
    {
        var e = await Assert.ThrowsAsync<ProtocolException>(() => Read([0, 0, 0, 10, 0x81, 0xa1]));
        Assert.Equal(FailureCode.TruncatedFrame, e.Code);
        Assert.Contains("after 2 of the 10 bytes of a frame", e.Message);
    }

    [Fact]
    public async Task OversizeFrameIsRefusedFromItsHeaderAlone()
    {
        var stream = new MemoryStream([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
        var e = await Assert.ThrowsAsync<ProtocolException>(() => Frame.ReadAsync(stream, CancellationToken.None).AsTask());
        Assert.Equal(FailureCode.FrameTooLarge, e.Code);
        Assert.Contains("4294967295 bytes, more than the limit of 67108864", e.Message);
        Assert.Equal(4, stream.Position); // nothing past the header was read (or allocated for)
        var justOver = await Assert.ThrowsAsync<ProtocolException>(() => Read([0x04, 0x00, 0x00, 0x01]));
        Assert.Equal(FailureCode.FrameTooLarge, justOver.Code);
    }

    [Fact]
    public async Task EmptyFrameIsRefused()
    {
        var e = await Assert.ThrowsAsync<ProtocolException>(() => Read([0, 0, 0, 0]));
        Assert.Equal(FailureCode.Malformed, e.Code);
    }

    [Fact]
    public void EncodingMoreThanTheFrameLimitIsRefused()
    {
        using var buffer = new FrameBuffer();
        var tooLong = new StemChunk(1, 0, 0, new PcmAudio(new float[Frame.MaxPayloadBytes / 4], 48_000, 2));
        var e = Assert.Throws<ProtocolException>(() => buffer.Encode(tooLong));
        Assert.Equal(FailureCode.FrameTooLarge, e.Code);
    }
}

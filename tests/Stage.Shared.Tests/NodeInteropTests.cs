using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Stage.Shared.Protocol;

namespace Stage.Shared.Tests;

/// <summary>
/// Interop with an independent MessagePack implementation, @msgpack/msgpack under node
/// (tests/interop/interop.mjs), in both directions.
/// </summary>
public class NodeInteropTests
{
    [Fact]
    public void RandomValuesSurviveNodeDecodingAndReencoding()
    {
        var random = new Random(2026);
        var trees = new object?[300];
        for (int i = 0; i < trees.Length; i++) trees[i] = RandomTree.Make(random, depth: 3, stringKeysOnly: true);
        var back = MessagePackTree.Decode(Node.Run("roundtrip", MessagePackTree.Encode(trees)));
        var returned = Assert.IsType<object?[]>(back);
        for (int i = 0; i < trees.Length; i++)
            Assert.True(MessagePackTree.Same(trees[i], returned[i]), $"value {i}: sent {MessagePackTree.Show(trees[i])}, node sent back {MessagePackTree.Show(returned[i])}");
    }

    [Fact]
    public void BoundaryValuesSurviveNode()
    {
        var values = new object?[]
        {
            0L, 127L, 128L, 255L, 256L, 65535L, 65536L, 4294967295L, 4294967296L, long.MaxValue, ulong.MaxValue,
            -1L, -32L, -33L, -128L, -129L, -32768L, -32769L, (long)int.MinValue, (long)int.MinValue - 1, long.MinValue,
            double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, 0.1, 1.5f,
            "", new string('x', 31), new string('x', 32), new string('x', 256), new string('€', 30_000), "🥁",
            Array.Empty<byte>(), new byte[255], new byte[256], new byte[65536],
            new object?[16], new List<KeyValuePair<object?, object?>>(Enumerable.Range(0, 16).Select(i => new KeyValuePair<object?, object?>($"k{i}", (long)i))),
        };
        var returned = Assert.IsType<object?[]>(MessagePackTree.Decode(Node.Run("roundtrip", MessagePackTree.Encode(values))));
        for (int i = 0; i < values.Length; i++)
            Assert.True(MessagePackTree.Same(values[i], returned[i]), $"value {i}: sent {MessagePackTree.Show(values[i])}, node sent back {MessagePackTree.Show(returned[i])}");
    }

    [Fact]
    public void NodeReadsOurGenerateRequest()
    {
        var request = MessageSamples.Generate(requestId: 31, frames: 4800);
        using var json = JsonDocument.Parse(Node.Run("describe", MessageCodec.Encode(request)));
        var root = json.RootElement;
        Assert.Equal("generate", root.GetProperty("type").GetString());
        Assert.Equal(31, root.GetProperty("requestId").GetInt64());
        Assert.Equal("drums", root.GetProperty("instrument").GetString());
        Assert.Equal(97.25, root.GetProperty("tempoBpm").GetDouble());
        Assert.Equal([6, 8], root.GetProperty("timeSignature").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(8, root.GetProperty("lengthBars").GetDouble());
        Assert.Equal("mixture", root.GetProperty("contextMode").GetString());
        Assert.Equal(request.Prompt, root.GetProperty("prompt").GetString());
        Assert.Equal("-123456789012345", root.GetProperty("seed").GetProperty("int").GetString()); // int64 arrives as a BigInt
        Assert.Equal("/tmp/stems dir/ü", root.GetProperty("wavDirectory").GetString());
        var context = root.GetProperty("context");
        Assert.Equal(48_000, context.GetProperty("sampleRate").GetInt32());
        Assert.Equal(2, context.GetProperty("channels").GetInt32());
        var bytes = Convert.FromBase64String(context.GetProperty("samples").GetProperty("bin").GetString()!);
        Assert.Equal(request.Context.Samples.ToArray(), LittleEndianFloats(bytes));
    }

    [Fact]
    public void NodeReadsOurEngineMessages()
    {
        var chunk = new StemChunk(5, 1, 123_456, new PcmAudio(MessageSamples.Sine(1000, 2), 32_000, 2));
        using (var json = JsonDocument.Parse(Node.Run("describe", MessageCodec.Encode(chunk))))
        {
            var root = json.RootElement;
            Assert.Equal(("stem_chunk", 5, 1, 123_456), (root.GetProperty("type").GetString(), root.GetProperty("requestId").GetInt32(),
                root.GetProperty("variation").GetInt32(), root.GetProperty("sampleOffset").GetInt32()));
            var audio = root.GetProperty("audio");
            Assert.Equal(32_000, audio.GetProperty("sampleRate").GetInt32());
            Assert.Equal(chunk.Audio.Samples.ToArray(), LittleEndianFloats(Convert.FromBase64String(audio.GetProperty("samples").GetProperty("bin").GetString()!)));
        }
        using (var json = JsonDocument.Parse(Node.Run("describe", MessageCodec.Encode(new Progress(5, 0.25, "generating", null)))))
        {
            Assert.Equal(0.25, json.RootElement.GetProperty("fraction").GetDouble());
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("etaSeconds").ValueKind);
        }
        using (var json = JsonDocument.Parse(Node.Run("describe", MessageCodec.Encode(new Completed(5, 2, 96_000, ["/x/a.wav", "/x/b.wav"])))))
            Assert.Equal(["/x/a.wav", "/x/b.wav"], json.RootElement.GetProperty("wavPaths").EnumerateArray().Select(e => e.GetString()));
        using (var json = JsonDocument.Parse(Node.Run("describe", MessageCodec.Encode(new Welcome(1, "0.1.0", ["generate"])))))
            Assert.Equal("welcome", json.RootElement.GetProperty("type").GetString());
        using (var json = JsonDocument.Parse(Node.Run("describe", MessageCodec.Encode(new Failed(5, FailureCode.ModelMissing, "no drums model installed at /m/drums")))))
            Assert.Equal("no drums model installed at /m/drums", json.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task WeReadNodesMessages()
    {
        var stream = new MemoryStream(Node.Run("messages", []));
        var hello = Assert.IsType<Hello>(MessageCodec.Decode((await Frame.ReadAsync(stream, CancellationToken.None))!));
        Assert.Equal(new Hello(2, "node interop", "3.1.3"), hello);

        var request = Assert.IsType<GenerateRequest>(MessageCodec.Decode((await Frame.ReadAsync(stream, CancellationToken.None))!));
        Assert.Equal(7, request.RequestId);
        Assert.Equal(Instrument.Bass, request.Instrument);
        Assert.Equal((48_000, 2, 4800L), (request.Context.SampleRate, request.Context.Channels, request.Context.FrameCount));
        var samples = request.Context.Samples.Span;
        for (int i = 0; i < 4800; i++)
            for (int c = 0; c < 2; c++)
                Assert.Equal((float)(Math.Sin(0.01 * i + c) / 2), samples[i * 2 + c]);
        Assert.Equal(123.5, request.TempoBpm);
        Assert.Equal(new TimeSignature(7, 8), request.TimeSignature);
        Assert.Equal(StemLength.Bars(4), request.Length);
        Assert.Equal(ContextMode.Both, request.ContextMode);
        Assert.Equal(0.25, request.ClickOffsetSeconds);
        Assert.Equal("warm fretless bass, ünïcödé ♪", request.Prompt);
        Assert.Equal((0.9, 200, 3.0, 42L, 2, 44_100, 1, false), (request.Temperature, request.TopK, request.Guidance, request.Seed, request.Variations, request.OutputSampleRate, request.OutputChannels, request.WriteWav));
        Assert.Null(request.WavDirectory);
        Assert.Null(request.Problem());

        Assert.Equal(new Cancel(7), MessageCodec.Decode((await Frame.ReadAsync(stream, CancellationToken.None))!));
        // 2^53 + 1: a BigInt on the node side, exact as an int64 here.
        Assert.Equal(new Ping(9007199254740993), MessageCodec.Decode((await Frame.ReadAsync(stream, CancellationToken.None))!));
        Assert.Null(await Frame.ReadAsync(stream, CancellationToken.None));
    }

    static float[] LittleEndianFloats(byte[] bytes)
    {
        var floats = new float[bytes.Length / 4];
        for (int i = 0; i < floats.Length; i++) floats[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        return floats;
    }
}

using System.Buffers;
using Stage.Shared.Protocol;

namespace Stage.Shared.Tests;

public class MessageCodecTests
{
    static T RoundTrip<T>(T message) where T : ProtocolMessage =>
        Assert.IsType<T>(MessageCodec.Decode(MessageCodec.Encode(message)));

    [Fact]
    public void SimpleMessagesRoundTrip()
    {
        Assert.Equal(new Hello(1, "Stage VST3", "0.1.0"), RoundTrip(new Hello(1, "Stage VST3", "0.1.0")));
        Assert.Equal(new Progress(9, 0.5, "generating", 12.5), RoundTrip(new Progress(9, 0.5, "generating", 12.5)));
        Assert.Equal(new Progress(9, 1, "decoding", null), RoundTrip(new Progress(9, 1, "decoding", null)));
        Assert.Equal(new Failed(0, FailureCode.Malformed, "ünïcode message"), RoundTrip(new Failed(0, FailureCode.Malformed, "ünïcode message")));
        Assert.Equal(new Cancel(long.MaxValue), RoundTrip(new Cancel(long.MaxValue)));
        Assert.Equal(new Ping(long.MinValue), RoundTrip(new Ping(long.MinValue)));
        Assert.Equal(new Pong(42), RoundTrip(new Pong(42)));
        var welcome = RoundTrip(new Welcome(1, "0.1.0", [EngineCapability.Generate, EngineCapability.Cancel]));
        Assert.Equal(["generate", "cancel"], welcome.Capabilities);
        var completed = RoundTrip(new Completed(4, 2, 480_000, ["/a/b.wav", "/a/c.wav"]));
        Assert.Equal((4L, 2, 480_000L), (completed.RequestId, completed.Variations, completed.TotalSamples));
        Assert.Equal(["/a/b.wav", "/a/c.wav"], completed.WavPaths);
    }

    [Fact]
    public void ControlRoomMessagesRoundTrip()
    {
        var info = new InstanceInfo
        {
            InstanceId = "5f1c", TrackName = "Drüms bus", TrackColour = 0xFF3366CC, Instrument = Instrument.Bass, ContextMode = ContextMode.Both,
            Bars = 8, TempoBpm = 97.5, TimeSignature = new TimeSignature(7, 8), SampleRate = 44_100, CapturedBars = 12, CapturedFirstBar = 3,
            Playing = true, Prompt = "walking bass", Temperature = 0.9, TopK = 100, Guidance = 4.5, Seed = 77, Variations = 3, Variation = 2,
            Status = "Stem ready: /x.wav", StemWavPaths = ["/x.wav", "/y.wav"],
        };
        var back = RoundTrip(info);
        Assert.Equal(info.StemWavPaths, back.StemWavPaths);
        Assert.Equal(info, back with { StemWavPaths = info.StemWavPaths });
        var anonymous = RoundTrip(new InstanceInfo { InstanceId = "x" });
        Assert.Null(anonymous.TrackName);
        Assert.Null(anonymous.TrackColour);
        Assert.Equal(new PromptSettings { Prompt = "funk", Seed = 3 }, RoundTrip(new PromptSettings { Prompt = "funk", Seed = 3 }));
        var all = new PromptSettings { Prompt = "", Temperature = 1.1, TopK = 5, Guidance = 2, Seed = 0, Variations = 8 };
        Assert.Equal(all, RoundTrip(all));
        Assert.Equal(new RemotePress(RemoteAction.Generate), RoundTrip(new RemotePress(RemoteAction.Generate)));
        Assert.Equal(new RemotePress(RemoteAction.Cancel), RoundTrip(new RemotePress(RemoteAction.Cancel)));
        Assert.Equal(new VariationChoice(4), RoundTrip(new VariationChoice(4)));
        var restore = RoundTrip(new StemRestore(["/s/a.wav", "/s/b.wav"], 16, 8, 48_000));
        Assert.Equal((16.0, 8.0, 48_000.0), (restore.StartPpq, restore.LengthQuarters, restore.SampleRate));
        Assert.Equal(["/s/a.wav", "/s/b.wav"], restore.WavPaths);
        Assert.IsType<OpenControlRoom>(RoundTrip(new OpenControlRoom()));
        var request = RoundTrip(MessageSamples.Generate(requestId: 5, frames: 10) with { InstanceId = "5f1c", StemStartPpq = 32 });
        Assert.Equal(("5f1c", 32.0), (request.InstanceId, request.StemStartPpq));
    }

    [Fact]
    public void ControlRoomMessagesWithBadValuesAreRefusedNamingTheField()
    {
        Assert.Contains("'action'", Fails(Map(("type", "press"), ("action", "explode"))).Message);
        Assert.Contains("'instanceId'", Fails(Map(("type", "instance"), ("prompt", "x"))).Message);
        Assert.Contains("'instanceId'", Fails(Map(("type", "instance"), ("instanceId", ""))).Message);
        Assert.Contains("at most 2000", Fails(Map(("type", "settings"), ("prompt", new string('p', 2001)))).Message);
        Assert.Contains("'wavPaths'", Fails(Map(("type", "restore"), ("wavPaths", Array.Empty<object?>()), ("startPpq", 0.0), ("lengthQuarters", 4.0), ("sampleRate", 48000.0))).Message);
        Assert.Contains("sample rate above 0", Fails(Map(("type", "restore"), ("wavPaths", new object?[] { "/a.wav" }), ("startPpq", 0.0), ("lengthQuarters", 4.0), ("sampleRate", 0.0))).Message);
        Assert.Contains("instance id", (MessageSamples.Generate(requestId: 5, frames: 10) with { InstanceId = "" }).Problem());
    }

    [Fact]
    public void GenerateRequestRoundTripsEveryField()
    {
        var sent = MessageSamples.Generate(requestId: 77, frames: 4800);
        var got = RoundTrip(sent);
        Assert.Equal(sent.Context.Samples.ToArray(), got.Context.Samples.ToArray());
        Assert.Equal((48_000, 2), (got.Context.SampleRate, got.Context.Channels));
        // Everything else compares by value once the audio (compared above) is the same instance.
        Assert.Equal(sent, got with { Context = sent.Context });
        Assert.Null(sent.Problem());
    }

    [Fact]
    public void GenerateRequestOptionalFieldsTakeDefaultsAndSecondsLengthsSurvive()
    {
        var minimal = new GenerateRequest
        {
            RequestId = 1, Instrument = Instrument.Bass, Context = new PcmAudio(ReadOnlyMemory<float>.Empty, 48_000, 2),
            TempoBpm = 120, TimeSignature = new TimeSignature(4, 4), Length = StemLength.Seconds(10), ContextMode = ContextMode.Click,
        };
        var got = RoundTrip(minimal);
        Assert.Equal(StemLength.Seconds(10), got.Length);
        Assert.Null(got.Seed);
        Assert.Null(got.WavDirectory);
        Assert.True(got.Context.Samples.IsEmpty);
        Assert.Null(got.Problem());

        // A map with only the required keys decodes with the documented defaults.
        var output = new ArrayBufferWriter<byte>();
        var w = new PayloadWriter(output);
        w.WriteMapHeader(8);
        w.Write("type"); w.Write("generate");
        w.Write("requestId"); w.Write(5);
        w.Write("instrument"); w.Write("drums");
        w.Write("context"); new PcmAudio(new float[] { 0.5f }, 44_100, 1).GetType(); // (shape written by hand below)
        w.WriteMapHeader(3); w.Write("sampleRate"); w.Write(44_100); w.Write("channels"); w.Write(1); w.Write("samples"); w.Write(new float[] { 0.5f }.AsSpan());
        w.Write("tempoBpm"); w.Write(90); // an integer where a float is expected is fine
        w.Write("timeSignature"); w.WriteArrayHeader(2); w.Write(3); w.Write(4);
        w.Write("lengthBars"); w.Write(2);
        w.Write("contextMode"); w.Write("both");
        w.Flush();
        var decoded = Assert.IsType<GenerateRequest>(MessageCodec.Decode(output.WrittenMemory));
        Assert.Equal((GenerateRequest.DefaultTemperature, GenerateRequest.DefaultTopK, GenerateRequest.DefaultGuidance, 1, GenerateRequest.DefaultOutputSampleRate, GenerateRequest.DefaultOutputChannels, true, ""),
            (decoded.Temperature, decoded.TopK, decoded.Guidance, decoded.Variations, decoded.OutputSampleRate, decoded.OutputChannels, decoded.WriteWav, decoded.Prompt));
        Assert.Equal(StemLength.Bars(2), decoded.Length);
        Assert.Equal(90.0, decoded.TempoBpm);
        Assert.Equal(new TimeSignature(3, 4), decoded.TimeSignature);
    }

    [Fact]
    public void StemChunkAudioIsAViewOfTheFrameNotACopy()
    {
        var samples = MessageSamples.Sine(48_000, 2);
        var frame = MessageCodec.Encode(new StemChunk(3, 1, 96_000, new PcmAudio(samples, 48_000, 2)));
        var chunk = Assert.IsType<StemChunk>(MessageCodec.Decode(frame));
        Assert.Equal((3L, 1, 96_000L, 48_000L), (chunk.RequestId, chunk.Variation, chunk.SampleOffset, chunk.Audio.FrameCount));
        Assert.True(chunk.Audio.Samples.Span.SequenceEqual(samples));
        frame.AsSpan(frame.Length - 4).Clear();
        Assert.Equal(0f, chunk.Audio.Samples.Span[^1]);
    }

    [Fact]
    public void KeysMayComeInAnyOrderAndUnknownKeysAreSkipped()
    {
        var bytes = MessagePackTree.Encode(new List<KeyValuePair<object?, object?>>
        {
            new("token", 12L),
            new("addedInProtocol1_5", new object?[] { new List<KeyValuePair<object?, object?>> { new("x", new byte[3]) }, 1.5, null }),
            new("type", "ping"),
        });
        Assert.Equal(new Ping(12), MessageCodec.Decode(bytes));
    }

    static ProtocolException Fails(object? tree) =>
        Assert.ThrowsAny<ProtocolException>(() => MessageCodec.Decode(MessagePackTree.Encode(tree)));

    static List<KeyValuePair<object?, object?>> Map(params (string Key, object? Value)[] entries) =>
        entries.Select(e => new KeyValuePair<object?, object?>(e.Key, e.Value)).ToList();

    [Fact]
    public void UnknownTypeIsReportedAsSuch()
    {
        var e = Fails(Map(("type", "teleport"), ("requestId", 1L)));
        Assert.Equal(FailureCode.UnknownMessage, e.Code);
        Assert.Equal("unknown message type 'teleport'", e.Message);
    }

    [Fact]
    public void MissingTypeOrNonMapPayloadIsMalformed()
    {
        Assert.Equal("the message map lacks the key 'type'", Fails(Map(("token", 1L))).Message);
        var e = Fails(new object?[] { "ping", 1L });
        Assert.Equal(FailureCode.Malformed, e.Code);
        Assert.Contains("expected a message map but found array", e.Message);
        Assert.Contains("'type' to be a string", Fails(Map(("type", 3L))).Message);
    }

    [Fact]
    public void MissingRequiredFieldIsNamed()
    {
        var e = Fails(Map(("type", "hello"), ("protocolVersion", 1L), ("clientName", "x")));
        Assert.Equal(FailureCode.Malformed, e.Code);
        Assert.Equal("'hello' message lacks the required field 'clientVersion'", e.Message);
    }

    [Fact]
    public void FieldOfTheWrongKindIsNamedWithItsOffset()
    {
        var e = Assert.IsType<MessagePackException>(Fails(Map(("type", "cancel"), ("requestId", "seven"))));
        Assert.Equal("field 'requestId' of 'cancel': expected an integer but found string (0xa5) (at byte 23)", e.Message);
    }

    [Fact]
    public void EnumsOutsideTheirNamesAreRefused()
    {
        var request = MessagePackTree.Decode(MessageCodec.Encode(MessageSamples.Generate(1, 4)));
        var map = (List<KeyValuePair<object?, object?>>)request!;
        int i = map.FindIndex(kv => (string)kv.Key! == "instrument");
        map[i] = new("instrument", "kazoo");
        Assert.Equal("field 'instrument' of 'generate': 'kazoo' is not \"drums\" or \"bass\"", Fails(map).Message);
    }

    [Fact]
    public void BothLengthUnitsAtOnceAreRefused()
    {
        var map = (List<KeyValuePair<object?, object?>>)MessagePackTree.Decode(MessageCodec.Encode(MessageSamples.Generate(1, 4)))!;
        map.Add(new("lengthSeconds", 3.0));
        Assert.Contains("both lengthBars and lengthSeconds", Fails(map).Message);
    }

    [Fact]
    public void TrailingBytesAfterTheMapAreRefused()
    {
        var bytes = MessageCodec.Encode(new Ping(1)).Append((byte)0xc0).ToArray();
        var e = Assert.Throws<MessagePackException>(() => MessageCodec.Decode(bytes));
        Assert.Contains("1 bytes follow the message map", e.Message);
    }

    [Fact]
    public void DeepNestingInAnUnknownKeyIsRefused()
    {
        object? deep = 1L;
        for (int i = 0; i < 200; i++) deep = new object?[] { deep };
        var e = Fails(Map(("type", "ping"), ("token", 1L), ("junk", deep)));
        Assert.Contains("nest deeper than", e.Message);
    }

    [Fact]
    public void AudioWithABadByteCountIsRefused()
    {
        var e = Fails(Map(("type", "stem_chunk"), ("requestId", 1L), ("variation", 0L), ("sampleOffset", 0L),
            ("audio", Map(("sampleRate", 48_000L), ("channels", 2L), ("samples", new byte[7])))));
        Assert.Contains("field 'audio' of 'stem_chunk': expected float32 samples but the bin holds 7 bytes", e.Message);
    }

    [Theory]
    [InlineData("requestId", "requestId 0 must be 1 or more")]
    [InlineData("tempo", "tempo 0 BPM is outside 20..400")]
    [InlineData("meter", "time signature denominator 3 is not a power of two in 1..64")]
    [InlineData("length", "length 0 bars is not in (0, 1024 bars]")]
    [InlineData("channels", "context audio: channel count 0 is outside 1..8")]
    [InlineData("interleave", "context audio: 3 samples do not divide into 2 interleaved channels")]
    [InlineData("noContext", "context mode 'mixture' needs context audio, but none was sent")]
    [InlineData("temperature", "temperature NaN must be above 0")]
    [InlineData("variations", "0 variations is outside 1..16")]
    [InlineData("outputChannels", "output channel count 6 is not 1 or 2")]
    public void ProblemNamesTheUnusableValue(string what, string problem)
    {
        var ok = MessageSamples.Generate(1, 100);
        var bad = what switch
        {
            "requestId" => ok with { RequestId = 0 },
            "tempo" => ok with { TempoBpm = 0 },
            "meter" => ok with { TimeSignature = new TimeSignature(4, 3) },
            "length" => ok with { Length = StemLength.Bars(0) },
            "channels" => ok with { Context = ok.Context with { Channels = 0 } },
            "interleave" => ok with { Context = ok.Context with { Samples = new float[3] } },
            "noContext" => ok with { Context = ok.Context with { Samples = ReadOnlyMemory<float>.Empty } },
            "temperature" => ok with { Temperature = double.NaN },
            "variations" => ok with { Variations = 0 },
            "outputChannels" => ok with { OutputChannels = 6 },
            _ => throw new ArgumentException(what),
        };
        Assert.Equal(problem, bad.Problem());
    }
}

using Stage.Engine.Jobs;
using Stage.Engine.Logging;
using Stage.Engine.Server;
using Stage.Engine.Tests.Jobs;
using Stage.Shared.Protocol;

namespace Stage.Engine.Tests.Server;

/// <summary>The pipe server running real generations with the tiny fixture model.</summary>
public sealed class GenerationServerTests : IAsyncLifetime
{
    readonly string _models = EndToEnd.ModelsRoot();
    readonly string _stems = Directory.CreateTempSubdirectory("stage-server-stems-").FullName;
    readonly string _pipe = "stage-job-test-" + Guid.NewGuid().ToString("N")[..12];
    readonly CancellationTokenSource _shutdown = new();
    readonly StringWriter _log = new();
    Task _server = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        var server = new PipeServer(_pipe, new StageStemGenerator(new StageModelCache(_models), _stems, progressInterval: TimeSpan.Zero), new EngineLog(TextWriter.Synchronized(_log)));
        _server = server.RunAsync(_shutdown.Token);
        await server.Listening;
    }

    public async Task DisposeAsync()
    {
        _shutdown.Cancel();
        await _server;
        Directory.Delete(_models, recursive: true);
        Directory.Delete(_stems, recursive: true);
    }

    Task<EngineClient> Connect() => EngineClient.ConnectAsync(_pipe, "job-tests", "1", TimeSpan.FromSeconds(10));

    static GenerateRequest Request(long id, double seconds, int rate = 32000, int channels = 1) => new()
    {
        RequestId = id,
        Instrument = Instrument.Drums,
        Context = new PcmAudio(EndToEnd.Context, 32000, 1),
        TempoBpm = 120,
        TimeSignature = new TimeSignature(4, 4),
        Length = StemLength.Seconds(seconds),
        ContextMode = ContextMode.Mixture,
        Prompt = EndToEnd.Prompt,
        TopK = 1,
        Seed = 0,
        OutputSampleRate = rate,
        OutputChannels = channels,
    };

    async Task<List<ProtocolMessage>> ReceiveUntilFinal(EngineClient client, long id, Func<ProtocolMessage, Task>? onMessage = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var messages = new List<ProtocolMessage>();
        while (true)
        {
            ProtocolMessage? received;
            try
            {
                received = await client.ReceiveAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no final message for request {id} after {messages.Count} messages " +
                    $"(last: {(messages.Count > 0 ? messages[^1].Type : "none")}); engine log:\n{_log}");
            }
            var message = received ?? throw new IOException("the engine closed the connection");
            if (message is StemChunk chunk) // the audio views the frame; keep a copy
                message = chunk with { Audio = chunk.Audio with { Samples = chunk.Audio.Samples.ToArray() } };
            messages.Add(message);
            if (onMessage is not null) await onMessage(message);
            if (message is Completed c && c.RequestId == id || message is Failed f && f.RequestId == id) return messages;
        }
    }

    string LogText
    {
        get { lock (_log) return _log.ToString(); }
    }

    async Task WaitForLog(string text)
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(20))
            if (LogText.Contains(text)) return;
        Assert.Fail($"the log never said '{text}'; it holds:\n{LogText}");
    }

    [Fact]
    public async Task AnInstanceOnATrackGetsItsModelReadyBeforeGenerate()
    {
        await using var first = await Connect();
        await first.SendAsync(new InstanceInfo { InstanceId = "a", TrackName = "Drums", Instrument = Instrument.Drums });
        await first.SendAsync(new InstanceInfo { InstanceId = "b", TrackName = "Bass", Instrument = Instrument.Bass });   // not installed: nothing to do
        await WaitForLog("the drums model is ready: loaded in");

        await using var second = await Connect();
        await second.SendAsync(new InstanceInfo { InstanceId = "c", TrackName = "More drums", Instrument = Instrument.Drums });
        await second.SendAsync(Request(1, 0.2));
        var messages = await ReceiveUntilFinal(second, 1);
        Assert.IsType<Completed>(messages[^1]);
        Assert.Equal(1, CountOf(LogText, "model is ready"));   // once per model, and nothing for the missing bass model
        Assert.DoesNotContain("could not get", LogText);
    }

    [Fact]
    public async Task A_broken_model_is_reported_when_its_instance_appears_and_its_Generate_fails_naming_it()
    {
        // The drums checkpoint cut short: the preparation logs why, the engine goes on, and a Generate says the same.
        string checkpoint = Path.Combine(_models, "drums", "model.safetensors");
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..(bytes.Length / 2)]);
        await using var client = await Connect();
        await client.SendAsync(new InstanceInfo { InstanceId = "a", TrackName = "Drums", Instrument = Instrument.Drums });
        await WaitForLog("could not get the drums model ready");
        Assert.Contains("truncated", LogText);

        await client.SendAsync(Request(1, 0.2));
        var messages = await ReceiveUntilFinal(client, 1);
        var failed = Assert.IsType<Failed>(messages[^1]);
        Assert.Equal(FailureCode.ModelMissing, failed.Code);
        Assert.Contains("truncated", failed.Message);
    }

    static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    [Fact]
    public async Task StreamsTheGoldenStemThenCompletes()
    {
        await using var client = await Connect();
        await client.SendAsync(Request(1, EndToEnd.Seconds));
        var messages = await ReceiveUntilFinal(client, 1);

        var completed = Assert.IsType<Completed>(messages[^1]);
        Assert.Equal((1, 7680L), (completed.Variations, completed.TotalSamples));
        string wav = Assert.Single(completed.WavPaths);
        Assert.StartsWith(_stems, wav);
        Assert.True(File.Exists(wav));

        var progress = messages.OfType<Progress>().ToList();
        Assert.Contains(progress, p => p.Step == StemProgress.EncodingContext);
        Assert.Contains(progress, p => p.Step == StemProgress.Generating);
        var streamed = messages.OfType<StemChunk>().SelectMany(c => c.Audio.Samples.ToArray()).ToArray();
        Assert.True(EndToEnd.MaxAbsDiff(EndToEnd.Audio, streamed) <= 1e-4f);
    }

    [Fact]
    public async Task StreamsChunksBeforeTheEndAtTheHostRate()
    {
        await using var client = await Connect();
        await client.SendAsync(Request(2, 3, 48000, 2) with { WriteWav = false });
        var messages = await ReceiveUntilFinal(client, 2);

        var completed = Assert.IsType<Completed>(messages[^1]);
        Assert.Equal(144000L, completed.TotalSamples); // 150 frames × 640 × 48/32
        Assert.Empty(completed.WavPaths);
        var chunks = messages.OfType<StemChunk>().ToList();
        Assert.True(chunks.Count >= 4, $"{chunks.Count} chunks");
        long next = 0;
        foreach (var c in chunks)
        {
            Assert.Equal((48000, 2), (c.Audio.SampleRate, c.Audio.Channels));
            Assert.Equal(next, c.SampleOffset);
            next += c.Audio.FrameCount;
        }
        Assert.Equal(144000L, next);
        // Audio arrives while the model is still generating: a chunk comes before the last generating progress
        // (every step reports progress here, so the order does not depend on how fast the machine is).
        int firstChunk = messages.FindIndex(m => m is StemChunk);
        int lastGenerating = messages.FindLastIndex(m => m is Progress { Step: StemProgress.Generating });
        Assert.True(firstChunk < lastGenerating, $"first chunk at {firstChunk}, last generating progress at {lastGenerating}");
    }

    [Fact]
    public async Task VariationsStreamEachCandidateAndWriteEachWav()
    {
        await using var client = await Connect();
        await client.SendAsync(Request(9, 1) with { Variations = 3, TopK = 50, WavDirectory = _stems });
        var messages = await ReceiveUntilFinal(client, 9);
        var completed = Assert.IsType<Completed>(messages[^1]);
        Assert.Equal((3, 32000L), (completed.Variations, completed.TotalSamples));
        Assert.Equal(3, completed.WavPaths.Count);
        Assert.Equal(3, completed.WavPaths.Distinct().Count());
        for (int v = 0; v < 3; v++)
            Assert.Equal(32000L, messages.OfType<StemChunk>().Where(c => c.Variation == v).Sum(c => c.Audio.FrameCount));
    }

    [Fact]
    public async Task CancelStopsAGenerationMidway()
    {
        await using var client = await Connect();
        await client.SendAsync(Request(3, 30) with { TopK = 50 });
        bool sent = false;
        var messages = await ReceiveUntilFinal(client, 3, async m =>
        {
            if (!sent && m is StemChunk)
            {
                sent = true;
                await client.SendAsync(new Cancel(3));
            }
        });
        var failed = Assert.IsType<Failed>(messages[^1]);
        Assert.Equal(FailureCode.Cancelled, failed.Code);
        Assert.True(sent);
        long streamed = messages.OfType<StemChunk>().Sum(c => c.Audio.FrameCount);
        Assert.True(streamed < 30 * 32000, $"{streamed} frames were streamed before the cancel took effect");

        // The engine keeps serving this client.
        await client.SendAsync(Request(4, EndToEnd.Seconds) with { WriteWav = false });
        Assert.IsType<Completed>((await ReceiveUntilFinal(client, 4))[^1]);
    }

    [Fact]
    public async Task WavIsWrittenIntoAFolderItCreatesUnderANameThatSaysWhatItIs()
    {
        await using var client = await Connect();
        string folder = Path.Combine(_stems, "new", "folder");
        await client.SendAsync(Request(10, EndToEnd.Seconds) with { WavDirectory = folder });
        var completed = Assert.IsType<Completed>((await ReceiveUntilFinal(client, 10))[^1]);
        string wav = Assert.Single(completed.WavPaths);
        Assert.Equal(folder, Path.GetDirectoryName(wav));
        Assert.StartsWith($"drums-120bpm-{EndToEnd.Seconds:0.##}s-seed0-", Path.GetFileName(wav));
        Assert.True(File.Exists(wav));

        await client.SendAsync(Request(13, 1) with { Length = StemLength.Bars(1), WavDirectory = folder, Seed = 42 });
        var bar = Assert.IsType<Completed>((await ReceiveUntilFinal(client, 13))[^1]);
        Assert.StartsWith("drums-120bpm-1bar-seed42-", Path.GetFileName(Assert.Single(bar.WavPaths)));
    }

    [Fact]
    public async Task TwoPluginInstancesAskingAlikeGetTwoFiles()
    {
        // Request ids are per connection: two instances both send request 1 with the same settings.
        await using var first = await Connect();
        await using var second = await Connect();
        var request = Request(1, EndToEnd.Seconds) with { WavDirectory = _stems };
        await first.SendAsync(request);
        await second.SendAsync(request);
        var a = Assert.IsType<Completed>((await ReceiveUntilFinal(first, 1))[^1]);
        var b = Assert.IsType<Completed>((await ReceiveUntilFinal(second, 1))[^1]);
        Assert.NotEqual(Assert.Single(a.WavPaths), Assert.Single(b.WavPaths));
        Assert.True(File.Exists(a.WavPaths[0]) && File.Exists(b.WavPaths[0]));
    }

    [Fact]
    public async Task AWavThatCannotBeWrittenIsAFailureNamingThePathAndTheConnectionGoesOn()
    {
        await using var client = await Connect();
        string blocker = Path.Combine(_stems, "not-a-folder");
        File.WriteAllText(blocker, "");
        await client.SendAsync(Request(11, EndToEnd.Seconds) with { WavDirectory = Path.Combine(blocker, "stems") });
        var failed = Assert.IsType<Failed>((await ReceiveUntilFinal(client, 11))[^1]);
        Assert.Equal(FailureCode.OutputFailed, failed.Code);
        Assert.Contains(blocker, failed.Message);

        await client.SendAsync(Request(12, EndToEnd.Seconds) with { WriteWav = false });
        Assert.IsType<Completed>((await ReceiveUntilFinal(client, 12))[^1]);
    }

    [Fact]
    public async Task MissingModelAndBadInputAreFailedWithReasons()
    {
        await using var client = await Connect();
        await client.SendAsync(Request(5, 1) with { Instrument = Instrument.Bass });
        var missing = Assert.IsType<Failed>((await ReceiveUntilFinal(client, 5))[^1]);
        Assert.Equal(FailureCode.ModelMissing, missing.Code);
        Assert.Contains("bass", missing.Message);

        await client.SendAsync(Request(6, 1) with { Context = new PcmAudio(new float[96000], 48000, 2) });
        var silent = Assert.IsType<Failed>((await ReceiveUntilFinal(client, 6))[^1]);
        Assert.Equal(FailureCode.BadRequest, silent.Code);
        Assert.Contains("silent", silent.Message);

        await client.SendAsync(Request(7, 600));
        var tooLong = Assert.IsType<Failed>((await ReceiveUntilFinal(client, 7))[^1]);
        Assert.Equal(FailureCode.BadRequest, tooLong.Code);
        Assert.Contains("60 s limit", tooLong.Message);

        await client.SendAsync(Request(8, 1) with { TempoBpm = 0 });
        var tempo = Assert.IsType<Failed>((await ReceiveUntilFinal(client, 8))[^1]);
        Assert.Equal(FailureCode.BadRequest, tempo.Code);
        Assert.Contains("tempo", tempo.Message);
    }
}

using System.Diagnostics;
using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

public class PipeServerTests
{
    [Fact]
    public async Task HandshakeAnswersWelcomeWithVersionAndCapabilities()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var client = await server.ConnectAsync("Stage VST3");
        Assert.Equal(Hello.CurrentProtocolVersion, client.Welcome.ProtocolVersion);
        Assert.Equal(EngineVersion.Text, client.Welcome.EngineVersion);
        Assert.Contains(EngineCapability.Generate, client.Welcome.Capabilities);
        Assert.Contains(EngineCapability.Cancel, client.Welcome.Capabilities);
        await server.WaitForLogAsync("(Stage VST3 1.0) shook hands");
    }

    [Fact]
    public async Task WelcomeNamesTheDeviceTheModelRunsOn()
    {
        await using var server = await TestServer.StartAsync(new OnDevice(new ScriptedGenerator()));
        await using var client = await server.ConnectAsync();
        Assert.Contains(EngineCapability.DevicePrefix + "cuda: Test GPU (bf16)", client.Welcome.Capabilities);
        await using var cpuServer = await TestServer.StartAsync(new ScriptedGenerator());
        await using var plain = await cpuServer.ConnectAsync();
        Assert.DoesNotContain(plain.Welcome.Capabilities, c => c.StartsWith(EngineCapability.DevicePrefix, StringComparison.Ordinal));
    }

    sealed class OnDevice(ScriptedGenerator inner) : Stage.Engine.Jobs.IStemGenerator
    {
        public string DeviceName => "cuda: Test GPU (bf16)";
        public Task<Stage.Engine.Jobs.StemResult> GenerateAsync(GenerateRequest request, Stage.Engine.Jobs.IStemSink sink, CancellationToken cancel) =>
            inner.GenerateAsync(request, sink, cancel);
    }

    [Fact]
    public async Task PingIsAnsweredWithPong()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var client = await server.ConnectAsync();
        await client.SendAsync(new Ping(424242));
        Assert.Equal(new Pong(424242), await client.NextAsync());
    }

    [Fact]
    public async Task ConnectingWithNoEngineTimesOut()
    {
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(() =>
            EngineClient.ConnectAsync($"stage-test-nobody-{Guid.NewGuid():N}", "test", "1", TimeSpan.FromMilliseconds(300)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task EightConcurrentClientsEachSendingTenSecondsOfStereo48kGetTheirOwnAudioBack()
    {
        var generator = new ScriptedGenerator();
        await using var server = await TestServer.StartAsync(generator);
        var clients = Enumerable.Range(1, 8).Select(async n =>
        {
            await using var client = await server.ConnectAsync($"instance {n}");
            var request = Requests.Echo(requestId: n, seconds: 10);
            await client.SendAsync(request);
            var (final, audio, progress) = await Requests.CollectAsync(client, n);
            var completed = Assert.IsType<Completed>(final);
            Assert.Equal((1, 480_000L), (completed.Variations, completed.TotalSamples));
            Assert.Equal(request.Context.Samples.Length, audio.Count);
            Assert.True(request.Context.Samples.Span.SequenceEqual(audio.ToArray()), $"client {n} got someone else's audio");
            Assert.Equal(2, progress);
        }).ToArray();
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromMinutes(2));
        await server.WaitForNoSessionsAsync();
    }

    [Fact]
    public async Task RequestsOfOneClientRunOneAtATimeInOrder()
    {
        var generator = new ScriptedGenerator();
        await using var server = await TestServer.StartAsync(generator);
        await using var client = await server.ConnectAsync();
        for (int id = 1; id <= 5; id++) await client.SendAsync(Requests.Echo(id, seconds: 0.5, prompt: id == 3 ? "variations" : "echo") with { Variations = id == 3 ? 2 : 1 });
        for (int id = 1; id <= 5; id++)
        {
            var (final, audio, _) = await Requests.CollectAsync(client, id);
            var completed = Assert.IsType<Completed>(final);
            Assert.Equal(id == 3 ? 2 : 1, completed.Variations);
            Assert.Equal(24_000 * 2 * completed.Variations, audio.Count);
        }
        Assert.Equal([1L, 2, 3, 4, 5], generator.StartOrder);
        Assert.Equal(1, generator.MaxConcurrent);
    }

    [Fact]
    public async Task CancelStopsTheRunningRequestPromptlyAndTheNextOneRuns()
    {
        var generator = new ScriptedGenerator();
        await using var server = await TestServer.StartAsync(generator);
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Requests.Echo(1, prompt: "block cancel"));
        await client.SendAsync(Requests.Echo(2));
        await generator.Started("block cancel").WaitAsync(TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        await client.SendAsync(new Cancel(1));
        var (final, _, _) = await Requests.CollectAsync(client, 1);
        var failed = Assert.IsType<Failed>(final);
        Assert.Equal(FailureCode.Cancelled, failed.Code);
        Assert.Equal("request 1 was cancelled", failed.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancel took {clock.Elapsed}");
        await generator.Freed("block cancel").WaitAsync(TimeSpan.FromSeconds(5));
        Assert.IsType<Completed>((await Requests.CollectAsync(client, 2)).Final);
    }

    [Fact]
    public async Task CancelWhileChunksAreStreamingNeverLeavesHalfAFrame()
    {
        var generator = new ScriptedGenerator();
        await using var server = await TestServer.StartAsync(generator);
        await using var client = await server.ConnectAsync();
        var request = Requests.Echo(1, seconds: 2, prompt: "stream");
        await client.SendAsync(request);
        await generator.Started("streaming").WaitAsync(TimeSpan.FromSeconds(10));
        int chunks = 0;
        while (chunks < 3)
            if (await client.NextAsync() is StemChunk) chunks++;
        await client.SendAsync(new Cancel(1));
        while (true)
        {
            var message = await client.NextAsync();
            if (message is StemChunk chunk)
            {
                Assert.Equal(48_000, chunk.Audio.FrameCount);
                Assert.True(chunk.Audio.Samples.Span.SequenceEqual(request.Context.Samples.Span[..96_000]));
                continue;
            }
            Assert.Equal(FailureCode.Cancelled, Assert.IsType<Failed>(message).Code);
            break;
        }
        await client.SendAsync(new Ping(2));
        Assert.Equal(new Pong(2), await client.NextAsync());
    }

    [Fact]
    public async Task PollingReceiveWithShortTimeoutsLosesNoFrame()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var client = await server.ConnectAsync();
        var request = Requests.Echo(1, seconds: 10, prompt: "trickle");
        await client.SendAsync(request);
        var audio = new List<float>();
        int timeouts = 0;
        while (true)
        {
            using var poll = new CancellationTokenSource(TimeSpan.FromMilliseconds(1));
            ProtocolMessage? message;
            try { message = await client.ReceiveAsync(poll.Token); }
            catch (OperationCanceledException) { timeouts++; continue; }
            if (message is StemChunk chunk) audio.AddRange(chunk.Audio.Samples.ToArray());
            if (message is Completed) break;
        }
        Assert.True(request.Context.Samples.Span.SequenceEqual(audio.ToArray()));
        Assert.True(timeouts > 0, "no receive was ever cut short, so this test proved nothing");
    }

    [Fact]
    public async Task CancelOfAQueuedRequestFailsItWithoutRunningIt()
    {
        var generator = new ScriptedGenerator();
        await using var server = await TestServer.StartAsync(generator);
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Requests.Echo(1, prompt: "block queued"));
        await client.SendAsync(Requests.Echo(2));
        await client.SendAsync(Requests.Echo(3));
        await generator.Started("block queued").WaitAsync(TimeSpan.FromSeconds(10));
        await client.SendAsync(new Cancel(2));
        await client.SendAsync(new Cancel(1));
        Assert.Equal(FailureCode.Cancelled, Assert.IsType<Failed>((await Requests.CollectAsync(client, 1)).Final).Code);
        var queued = Assert.IsType<Failed>((await Requests.CollectAsync(client, 2)).Final);
        Assert.Equal("request 2 was cancelled before it started", queued.Message);
        Assert.IsType<Completed>((await Requests.CollectAsync(client, 3)).Final);
        Assert.Equal([1L, 3], generator.StartOrder);
    }

    [Fact]
    public async Task GeneratorFailuresBecomeFailedWithTheirCodeAndUnexpectedOnesAreInternal()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Requests.Echo(1, prompt: "fail"));
        await client.SendAsync(Requests.Echo(2, prompt: "crash"));
        var failed = Assert.IsType<Failed>((await Requests.CollectAsync(client, 1)).Final);
        Assert.Equal((FailureCode.ModelMissing, "no bass model installed at /nowhere/bass"), (failed.Code, failed.Message));
        var crashed = Assert.IsType<Failed>((await Requests.CollectAsync(client, 2)).Final);
        Assert.Equal(FailureCode.Internal, crashed.Code);
        Assert.Contains("the test double crashed on purpose", crashed.Message);
        await server.WaitForLogAsync("InvalidOperationException"); // the stack goes to the log
        await client.SendAsync(Requests.Echo(3));
        Assert.IsType<Completed>((await Requests.CollectAsync(client, 3)).Final);
    }

    [Fact]
    public async Task AJobsOwnIOExceptionIsReportedAndTheClientIsStillServed()
    {
        // Only a failed write to the pipe means the client went away; a job's file error is its failure.
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Requests.Echo(1, prompt: "disk"));
        var failed = Assert.IsType<Failed>((await Requests.CollectAsync(client, 1)).Final);
        Assert.Equal(FailureCode.Internal, failed.Code);
        Assert.Contains("the disk is full", failed.Message);
        await client.SendAsync(Requests.Echo(2));
        Assert.IsType<Completed>((await Requests.CollectAsync(client, 2)).Final);
    }

    [Fact]
    public async Task UnusableRequestValuesGetBadRequestNamingTheValue()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Requests.Echo(1) with { TempoBpm = 1000 });
        var failed = Assert.IsType<Failed>((await Requests.CollectAsync(client, 1)).Final);
        Assert.Equal(FailureCode.BadRequest, failed.Code);
        Assert.Equal("the request cannot be generated: tempo 1000 BPM is outside 20..400", failed.Message);
    }

    [Fact]
    public async Task ARequestIdStillInUseIsRefused()
    {
        var generator = new ScriptedGenerator();
        await using var server = await TestServer.StartAsync(generator);
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Requests.Echo(1, prompt: "block duplicate"));
        await generator.Started("block duplicate").WaitAsync(TimeSpan.FromSeconds(10));
        await client.SendAsync(Requests.Echo(1));
        var refused = Assert.IsType<Failed>(await client.NextAsync());
        Assert.Equal((1L, FailureCode.BadRequest), (refused.RequestId, refused.Code));
        Assert.Contains("already queued or running", refused.Message);
        await client.SendAsync(new Cancel(1));
        Assert.Equal(FailureCode.Cancelled, Assert.IsType<Failed>((await Requests.CollectAsync(client, 1)).Final).Code);
    }

    [Fact]
    public async Task AClientThatStopsReadingDoesNotHoldUpShutdown()
    {
        var generator = new ScriptedGenerator();
        var server = await TestServer.StartAsync(generator);
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Requests.Echo(1, seconds: 2, prompt: "stream"));
        await generator.Started("streaming").WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(300); // the pipe fills up; the engine's next write blocks
        var clock = Stopwatch.StartNew();
        await server.DisposeAsync(); // fails the test if shutdown takes over 10 s
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"shutdown took {clock.Elapsed}");
    }

    [Fact]
    public async Task AClientCannotQueueWithoutBound()
    {
        var generator = new ScriptedGenerator();
        await using var server = await TestServer.StartAsync(generator);
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Requests.Echo(1, prompt: "block queue"));
        await generator.Started("block queue").WaitAsync(TimeSpan.FromSeconds(10));
        for (int id = 2; id <= 10; id++) await client.SendAsync(Requests.Echo(id, seconds: 0.1));
        var refused = Assert.IsType<Failed>(await client.NextAsync());
        Assert.Equal((10L, FailureCode.BadRequest), (refused.RequestId, refused.Code));
        Assert.StartsWith("8 requests are already waiting on this connection", refused.Message);
        await client.SendAsync(new Cancel(1));
        Assert.Equal(FailureCode.Cancelled, Assert.IsType<Failed>((await Requests.CollectAsync(client, 1)).Final).Code);
        for (int id = 2; id <= 9; id++) Assert.IsType<Completed>((await Requests.CollectAsync(client, id)).Final);
    }

    [Fact]
    public async Task ShutdownCancelsRunningRequestsAndTellsTheirClients()
    {
        var generator = new ScriptedGenerator();
        var server = await TestServer.StartAsync(generator);
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Requests.Echo(1, prompt: "block shutdown"));
        await generator.Started("block shutdown").WaitAsync(TimeSpan.FromSeconds(10));
        var stopping = server.DisposeAsync().AsTask();
        var failed = Assert.IsType<Failed>(await client.NextAsync());
        Assert.Equal(FailureCode.ShuttingDown, failed.Code);
        Assert.Null(await client.NextAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        await generator.Freed("block shutdown");
    }
}

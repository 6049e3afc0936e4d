using System.Diagnostics;
using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

/// <summary>
/// Every kind of bad input gets a clear Failed or a disconnect, is logged, and the server keeps serving
/// other clients, including one connected the whole time.
/// </summary>
public class BadInputTests
{
    [Fact]
    public async Task MalformedMessagePackGetsFailedAndTheConnectionStaysUsable()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var pipe = await RawPipe.ConnectAsync(server.PipeName);
        await pipe.HelloAsync();
        await pipe.SendPayloadAsync([0x82, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xc1]);
        var failed = Assert.IsType<Failed>(await pipe.ReceiveAsync());
        Assert.Equal((0L, FailureCode.Malformed), (failed.RequestId, failed.Code));
        Assert.Contains("0xc1", failed.Message);
        await server.WaitForLogAsync("sent a bad message (malformed)");
        await pipe.SendAsync(new Ping(5));
        Assert.Equal(new Pong(5), await pipe.ReceiveAsync());
        await Requests.AssertStillServesAsync(server);
    }

    [Fact]
    public async Task UnknownMessageTypeGetsFailedNamingTheType()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var pipe = await RawPipe.ConnectAsync(server.PipeName);
        await pipe.HelloAsync();
        await pipe.SendPayloadAsync([0x81, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xa4, (byte)'w', (byte)'a', (byte)'r', (byte)'p']);
        var failed = Assert.IsType<Failed>(await pipe.ReceiveAsync());
        Assert.Equal((FailureCode.UnknownMessage, "unknown message type 'warp'"), (failed.Code, failed.Message));
        await pipe.SendAsync(new Welcome(1, "x", [])); // known, but not one a client sends
        Assert.Equal(FailureCode.UnknownMessage, Assert.IsType<Failed>(await pipe.ReceiveAsync()).Code);
        await server.WaitForLogAsync("unknown message type 'warp'");
        await Requests.AssertStillServesAsync(server);
    }

    [Fact]
    public async Task WrongProtocolVersionIsRefusedWithAnActionableMessageAndDisconnected()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var pipe = await RawPipe.ConnectAsync(server.PipeName);
        await pipe.SendAsync(new Hello(99, "Stage VST3", "9.0"));
        var failed = Assert.IsType<Failed>(await pipe.ReceiveAsync());
        Assert.Equal(FailureCode.UnsupportedVersion, failed.Code);
        Assert.Contains($"speaks Stage protocol 99 but this engine ({EngineVersion.Text}) speaks {Hello.CurrentProtocolVersion}", failed.Message);
        Assert.True(await pipe.ClosedByEngineAsync());
        await server.WaitForLogAsync("speaks Stage protocol 99");
        await Requests.AssertStillServesAsync(server);
    }

    [Fact]
    public async Task FirstMessageMustBeHello()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var pipe = await RawPipe.ConnectAsync(server.PipeName);
        await pipe.SendAsync(new Ping(1));
        var failed = Assert.IsType<Failed>(await pipe.ReceiveAsync());
        Assert.Equal(FailureCode.HandshakeRequired, failed.Code);
        Assert.Equal("the first message must be Hello, not 'ping'", failed.Message);
        Assert.True(await pipe.ClosedByEngineAsync());
    }

    [Fact]
    public async Task OversizeFrameIsRefusedAndDisconnected()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var bystander = await server.ConnectAsync("bystander");
        await using var pipe = await RawPipe.ConnectAsync(server.PipeName);
        await pipe.HelloAsync();
        await pipe.SendBytesAsync([0x7f, 0xff, 0xff, 0xff, 0x80]); // announces 2 GiB
        var failed = Assert.IsType<Failed>(await pipe.ReceiveAsync());
        Assert.Equal(FailureCode.FrameTooLarge, failed.Code);
        Assert.Contains("2147483647 bytes, more than the limit of 67108864", failed.Message);
        Assert.True(await pipe.ClosedByEngineAsync());
        await server.WaitForLogAsync("more than the limit of 67108864; disconnecting");
        await bystander.SendAsync(new Ping(3));
        Assert.Equal(new Pong(3), await bystander.NextAsync());
        await Requests.AssertStillServesAsync(server);
    }

    [Fact]
    public async Task TruncatedFrameIsLoggedAndOthersAreStillServed()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var bystander = await server.ConnectAsync("bystander");
        await using (var pipe = await RawPipe.ConnectAsync(server.PipeName))
        {
            await pipe.HelloAsync();
            var frame = new byte[4 + 100];
            frame[3] = 200; // announces 200 bytes, then the client hangs up after 100
            await pipe.SendBytesAsync(frame);
        }
        await server.WaitForLogAsync("the stream ended after 100 of the 200 bytes of a frame");
        await server.WaitForLogAsync("(raw test pipe 1) disconnected");
        await bystander.SendAsync(new Ping(4));
        Assert.Equal(new Pong(4), await bystander.NextAsync());
        await Requests.AssertStillServesAsync(server);
    }

    [Fact]
    public async Task GarbageInsteadOfAHelloIsRefused()
    {
        await using var server = await TestServer.StartAsync(new ScriptedGenerator());
        await using var pipe = await RawPipe.ConnectAsync(server.PipeName);
        await pipe.SendPayloadAsync([0xde, 0xad, 0xbe, 0xef]);
        var failed = Assert.IsType<Failed>(await pipe.ReceiveAsync());
        Assert.Equal(FailureCode.HandshakeRequired, failed.Code);
        Assert.StartsWith("the first message must be a valid Hello: ", failed.Message);
        Assert.True(await pipe.ClosedByEngineAsync());
        await Requests.AssertStillServesAsync(server);
    }

    [Fact]
    public async Task ClientVanishingMidRequestCancelsItsJobAndFreesTheSession()
    {
        var generator = new ScriptedGenerator();
        await using var server = await TestServer.StartAsync(generator);
        var client = await server.ConnectAsync("vanishing");
        await client.SendAsync(Requests.Echo(1, seconds: 2, prompt: "block vanish"));
        await client.SendAsync(Requests.Echo(2));
        await generator.Started("block vanish").WaitAsync(TimeSpan.FromSeconds(10));
        await client.DisposeAsync(); // the socket closes with a request running and one queued
        await generator.Freed("block vanish").WaitAsync(TimeSpan.FromSeconds(5));
        await server.WaitForNoSessionsAsync();
        await server.WaitForLogAsync("request 1 abandoned, the client went away");
        Assert.DoesNotContain(2L, generator.StartOrder); // the queued request was dropped, not run
        await Requests.AssertStillServesAsync(server);
    }

    [Fact]
    public async Task ClientProcessKilledMidRequestCancelsItsJob()
    {
        var generator = new ScriptedGenerator();
        await using var server = await TestServer.StartAsync(new BlockEverything(generator));
        await using var bystander = await server.ConnectAsync("bystander");
        var start = new ProcessStartInfo("node", ["interop.mjs", "client", server.SocketPath])
        {
            WorkingDirectory = Path.Combine(RepositoryRoot.Path, "tests", "interop"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        try
        {
            Assert.Equal("sent", await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
            await generator.Started("id:1").WaitAsync(TimeSpan.FromSeconds(10));
            await server.WaitForLogAsync("(node client 1) shook hands");
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        await generator.Freed("block").WaitAsync(TimeSpan.FromSeconds(5));
        await server.WaitForLogAsync("request 1 abandoned, the client went away");
        for (var clock = Stopwatch.StartNew(); server.Server.ActiveSessions > 1 && clock.Elapsed < TimeSpan.FromSeconds(10);) await Task.Delay(20);
        Assert.Equal(1, server.Server.ActiveSessions); // only the bystander is left
        await bystander.SendAsync(new Ping(8));
        Assert.Equal(new Pong(8), await bystander.NextAsync());
    }

    /// <summary>Turns every request into a blocking one (the node client's prompt is fixed).</summary>
    sealed class BlockEverything(ScriptedGenerator inner) : Stage.Engine.Jobs.IStemGenerator
    {
        public Task<Stage.Engine.Jobs.StemResult> GenerateAsync(GenerateRequest request, Stage.Engine.Jobs.IStemSink sink, CancellationToken cancel) =>
            inner.GenerateAsync(request with { Prompt = "block" }, sink, cancel);
    }
}

using Stage.Engine.Jobs;
using Stage.Engine.Logging;
using Stage.Engine.Server;
using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

/// <summary>A <see cref="PipeServer"/> on a pipe of its own, logging into memory, stopped on dispose.</summary>
sealed class TestServer : IAsyncDisposable
{
    readonly CancellationTokenSource _shutdown = new();
    readonly StringWriter _log = new();
    readonly TextWriter _logWriter;
    readonly Task _running;

    TestServer(IStemGenerator generator, string? pipeName, Stage.Engine.ControlRoom.RoomServer? room)
    {
        PipeName = pipeName ?? $"stage-test-{Guid.NewGuid():N}";
        _logWriter = TextWriter.Synchronized(_log);
        Log = new EngineLog(_logWriter);
        Server = new PipeServer(PipeName, generator, Log, room);
        _running = Task.Run(() => Server.RunAsync(_shutdown.Token));
    }

    public string PipeName { get; }
    public PipeServer Server { get; }
    public EngineLog Log { get; }

    /// <summary>Where .NET puts the Unix socket behind the named pipe (for clients written in other languages).</summary>
    public string SocketPath => Path.Combine(Path.GetTempPath(), $"CoreFxPipe_{PipeName}");

    public static async Task<TestServer> StartAsync(IStemGenerator generator, string? pipeName = null, Stage.Engine.ControlRoom.RoomServer? room = null)
    {
        var server = new TestServer(generator, pipeName, room);
        await server.Server.Listening.WaitAsync(TimeSpan.FromSeconds(10));
        return server;
    }

    public string LogText
    {
        get { lock (_logWriter) return _log.ToString(); }
    }

    public Task<EngineClient> ConnectAsync(string name = "test client") =>
        EngineClient.ConnectAsync(PipeName, name, "1.0", TimeSpan.FromSeconds(10));

    public async Task WaitForLogAsync(string text)
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(20))
            if (LogText.Contains(text)) return;
        Assert.Fail($"the log never said '{text}'; it holds:\n{LogText}");
    }

    public async Task WaitForNoSessionsAsync()
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(20))
            if (Server.ActiveSessions == 0) return;
        Assert.Fail($"{Server.ActiveSessions} sessions still open; log:\n{LogText}");
    }

    public async ValueTask DisposeAsync()
    {
        _shutdown.Cancel();
        await _running.WaitAsync(TimeSpan.FromSeconds(10));
        Log.Dispose();
        _shutdown.Dispose();
    }
}

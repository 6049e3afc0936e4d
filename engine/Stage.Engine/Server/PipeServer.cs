using System.Collections.Concurrent;
using System.IO.Pipes;
using Stage.Engine.ControlRoom;
using Stage.Engine.Jobs;
using Stage.Engine.Logging;

namespace Stage.Engine.Server;

/// <summary>
/// Serves the Stage protocol on a named pipe that only the current user can open. Every connected client
/// gets its own <see cref="ClientSession"/>; a client that breaks the protocol or disappears affects only
/// its own session. <see cref="RunAsync"/> returns once shut down and every session has ended.
/// </summary>
public sealed class PipeServer(string pipeName, IStemGenerator generator, EngineLog log, RoomServer? controlRoom = null)
{
    readonly ConcurrentDictionary<int, Task> _sessions = new();
    int _nextClient;

    public string PipeName => pipeName;

    /// <summary>Sessions currently open (tests use it to see that a vanished client was cleaned up).</summary>
    public int ActiveSessions => _sessions.Count;

    /// <summary>Completes when the pipe is first listening.</summary>
    public Task Listening => _listening.Task;
    readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync(CancellationToken shutdown)
    {
        log.Info($"serving on pipe '{pipeName}'");
        try
        {
            while (!shutdown.IsCancellationRequested)
            {
                var pipe = new NamedPipeServerStream(pipeName, PipeDirection.InOut,
                    NamedPipeServerStream.MaxAllowedServerInstances, PipeTransmissionMode.Byte,
                    PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
                _listening.TrySetResult();
                try
                {
                    await pipe.WaitForConnectionAsync(shutdown).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    await pipe.DisposeAsync().ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A client that connected and vanished at once, or one run by another user.
                    log.Warn($"a connection attempt failed: {e.Message}");
                    await pipe.DisposeAsync().ConfigureAwait(false);
                    continue;
                }
                int id = Interlocked.Increment(ref _nextClient);
                var session = new ClientSession(id, pipe, generator, log, controlRoom);
                // Registered before it starts: a session that ends at once must find its entry to remove.
                var run = new Task<Task>(async () =>
                {
                    try { await session.RunAsync(shutdown).ConfigureAwait(false); }
                    finally { _sessions.TryRemove(id, out _); }
                });
                _sessions[id] = run.Unwrap();
                run.Start(TaskScheduler.Default);
            }
        }
        finally
        {
            _listening.TrySetResult();
            await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
            log.Info($"stopped serving on pipe '{pipeName}'");
        }
    }
}

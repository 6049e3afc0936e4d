using System.Runtime.InteropServices;

namespace Stage.Engine.Cli;

/// <summary>Turns Ctrl+C and SIGTERM into a cancellation token so every command shuts down cleanly.</summary>
public sealed class Shutdown : IDisposable
{
    readonly CancellationTokenSource _cts = new();
    readonly PosixSignalRegistration _sigint;
    readonly PosixSignalRegistration _sigterm;

    public Shutdown()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _cts.Token;

    void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive; the command unwinds through its cancellation token.
        context.Cancel = true;
        _cts.Cancel();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _cts.Dispose();
    }
}

using Stage.Shared.Protocol;

namespace Stage.Engine.Jobs;

/// <summary>
/// The generation seam: the pipe server hands each <see cref="GenerateRequest"/> to this, one request at
/// a time per client (different clients' requests may run concurrently, so implementations must be
/// safe to call in parallel).
/// <para>Contract: stream <see cref="Progress"/> and audio through <paramref name="sink"/> while working,
/// then return a <see cref="StemResult"/>; the server turns it into <see cref="Completed"/>. To fail with
/// a reason the producer can act on, throw <see cref="StemGenerationException"/> (its code and message go
/// out as <see cref="Failed"/>). When <paramref name="cancel"/> fires (the client sent Cancel, vanished,
/// or the engine is shutting down) stop promptly and let <see cref="OperationCanceledException"/>
/// propagate; free what you hold in finally blocks. Any other exception is reported as
/// <see cref="FailureCode.Internal"/> and logged with its stack.</para>
/// <para>The server has already checked <see cref="GenerateRequest.Problem"/>, so the request's values are
/// in range. Its context audio views the received frame; copy what must outlive the call.</para>
/// </summary>
public interface IStemGenerator
{
    Task<StemResult> GenerateAsync(GenerateRequest request, IStemSink sink, CancellationToken cancel);

    /// <summary>Where the model runs, as the welcome's <c>device:</c> capability reports it; null when nothing does.</summary>
    string? DeviceName => null;

    /// <summary>
    /// An instance of the plugin on an <paramref name="instrument"/> track has appeared: get that model ready (loaded,
    /// its code compiled) before the producer presses Generate. Completes with a line for the engine's log, or null
    /// when there was nothing to do (already ready, or not installed: the request will say so); never throws.
    /// </summary>
    Task<string?> PrepareAsync(Instrument instrument) => Task.FromResult<string?>(null);
}

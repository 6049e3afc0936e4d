using Stage.Shared.Protocol;

namespace Stage.Engine.Jobs;

/// <summary>
/// Where a running request sends what the client sees before the end: progress and audio. Each call
/// writes to the client's pipe and completes when written (so a slow client slows the job rather than
/// piling up memory). Calls for one request must not overlap.
/// </summary>
public interface IStemSink
{
    /// <summary>Sends <see cref="Progress"/>: <paramref name="fraction"/> 0..1 of the whole request.</summary>
    ValueTask ReportProgressAsync(double fraction, string step, double? etaSeconds, CancellationToken cancel);

    /// <summary>
    /// Sends a <see cref="StemChunk"/> of <paramref name="audio"/> (interleaved) for variation
    /// <paramref name="variation"/> starting at frame <paramref name="sampleOffset"/>. The samples are
    /// written out before this returns, so the caller may reuse its buffer afterwards. Keep chunks well
    /// under <see cref="Frame.MaxPayloadBytes"/> (a few seconds of audio each).
    /// </summary>
    ValueTask SendChunkAsync(int variation, long sampleOffset, PcmAudio audio, CancellationToken cancel);
}

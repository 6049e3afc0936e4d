using Stage.Engine.Jobs;
using Stage.Shared.Protocol;

namespace Stage.Engine.ControlRoom;

/// <summary>
/// A running request's line to the control room: progress and audio go on to the client unchanged and are
/// drawn on the instance's card; its ending lands there too.
/// </summary>
sealed class RoomJob(Room room, InstanceCard card, long requestId, IStemSink client) : IStemSink
{
    // Every report is kept (the card must show the latest step, not one dropped in a burst); the page's event stream
    // coalesces the updates into a few per second.
    public async ValueTask ReportProgressAsync(double fraction, string step, double? etaSeconds, CancellationToken cancel)
    {
        await client.ReportProgressAsync(fraction, step, etaSeconds, cancel).ConfigureAwait(false);
        room.Update(card, requestId, c => { c.Fraction = fraction; c.Step = step; c.EtaSeconds = etaSeconds; });
    }

    public async ValueTask SendChunkAsync(int variation, long sampleOffset, PcmAudio audio, CancellationToken cancel)
    {
        // Drawn before sending: the sink may reuse the buffer once the chunk is written.
        room.Update(card, requestId, c =>
        {
            if ((uint)variation < (uint)c.Variations.Length) c.Variations[variation].Add(audio.Samples.Span, audio.Channels, sampleOffset);
            c.FirstAudioSeconds ??= (DateTimeOffset.UtcNow - c.StartedAt).TotalSeconds;
        });
        await client.SendChunkAsync(variation, sampleOffset, audio, cancel).ConfigureAwait(false);
    }

    public void Completed(Completed done) => room.Update(card, requestId, c => c.Complete(done));

    public void Failed(Failed failed) => room.Update(card, requestId, c => c.Fail(failed));
}

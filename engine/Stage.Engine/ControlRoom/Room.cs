using System.Collections.Concurrent;
using Stage.Engine.Jobs;
using Stage.Shared.Protocol;

namespace Stage.Engine.ControlRoom;

/// <summary>
/// The control room's live state: a card per plugin instance, fed by the pipe sessions (instance reports,
/// requests, their progress and audio) and read by the page. Commands from the page go to the instance's
/// control connection. Every change bumps a version the page's event stream waits on.
/// </summary>
public sealed class Room
{
    readonly ConcurrentDictionary<string, InstanceCard> cards = new();
    long version;
    TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal IEnumerable<InstanceCard> Cards => cards.Values;

    internal long Version => Volatile.Read(ref version);

    internal InstanceCard? Find(string id) => cards.TryGetValue(id, out var card) ? card : null;

    /// <summary>Completes at the next change after the call.</summary>
    internal Task NextChange => Volatile.Read(ref changed).Task;

    void Touch(InstanceCard card)
    {
        long v = Interlocked.Increment(ref version);
        Volatile.Write(ref card.Version, v);
        var was = Interlocked.Exchange(ref changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        was.TrySetResult();
    }

    InstanceCard CardFor(string id) => cards.GetOrAdd(id, static id => new InstanceCard(id));

    /// <summary>A plugin's control connection reported itself (first time or again).</summary>
    internal void Report(InstanceInfo info, Func<ProtocolMessage, CancellationToken, ValueTask> send)
    {
        var card = CardFor(info.InstanceId);
        lock (card.Gate)
        {
            card.Info = info;
            card.Send = send;
        }
        Touch(card);
    }

    /// <summary>The control connection that reported <paramref name="id"/> ended; the card stays, marked disconnected.</summary>
    internal void Disconnected(string id, Func<ProtocolMessage, CancellationToken, ValueTask> send)
    {
        if (Find(id) is not { } card) return;
        lock (card.Gate)
        {
            if (card.Send != send) return;   // a newer connection of the same instance took over
            card.Send = null;
        }
        Touch(card);
    }

    /// <summary>Sends a command to an instance; throws <see cref="RoomException"/> when it is unknown or not connected.</summary>
    internal async ValueTask SendAsync(string id, ProtocolMessage message, CancellationToken cancel)
    {
        var card = Find(id) ?? throw new RoomException(404, $"no Stage instance '{id}' is known to this engine");
        Func<ProtocolMessage, CancellationToken, ValueTask>? send;
        lock (card.Gate) send = card.Send;
        if (send == null) throw new RoomException(409, "this Stage instance is not connected (its project may be closed); reopen it in the DAW");
        try { await send(message, cancel).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or Server.ClientGoneException)
        {
            throw new RoomException(409, $"this Stage instance went away: {e.Message}");
        }
    }

    /// <summary>
    /// A request from an instance starts: its card shows it, and the returned sink mirrors its progress and audio
    /// to the card on their way to <paramref name="client"/>. Null for requests that name no instance.
    /// </summary>
    internal RoomJob? Start(GenerateRequest request, long stemFrames, IStemSink client)
    {
        if (request.InstanceId is not { } id) return null;
        var card = CardFor(id);
        lock (card.Gate) card.Start(request, stemFrames);
        Touch(card);
        return new RoomJob(this, card, request.RequestId, client);
    }

    /// <summary>An earlier stem went back into the plugin: the card shows it.</summary>
    internal void Restored(InstanceCard card, HistoryEntry entry)
    {
        lock (card.Gate)
        {
            if (card.State == JobState.Generating) return;   // the running request's drawing stays until it ends
            card.Show(entry);
            card.State = JobState.Done;
            card.Message = $"restored stem #{entry.Number}";
        }
        Touch(card);
    }

    internal void Update(InstanceCard card, long requestId, Action<InstanceCard> change)
    {
        lock (card.Gate)
        {
            if (card.RequestId != requestId) return;   // a newer request replaced it on the card
            change(card);
        }
        Touch(card);
    }
}

/// <summary>A page request the room cannot carry out, with the HTTP status that says why.</summary>
sealed class RoomException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

using System.IO.Pipes;
using System.Runtime.CompilerServices;

namespace Stage.Shared.Protocol;

/// <summary>
/// One connection to the engine: connects to its pipe (only an engine run by the same user is accepted),
/// performs the Hello/Welcome handshake, then sends and receives messages. Sending is safe from several
/// threads at once (e.g. a Cancel while a request is being sent); receive from one reader at a time.
/// Dispose to disconnect; the engine then cancels whatever this connection had running.
/// Works under NativeAOT (no reflection).
/// </summary>
public sealed class EngineClient : IAsyncDisposable, IDisposable
{
    readonly NamedPipeClientStream _pipe;
    readonly FrameBuffer _sendBuffer = new();
    readonly SemaphoreSlim _sendLock = new(1, 1);
    Task<byte[]?>? _pendingFrame;
    readonly byte[] _header = new byte[Frame.HeaderBytes];
    byte[] _received = new byte[64 * 1024];

    EngineClient(NamedPipeClientStream pipe, Welcome welcome)
    {
        _pipe = pipe;
        Welcome = welcome;
    }

    /// <summary>The engine's handshake answer (its version and capabilities).</summary>
    public Welcome Welcome { get; }

    /// <summary>
    /// Connects and shakes hands. Throws <see cref="TimeoutException"/> when no engine answers within
    /// <paramref name="timeout"/> (for the connect and the handshake each), and <see cref="ProtocolException"/>
    /// when the engine refuses the Hello (its code and message are the engine's <see cref="Failed"/>).
    /// </summary>
    public static async Task<EngineClient> ConnectAsync(
        string pipeName, string clientName, string clientVersion, TimeSpan timeout, CancellationToken cancel = default)
    {
        var pipe = new NamedPipeClientStream(".", pipeName, PipeDirection.InOut,
            PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        try
        {
            await pipe.ConnectAsync((int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue), cancel).ConfigureAwait(false);
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            handshake.CancelAfter(timeout);
            using (var hello = new FrameBuffer(1024))
            {
                hello.Encode(new Hello(Hello.CurrentProtocolVersion, clientName, clientVersion));
                await Frame.WriteAsync(pipe, hello, handshake.Token).ConfigureAwait(false);
            }
            byte[]? reply;
            try
            {
                reply = await Frame.ReadAsync(pipe, handshake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                throw new TimeoutException($"the engine on pipe '{pipeName}' did not answer Hello within {timeout.TotalSeconds:0.#} s");
            }
            return MessageCodec.Decode(reply ?? throw new IOException($"the engine on pipe '{pipeName}' closed the connection during the handshake")) switch
            {
                Welcome welcome => new EngineClient(pipe, welcome),
                Failed failed => throw new ProtocolException(failed.Code, failed.Message),
                var other => throw new ProtocolException(FailureCode.Malformed, $"the engine answered Hello with '{other.Type}' instead of 'welcome'"),
            };
        }
        catch
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Sends one message. <paramref name="cancel"/> stops waiting for another send to finish; a frame
    /// once started is written whole, since half a frame would garble the stream (dispose the client to
    /// abandon a connection whose engine has stopped reading).
    /// </summary>
    public async Task SendAsync(ProtocolMessage message, CancellationToken cancel = default)
    {
        await _sendLock.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            cancel.ThrowIfCancellationRequested();
            _sendBuffer.Encode(message);
            await Frame.WriteAsync(_pipe, _sendBuffer, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// The next message from the engine, or null once the engine has closed the connection. Audio in a
    /// <see cref="StemChunk"/> views the received frame, which belongs to the message alone.
    /// Cancelling (e.g. polling with a timeout) is safe: the frame being read is kept for the next call.
    /// Throws <see cref="ProtocolException"/> for a frame or message the client cannot read.
    /// </summary>
    public async Task<ProtocolMessage?> ReceiveAsync(CancellationToken cancel = default)
    {
        var pending = _pendingFrame ??= Frame.ReadAsync(_pipe, CancellationToken.None).AsTask();
        byte[]? payload;
        try
        {
            payload = await pending.WaitAsync(cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested && !pending.IsFaulted)
        {
            // Only the wait was cancelled: the read goes on and the next call takes its frame, even one that
            // arrived between the cancellation and here (dropping it then lost a frame under load).
            throw;
        }
        catch
        {
            _pendingFrame = null;
            throw;
        }
        _pendingFrame = null;
        return payload is null ? null : MessageCodec.Decode(payload);
    }

    /// <summary>
    /// The next message, read into a buffer this client keeps and reuses: the message, and the audio it views,
    /// are valid only until the next receive. Nothing is allocated per frame once the buffer has grown to the
    /// largest frame (the plugin's engine link streams stems this way: a collection while a stem streams
    /// would stall the host's audio thread). Not cancellable: it returns when a frame arrives, the engine
    /// closes the connection (null), or the client is disposed (throws). Do not mix with <see cref="ReceiveAsync"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ProtocolMessage?> ReceiveInPlaceAsync()
    {
        if (_pendingFrame != null) throw new InvalidOperationException("a ReceiveAsync is still pending on this connection");
        int got = await ReadAsync(_header).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < Frame.HeaderBytes)
            throw new ProtocolException(FailureCode.TruncatedFrame, $"the stream ended after {got} of the {Frame.HeaderBytes} bytes of a frame header");
        int length = (int)Frame.PayloadLength(_header);
        if (_received.Length < length) _received = new byte[Math.Max(length, Math.Min(Frame.MaxPayloadBytes, _received.Length * 2))];
        var payload = _received.AsMemory(0, length);
        got = await ReadAsync(payload).ConfigureAwait(false);
        if (got < length)
            throw new ProtocolException(FailureCode.TruncatedFrame, $"the stream ended after {got} of the {length} bytes of a frame");
        return MessageCodec.Decode(payload);
    }

    /// <summary>Fills <paramref name="buffer"/> unless the stream ends first; returns the bytes read.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    async ValueTask<int> ReadAsync(Memory<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await _pipe.ReadAsync(buffer[total..], CancellationToken.None).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await _pipe.DisposeAsync().ConfigureAwait(false);
        ObservePendingRead();
        _sendBuffer.Dispose();
        _sendLock.Dispose();
    }

    public void Dispose()
    {
        _pipe.Dispose();
        ObservePendingRead();
        _sendBuffer.Dispose();
        _sendLock.Dispose();
    }

    // A read still pending at dispose fails with the closed pipe; nobody awaits it any more.
    void ObservePendingRead() =>
        _pendingFrame?.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}

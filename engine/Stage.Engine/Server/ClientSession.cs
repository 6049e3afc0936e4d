using System.Diagnostics;
using System.IO.Pipes;
using System.Threading.Channels;
using Stage.Engine.ControlRoom;
using Stage.Engine.Jobs;
using Stage.Engine.Logging;
using Stage.Shared.Protocol;

namespace Stage.Engine.Server;

/// <summary>
/// One client connection. A reader loop takes frames off the pipe (and so notices at once when the client
/// goes away or sends Cancel) while a job loop runs that client's requests one at a time, in order.
/// <para>Bad input: a frame whose payload is bad MessagePack, lacks a field or has an unknown type gets a
/// <see cref="Failed"/> with request id 0 and the connection stays usable (framing is intact). A bad
/// frame (oversize, empty, truncated) or a bad handshake gets a <see cref="Failed"/> if the pipe still
/// takes it, then the connection is closed. Either way it is logged.</para>
/// </summary>
sealed class ClientSession(int id, NamedPipeServerStream pipe, IStemGenerator generator, EngineLog log, RoomServer? controlRoom = null)
{
    /// <summary>
    /// Requests waiting behind the running one; more are refused rather than buffered (each may hold up
    /// to a frame's worth of context audio).
    /// </summary>
    const int MaxQueuedRequests = 8;

    static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long an ending session lets a write (e.g. the last Failed) finish before giving it up.</summary>
    static readonly TimeSpan WriteGrace = TimeSpan.FromSeconds(2);

    static readonly string[] Capabilities =
    [
        EngineCapability.Generate, EngineCapability.Cancel, EngineCapability.Progress,
        EngineCapability.StemChunks, EngineCapability.Wav, EngineCapability.Ping,
    ];

    readonly Channel<GenerateRequest> _queue = Channel.CreateBounded<GenerateRequest>(
        new BoundedChannelOptions(MaxQueuedRequests) { SingleReader = true, SingleWriter = true });
    readonly SemaphoreSlim _sendLock = new(1, 1);
    readonly FrameBuffer _sendBuffer = new();
    readonly Lock _gate = new();
    readonly HashSet<long> _queued = [];
    readonly HashSet<long> _cancelledWhileQueued = [];
    // Frames are never cut off halfway (that would garble the stream); writes stop only when the
    // session is being torn down and a client has stopped reading.
    readonly CancellationTokenSource _abortWrites = new();
    bool _refused;
    // The control room's line to this client, one delegate so the room can tell this connection from a newer one.
    Func<ProtocolMessage, CancellationToken, ValueTask>? _roomLine;
    readonly HashSet<string> _instances = [];
    readonly HashSet<Instrument> _prepared = [];
    (long RequestId, CancellationTokenSource Cancel)? _running;
    string _client = $"client {id}";

    public async Task RunAsync(CancellationToken shutdown)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        // Once the session ends, a write still blocked on a client that stopped reading is given up.
        using var abortWritesAtEnd = session.Token.UnsafeRegister(_ => _abortWrites.CancelAfter(WriteGrace), null);
        Task jobs = Task.CompletedTask;
        try
        {
            log.Info($"{_client} connected");
            if (!await HandshakeAsync(session.Token).ConfigureAwait(false)) return;
            jobs = RunJobsAsync(shutdown, session.Token);
            await ReadMessagesAsync(session.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            log.Info($"{_client}: closing, the engine is shutting down");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            log.Info($"{_client} went away ({e.Message})");
        }
        catch (Exception e)
        {
            log.Error($"{_client}: session failed", e);
        }
        finally
        {
            // Whatever ended the session: stop its running job, drop its queue, free the pipe.
            session.Cancel();
            _queue.Writer.TryComplete();
            if (_roomLine != null) foreach (var instance in _instances) controlRoom?.Room.Disconnected(instance, _roomLine);
            try { await jobs.ConfigureAwait(false); }
            catch (Exception e) { log.Error($"{_client}: job loop failed", e); }
            await pipe.DisposeAsync().ConfigureAwait(false);
            _sendBuffer.Dispose();
            _abortWrites.Dispose();
            log.Info($"{_client} disconnected");
        }
    }

    async Task<bool> HandshakeAsync(CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(HandshakeTimeout);
        byte[]? frame;
        try
        {
            frame = await ReadFrameOrFailAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            log.Warn($"{_client} sent no Hello within {HandshakeTimeout.TotalSeconds} s; disconnecting");
            return false;
        }
        if (frame is null) return false;
        ProtocolMessage message;
        try
        {
            message = MessageCodec.Decode(frame);
        }
        catch (ProtocolException e)
        {
            await RefuseAsync(FailureCode.HandshakeRequired, $"the first message must be a valid Hello: {e.Message}", cancel).ConfigureAwait(false);
            return false;
        }
        if (message is not Hello hello)
        {
            await RefuseAsync(FailureCode.HandshakeRequired, $"the first message must be Hello, not '{message.Type}'", cancel).ConfigureAwait(false);
            return false;
        }
        if (hello.ProtocolVersion != Hello.CurrentProtocolVersion)
        {
            await RefuseAsync(FailureCode.UnsupportedVersion,
                $"{hello.ClientName} {hello.ClientVersion} speaks Stage protocol {hello.ProtocolVersion} but this engine ({EngineVersion.Text}) speaks {Hello.CurrentProtocolVersion}; install the plugin and engine from the same Stage release",
                cancel).ConfigureAwait(false);
            return false;
        }
        _client = $"client {id} ({hello.ClientName} {hello.ClientVersion})";
        var capabilities = new List<string>(Capabilities);
        if (generator.DeviceName is { } device) capabilities.Add(EngineCapability.DevicePrefix + device);
        if (controlRoom != null) capabilities.Add(EngineCapability.ControlRoomPrefix + controlRoom.Address);
        await SendAsync(new Welcome(Hello.CurrentProtocolVersion, EngineVersion.Text, capabilities), cancel).ConfigureAwait(false);
        log.Info($"{_client} shook hands");
        return true;
    }

    async Task ReadMessagesAsync(CancellationToken cancel)
    {
        while (await ReadFrameOrFailAsync(cancel).ConfigureAwait(false) is { } frame)
        {
            ProtocolMessage message;
            try
            {
                message = MessageCodec.Decode(frame);
            }
            catch (ProtocolException e)
            {
                log.Warn($"{_client} sent a bad message ({e.Code}): {e.Message}");
                await SendAsync(new Failed(0, e.Code, e.Message), cancel).ConfigureAwait(false);
                continue;
            }
            switch (message)
            {
                case GenerateRequest request: await EnqueueAsync(request, cancel).ConfigureAwait(false); break;
                case Cancel c: CancelRequest(c.RequestId); break;
                case Ping ping: await SendAsync(new Pong(ping.Token), cancel).ConfigureAwait(false); break;
                case Pong: break;
                case InstanceInfo info: Report(info); break;
                case OpenControlRoom: await OpenControlRoomAsync(cancel).ConfigureAwait(false); break;
                default:
                    log.Warn($"{_client} sent '{message.Type}', which clients do not send");
                    await SendAsync(new Failed(0, FailureCode.UnknownMessage,
                        $"'{message.Type}' is not a message the engine accepts after the handshake"), cancel).ConfigureAwait(false);
                    break;
            }
        }
        if (!_refused) log.Info($"{_client} closed the connection");
    }

    /// <summary>Reads a frame; a broken frame is answered (if the pipe still takes it) and ends the session.</summary>
    async Task<byte[]?> ReadFrameOrFailAsync(CancellationToken cancel)
    {
        try
        {
            return await Frame.ReadAsync(pipe, cancel).ConfigureAwait(false);
        }
        catch (ProtocolException e)
        {
            await RefuseAsync(e.Code, e.Message, cancel).ConfigureAwait(false);
            return null;
        }
    }

    async Task RefuseAsync(string code, string message, CancellationToken cancel)
    {
        _refused = true;
        log.Warn($"{_client}: {message}; disconnecting");
        try { await SendAsync(new Failed(0, code, message), cancel).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    void Report(InstanceInfo info)
    {
        if (_prepared.Add(info.Instrument))
            _ = generator.PrepareAsync(info.Instrument).ContinueWith(t =>
            {
                if (t.Result is { } line) log.Info($"{_client}: {line}");
            }, TaskContinuationOptions.OnlyOnRanToCompletion);
        if (controlRoom == null) return;
        _roomLine ??= SendAsync;
        if (_instances.Add(info.InstanceId)) log.Info($"{_client} is Stage instance {info.InstanceId} on track '{info.TrackName ?? "(unnamed)"}'");
        controlRoom.Room.Report(info, _roomLine);
    }

    async Task OpenControlRoomAsync(CancellationToken cancel)
    {
        if (controlRoom == null)
        {
            await SendAsync(new Failed(0, FailureCode.BadRequest, "this engine runs without its control room (serve --no-control-room)"), cancel).ConfigureAwait(false);
            return;
        }
        if (SystemOpener.OpenPage(controlRoom.Address) is { } problem) log.Warn($"{_client}: could not open the control room ({problem}); open {controlRoom.Address} in a browser");
        else log.Info($"{_client}: opened the control room");
    }

    async Task EnqueueAsync(GenerateRequest request, CancellationToken cancel)
    {
        string? refusal = null;
        lock (_gate)
        {
            if (_queued.Contains(request.RequestId) || _running?.RequestId == request.RequestId)
                refusal = $"request id {request.RequestId} is already queued or running on this connection; use a new id";
            else if (!_queue.Writer.TryWrite(request))
                refusal = $"{MaxQueuedRequests} requests are already waiting on this connection; wait for one to finish or cancel one";
            else
                _queued.Add(request.RequestId);
        }
        if (refusal is null) return;
        log.Warn($"{_client}: refused request {request.RequestId}: {refusal}");
        await SendAsync(new Failed(request.RequestId, FailureCode.BadRequest, refusal), cancel).ConfigureAwait(false);
    }

    void CancelRequest(long requestId)
    {
        lock (_gate)
        {
            if (_running is { } running && running.RequestId == requestId)
            {
                running.Cancel.Cancel();
                log.Info($"{_client}: cancelling request {requestId}");
            }
            else if (_queued.Contains(requestId))
            {
                _cancelledWhileQueued.Add(requestId);
                log.Info($"{_client}: cancelled queued request {requestId}");
            }
            // Otherwise it already finished (its Completed/Failed crossed the Cancel); nothing to do.
        }
    }

    async Task RunJobsAsync(CancellationToken shutdown, CancellationToken session)
    {
        try
        {
            await RunQueueAsync(shutdown, session).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            log.Info($"{_client}: could not reply, the client went away ({e.Message})");
        }
    }

    async Task RunQueueAsync(CancellationToken shutdown, CancellationToken session)
    {
        await foreach (var request in _queue.Reader.ReadAllAsync(session).ConfigureAwait(false))
        {
            // Requests still queued when the client goes away (or the engine stops) are dropped unrun.
            session.ThrowIfCancellationRequested();
            using var job = CancellationTokenSource.CreateLinkedTokenSource(session);
            bool cancelledEarly;
            lock (_gate)
            {
                _queued.Remove(request.RequestId);
                cancelledEarly = _cancelledWhileQueued.Remove(request.RequestId);
                if (!cancelledEarly) _running = (request.RequestId, job);
            }
            try
            {
                var outcome = cancelledEarly
                    ? new Failed(request.RequestId, FailureCode.Cancelled, $"request {request.RequestId} was cancelled before it started")
                    : await RunJobAsync(request, job.Token, session, shutdown).ConfigureAwait(false);
                if (outcome is not null) await SendAsync(outcome, session).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate) _running = null;
            }
        }
    }

    /// <summary>Runs one request; returns its final message, or null when the client is gone.</summary>
    async Task<ProtocolMessage?> RunJobAsync(GenerateRequest request, CancellationToken job, CancellationToken session, CancellationToken shutdown)
    {
        long rid = request.RequestId;
        if (request.Problem() is { } problem)
        {
            log.Warn($"{_client}: request {rid} refused: {problem}");
            return new Failed(rid, FailureCode.BadRequest, $"the request cannot be generated: {problem}");
        }
        log.Info($"{_client}: request {rid} started ({InstrumentName.Of(request.Instrument)}, {request.Length}, {request.TempoBpm} BPM {request.TimeSignature}, context {request.Context.DurationSeconds:0.##} s, prompt \"{request.Prompt}\")");
        var clock = Stopwatch.StartNew();
        IStemSink sink = new SessionStemSink(this, rid);
        var onCard = controlRoom?.Room.Start(request, StemFrames(request), sink);
        var outcome = await GenerateAsync(request, onCard ?? sink, clock, job, session, shutdown).ConfigureAwait(false);
        if (outcome is Completed done) onCard?.Completed(done);
        else if (outcome is Failed failed) onCard?.Failed(failed);
        else onCard?.Failed(new Failed(rid, FailureCode.Cancelled, "the plugin went away"));
        return outcome;
    }

    /// <summary>The stem's length in output frames (the plugin's bar rule), for drawing it before it has arrived.</summary>
    static long StemFrames(GenerateRequest r)
    {
        if (!r.Length.InBars) return (long)Math.Round(r.Length.Value * r.OutputSampleRate);
        var grid = new Stage.Shared.Music.BarGrid(r.TempoBpm, r.TimeSignature.Numerator, r.TimeSignature.Denominator, r.OutputSampleRate);
        return grid.QuarterNotesToSampleCount(grid.BarsToQuarterNotes(r.Length.Value));
    }

    async Task<ProtocolMessage?> GenerateAsync(GenerateRequest request, IStemSink sink, Stopwatch clock, CancellationToken job, CancellationToken session, CancellationToken shutdown)
    {
        long rid = request.RequestId;
        try
        {
            var result = await generator.GenerateAsync(request, sink, job).ConfigureAwait(false);
            log.Info($"{_client}: request {rid} completed in {clock.Elapsed.TotalSeconds:0.##} s ({result.Variations} × {result.TotalSamples} frames)");
            return new Completed(rid, result.Variations, result.TotalSamples, result.WavPaths);
        }
        catch (OperationCanceledException) when (job.IsCancellationRequested)
        {
            if (shutdown.IsCancellationRequested)
            {
                log.Info($"{_client}: request {rid} stopped, the engine is shutting down");
                await TrySendFinalAsync(new Failed(rid, FailureCode.ShuttingDown, "the engine shut down before the request finished; start it again and retry")).ConfigureAwait(false);
                return null;
            }
            if (session.IsCancellationRequested)
            {
                log.Info($"{_client}: request {rid} abandoned, the client went away");
                return null;
            }
            log.Info($"{_client}: request {rid} cancelled after {clock.Elapsed.TotalSeconds:0.##} s");
            return new Failed(rid, FailureCode.Cancelled, $"request {rid} was cancelled");
        }
        catch (StemGenerationException e)
        {
            log.Warn($"{_client}: request {rid} failed ({e.Code}): {e.Message}");
            return new Failed(rid, e.Code, e.Message);
        }
        catch (ClientGoneException) when (session.IsCancellationRequested)
        {
            log.Info($"{_client}: request {rid} abandoned, the client went away");
            return null;
        }
        // Otherwise a ClientGoneException ends the job loop, as the reader is about to end the session.
        catch (Exception e) when (e is not ClientGoneException)
        {
            log.Error($"{_client}: request {rid} failed unexpectedly", e);
            string where = log.FilePath is { } path ? $"; details are in {path}" : "";
            return new Failed(rid, FailureCode.Internal, $"the engine hit an unexpected error: {e.Message}{where}");
        }
    }

    async Task TrySendFinalAsync(ProtocolMessage message)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try { await SendAsync(message, timeout.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
    }

    /// <summary>
    /// Sends one message. <paramref name="cancel"/> stops the wait for the pipe (another frame is being
    /// written), not a frame already started: a Cancel arriving mid-chunk must not leave half a frame.
    /// </summary>
    async ValueTask SendAsync(ProtocolMessage message, CancellationToken cancel)
    {
        await _sendLock.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            cancel.ThrowIfCancellationRequested();
            _sendBuffer.Encode(message);
            try
            {
                await Frame.WriteAsync(pipe, _sendBuffer, _abortWrites.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                throw new ClientGoneException(e);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The running request's line back to its client.</summary>
    sealed class SessionStemSink(ClientSession session, long requestId) : IStemSink
    {
        public ValueTask ReportProgressAsync(double fraction, string step, double? etaSeconds, CancellationToken cancel) =>
            session.SendAsync(new Progress(requestId, fraction, step, etaSeconds), cancel);

        public ValueTask SendChunkAsync(int variation, long sampleOffset, PcmAudio audio, CancellationToken cancel) =>
            session.SendAsync(new StemChunk(requestId, variation, sampleOffset, audio), cancel);
    }
}

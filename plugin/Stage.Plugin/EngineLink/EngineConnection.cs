using Stage.Plugin.Processing;
using Stage.Shared;
using Stage.Shared.Audio;
using Stage.Shared.Music;
using Stage.Shared.Protocol;

namespace Stage.Plugin.EngineLink;

/// <summary>
/// The plugin's side of the engine: a worker thread that serves the audio thread (allocates the capture
/// ring it asks for, writes deferred failures to the log) and turns Generate presses into requests over
/// the engine's pipe — connecting, starting the engine when none answers, and connecting afresh after
/// the engine died. Streamed audio lands in a <see cref="Stem"/> the audio thread plays from as soon as
/// its first chunk arrives. Nothing here runs on the audio thread.
/// </summary>
sealed class EngineConnection : IDisposable
{
    static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(500);
    static readonly TimeSpan EngineStartTimeout = TimeSpan.FromSeconds(30);
    static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(5);

    readonly StagePlugin plugin;
    readonly string pipeName = EnginePipeName.Default;
    readonly CancellationTokenSource stopping = new();
    readonly Thread worker;
    readonly System.Collections.Concurrent.ConcurrentQueue<StemReference> reloads = new();
    EngineClient? client;
    long nextRequestId;
    Task? generation;
    CancellationTokenSource? generationCancel;
    double convertedFor;
    int cancelRequested;
    readonly RoomLink room;

    public EngineConnection(StagePlugin plugin)
    {
        this.plugin = plugin;
        worker = new Thread(Run) { IsBackground = true, Name = "Stage engine link" };
        worker.Start();
        room = new RoomLink(plugin, this, pipeName);
    }

    /// <summary>Cancels the request in flight (the control room's Cancel), on the worker.</summary>
    public void CancelGeneration() => Volatile.Write(ref cancelRequested, 1);

    /// <summary>Loads a saved stem's WAVs (on the worker) and plays it where it was placed.</summary>
    public void Reload(StemReference stem) => reloads.Enqueue(stem);

    public void Dispose()
    {
        room.Dispose();
        stopping.Cancel();
        if (Thread.CurrentThread != worker) worker.Join(TimeSpan.FromSeconds(5));
    }

    void Run()
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                PluginLog.FlushDeferred();
                try { plugin.ProvideCaptureBuffer(); }
                catch (OutOfMemoryException e) { Fail(StatusKind.Failed, $"Not enough memory for the capture buffer: {e.Message}"); }
                while (reloads.TryDequeue(out var stem)) StemFiles.Reload(plugin, stem);
                ConvertStemToHostRate();
                if (plugin.GenerateRequests.TryRead(out var ticket)) StartGeneration(ticket);
                if (Interlocked.Exchange(ref cancelRequested, 0) != 0 && generation is { IsCompleted: false })
                {
                    generationCancel!.Cancel();
                    plugin.Status = new StatusReport(StatusKind.Ready, "Generation cancelled");
                }
                stopping.Token.WaitHandle.WaitOne(Tick);
            }
            generationCancel?.Cancel();
            try { generation?.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
            client?.Dispose();
        }
        catch (Exception e)
        {
            PluginLog.Failure("engine link", e);
            Fail(StatusKind.Failed, $"The engine link stopped: {e.Message}");
        }
    }

    /// <summary>A saved stem made at another rate than the host now runs at is reloaded, converted, once per rate.</summary>
    void ConvertStemToHostRate()
    {
        double rate = plugin.HostSampleRate;
        if (rate <= 0 || rate == convertedFor || generation is { IsCompleted: false }) return;
        if (plugin.Stem is { } stem && stem.SampleRate != rate && plugin.LastStem is { } saved)
        {
            convertedFor = rate;
            PluginLog.Write($"the stem was made at {stem.SampleRate} Hz, the host runs at {rate} Hz: converting");
            StemFiles.Reload(plugin, saved);
        }
    }

    void StartGeneration(GenerateTicket ticket)
    {
        // The region is copied out of the ring first, before anything can wait: the audio thread goes on writing.
        var press = Prepare(ticket);
        if (press == null) return;
        // A new press replaces the request in flight.
        if (generation is { IsCompleted: false })
        {
            generationCancel!.Cancel();
            try { generation.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        }
        generationCancel = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        var cancel = generationCancel.Token;
        generation = Task.Run(async () =>
        {
            try { await GenerateAsync(press, cancel); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                PluginLog.Failure("generate", e);
                Fail(StatusKind.Failed, $"Generating failed: {e.Message}");
            }
        });
        contextUsers[nextContextBuffer] = generation;
        nextContextBuffer ^= 1;
    }

    /// <summary>A press ready to send: the captured bars and their audio (interleaved stereo).</summary>
    sealed record Press(ParameterSnapshot Parameters, int Bars, CaptureRegion Region, ReadOnlyMemory<float> Context);

    // Two context buffers, alternating between presses: a press may be prepared while the request it
    // replaces is still being sent from the other. Reused, so a press allocates nothing once they are large enough.
    readonly float[][] contextBuffers = [[], []];
    readonly Task?[] contextUsers = new Task?[2];
    int nextContextBuffer;

    /// <summary>The last whole bars of the ticket's run, copied out of the ring; null (status set) when there are none.</summary>
    Press? Prepare(GenerateTicket ticket)
    {
        var p = ticket.Parameters;
        int bars = StageParameters.BarChoices[(int)p.Plain(ParameterId.Bars)];
        var capture = ticket.Ring;
        if (!ticket.HasCapture || capture == null)
        {
            Fail(StatusKind.NeedsCapture, "Nothing captured yet: arm Capture and play the song, then press Generate");
            return null;
        }
        var region = ticket.Run.LastBars(bars, out long wholeBars);
        if (region is not { } r)
        {
            Fail(StatusKind.NeedsCapture, $"Captured {wholeBars} whole bar{(wholeBars == 1 ? "" : "s")}, Generate needs {bars}: play on with Capture armed");
            return null;
        }
        int rate = (int)r.Grid.SampleRate;
        if (rate != r.Grid.SampleRate || rate is < 8_000 or > 384_000)
        {
            Fail(StatusKind.Failed, $"The host's sample rate {r.Grid.SampleRate} Hz is not supported (whole Hz from 8000 to 384000)");
            return null;
        }
        var context = ContextAudio(capture, r, ticket.Run.End, ContextBuffer(checked((int)r.Length * 2)));
        // A locate or loop jump since the press starts a run that may have written over the region: the copy
        // could mix two passes through the song.
        if (capture.Runs != ticket.Runs)
        {
            Fail(StatusKind.NeedsCapture, "The song was located (or looped) right after Generate, before the captured bars were taken: press Generate again");
            return null;
        }
        // Everything written since the press went somewhere in the ring; if that much could have reached the
        // region's slots (the ring wrapped, e.g. a fast offline render), the copy is not what was heard.
        if (!capture.Holds(r.Start, ticket.Run.End, ticket.Written))
        {
            Fail(StatusKind.NeedsCapture, "The capture moved on before it could be sent: press Generate again while the song plays");
            return null;
        }
        return new Press(p, bars, r, context);
    }

    async Task GenerateAsync(Press press, CancellationToken cancel)
    {
        var p = press.Parameters;
        int bars = press.Bars;
        var r = press.Region;
        var grid = r.Grid;
        int rate = (int)grid.SampleRate;
        var context = press.Context;
        var instrument = (Instrument)(int)p.Plain(ParameterId.Instrument);
        int variations = (int)p.Plain(ParameterId.Variations);
        long requestId = Interlocked.Increment(ref nextRequestId);
        var request = new GenerateRequest
        {
            RequestId = requestId,
            Instrument = instrument,
            Context = new PcmAudio(context, rate, 2),
            TempoBpm = grid.Tempo.BeatsPerMinute,
            TimeSignature = new Stage.Shared.Protocol.TimeSignature(grid.Meter.Numerator, grid.Meter.Denominator),
            Length = StemLength.Bars(bars),
            ContextMode = (ContextMode)(int)p.Plain(ParameterId.Context),
            ClickOffsetSeconds = 0,   // the region starts on a bar line
            Prompt = plugin.Prompt,
            InstanceId = plugin.InstanceId,
            StemStartPpq = r.StartPpq,
            Temperature = p.Plain(ParameterId.Temperature),
            TopK = (int)p.Plain(ParameterId.TopK),
            Guidance = p.Plain(ParameterId.Guidance),
            Seed = (long)p.Plain(ParameterId.Seed),
            Variations = variations,
            OutputSampleRate = rate,
            OutputChannels = 2,
            WriteWav = true,
        };
        string what = $"{bars} bar{(bars == 1 ? "" : "s")} of {InstrumentName.Of(instrument)} at {grid.Tempo.BeatsPerMinute:0.##} BPM";
        PluginLog.Write($"request {requestId}: {what} from bar {r.FirstBar + 1} (PPQ {r.StartPpq}), {variations} variation(s), seed {request.Seed}, prompt \"{request.Prompt}\"");
        // An engine that died while idle is only noticed on the next request: if a kept connection breaks
        // before the engine answered anything, connect afresh (starting the engine) and send once more.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            bool reused = client != null;
            var engine = await ConnectAsync(cancel);
            if (engine == null) return;
            plugin.Status = new StatusReport(StatusKind.Generating, $"Generating {what}");
            var outcome = await ExchangeAsync(engine, request, r, what, cancel);
            if (outcome == Outcome.Done) return;
            if (!reused || attempt == 1) break;
            PluginLog.Write($"request {requestId}: the kept connection was dead; reconnecting");
        }
        Fail(StatusKind.EngineLost, $"The engine closed the connection before answering the request for {what}; press Generate to retry (it restarts the engine)");
    }

    enum Outcome { Done, LostBeforeReply }

    /// <summary>How long a cancelled request may take to be acknowledged before its connection is dropped.</summary>
    static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends the request and plays what comes back; sets the status for every ending. Frames are received
    /// in place and chunks written straight into a reused stem slot, so a streaming stem allocates nothing
    /// per chunk. A cancel sends Cancel and keeps reading until the engine acknowledges it (its late chunks
    /// are told apart by request id); an engine that does not answer within <see cref="CancelGrace"/> loses
    /// the connection.
    /// </summary>
    async Task<Outcome> ExchangeAsync(EngineClient engine, GenerateRequest request, CaptureRegion r, string what, CancellationToken cancel)
    {
        long requestId = request.RequestId;
        bool answered = false;
        Stem? stem = null;
        int reportedPercent = -1;
        using var abandon = new CancellationTokenSource();
        using var dropConnection = abandon.Token.Register(engine.Dispose);
        using var sendCancel = cancel.Register(() =>
        {
            _ = engine.SendAsync(new Cancel(requestId)).ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            abandon.CancelAfter(CancelGrace);
        });
        try
        {
            await engine.SendAsync(request, cancel);
            while (true)
            {
                var message = await engine.ReceiveInPlaceAsync();
                if (message == null)
                {
                    if (!cancel.IsCancellationRequested) return Lost(what, answered);
                    DropConnection();   // the engine closed it: the next press connects afresh
                    return Cancelled(requestId);
                }
                answered = true;
                switch (message)
                {
                    case Progress progress when progress.RequestId == requestId && !cancel.IsCancellationRequested:
                        // One status text per percent: a text per progress message would be garbage while the stem streams.
                        int percent = (int)(progress.Fraction * 100);
                        if (percent == reportedPercent) break;
                        reportedPercent = percent;
                        plugin.Status = new StatusReport(StatusKind.Generating, $"Generating {what}: {progress.Step} {percent}%");
                        break;
                    case StemChunk chunk when chunk.RequestId == requestId && !cancel.IsCancellationRequested:
                        if (stem == null)
                        {
                            stem = plugin.NewStem(request.Variations, (int)r.Length, r.StartPpq, r.LengthQuarters, request.OutputSampleRate);
                            plugin.PublishStem(stem);
                        }
                        WriteChunk(stem, chunk);
                        break;
                    case Completed done when done.RequestId == requestId:
                        if (cancel.IsCancellationRequested) return Cancelled(requestId);
                        if (done.WavPaths.Count > 0)
                            plugin.LastStem = new StemReference(done.WavPaths, r.StartPpq, r.LengthQuarters, request.OutputSampleRate);
                        string where = done.WavPaths.Count > 0 ? done.WavPaths[0] : "(no WAV written)";
                        plugin.Status = new StatusReport(StatusKind.StemReady, $"Stem ready: {where}");
                        PluginLog.Write($"request {requestId}: completed, {done.TotalSamples} samples, WAV {string.Join(", ", done.WavPaths)}");
                        return Outcome.Done;
                    case Failed failed when failed.RequestId == requestId || failed.RequestId == 0:
                        if (cancel.IsCancellationRequested) return Cancelled(requestId);
                        Fail(StatusKind.Failed, $"The engine could not generate: {failed.Message}");
                        return Outcome.Done;
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return Cancelled(requestId);   // cancelled before the request was sent whole
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or ProtocolException or MessagePackException)
        {
            if (cancel.IsCancellationRequested)
            {
                PluginLog.Write($"request {requestId}: cancelled; the engine did not acknowledge within {CancelGrace.TotalSeconds:0} s, connection dropped");
                DropConnection();
                return Outcome.Done;
            }
            PluginLog.Failure($"request {requestId}", e);
            return Lost(what, answered);
        }
    }

    Outcome Cancelled(long requestId)
    {
        PluginLog.Write($"request {requestId}: cancelled");
        return Outcome.Done;
    }

    /// <summary>The next of the two context buffers, at least <paramref name="samples"/> long (a new one if its last user still runs).</summary>
    float[] ContextBuffer(int samples)
    {
        int slot = nextContextBuffer;
        if (contextBuffers[slot].Length < samples || contextUsers[slot] is { IsCompleted: false })
            contextBuffers[slot] = new float[samples];
        return contextBuffers[slot];
    }

    /// <summary>The region's audio, interleaved stereo, in <paramref name="buffer"/>; what the ring no longer holds is silence.</summary>
    static ReadOnlyMemory<float> ContextAudio(CaptureBuffer capture, CaptureRegion region, long capturedEnd, float[] buffer)
    {
        int frames = (int)region.Length;
        int valid = (int)Math.Clamp(capturedEnd - region.Start, 0, frames);
        var interleaved = buffer.AsSpan(0, frames * 2);
        capture.CopyOutInterleaved(region.Start, interleaved[..(valid * 2)]);
        interleaved[(valid * 2)..].Clear();
        return buffer.AsMemory(0, frames * 2);
    }

    static void WriteChunk(Stem stem, StemChunk chunk)
    {
        var audio = chunk.Audio;
        if (chunk.Variation < 0 || chunk.Variation >= stem.Variations || audio.Channels < 1 || chunk.SampleOffset >= stem.Length) return;
        stem.WriteInterleaved(chunk.Variation, (int)chunk.SampleOffset, audio.Samples.Span, audio.Channels);
    }

    /// <summary>The connected engine, starting one if none answers; null (status set) when that fails.</summary>
    async Task<EngineClient?> ConnectAsync(CancellationToken cancel)
    {
        if (client != null) return client;
        var first = await TryConnectAsync(cancel);
        if (first != null) return client = first;

        plugin.Status = new StatusReport(StatusKind.EngineStarting, "Starting the engine");
        if (EngineLauncher.TryStart(pipeName) is { } problem)
        {
            Fail(StatusKind.EngineMissing, problem);
            return null;
        }
        var deadline = DateTime.UtcNow + EngineStartTimeout;
        while (DateTime.UtcNow < deadline && !cancel.IsCancellationRequested)
        {
            if (await TryConnectAsync(cancel) is { } started) return client = started;
            await Task.Delay(200, cancel);
        }
        Fail(StatusKind.EngineMissing, $"The engine did not answer on pipe '{pipeName}' within {EngineStartTimeout.TotalSeconds:0} s; see {StageFolders.EngineLog}");
        return null;
    }

    async Task<EngineClient?> TryConnectAsync(CancellationToken cancel)
    {
        try
        {
            return await EngineClient.ConnectAsync(pipeName, "Stage VST3", typeof(EngineConnection).Assembly.GetName().Version?.ToString(3) ?? "0", ConnectTimeout, cancel);
        }
        catch (Exception e) when (e is TimeoutException or IOException or ProtocolException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    void DropConnection()
    {
        client?.Dispose();
        client = null;
    }

    Outcome Lost(string what, bool answered)
    {
        DropConnection();
        if (!answered) return Outcome.LostBeforeReply;   // the caller may retry on a fresh connection
        Fail(StatusKind.EngineLost, $"The engine stopped while generating {what}; press Generate to retry (it restarts the engine)");
        return Outcome.Done;
    }

    void Fail(StatusKind kind, string text)
    {
        plugin.Status = new StatusReport(kind, text);
        PluginLog.Write(text);
    }
}

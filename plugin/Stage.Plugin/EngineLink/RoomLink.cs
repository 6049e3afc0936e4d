using Stage.Plugin.Processing;
using Stage.Shared.Protocol;

namespace Stage.Plugin.EngineLink;

/// <summary>
/// The instance's line to the engine's control room: a second, long-lived connection (the request connection
/// stays as it is) that reports the instance (<see cref="InstanceInfo"/>) whenever it changes and carries the
/// page's commands back: prompt and settings, Generate and Cancel presses, the chosen variation, a restored stem.
/// It connects whenever an engine is running; "Open control room" starts one if none is. Nothing here runs on
/// the audio thread.
/// </summary>
sealed class RoomLink : IDisposable
{
    static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(250);
    static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    static readonly TimeSpan EngineStartTimeout = TimeSpan.FromSeconds(30);

    readonly StagePlugin plugin;
    readonly EngineConnection requests;
    readonly string pipeName;
    readonly CancellationTokenSource stopping = new();
    readonly Task loop;
    EngineClient? client;
    string? address;
    InstanceInfo? lastSent;
    DateTime lastAttempt, lastReport;

    public RoomLink(StagePlugin plugin, EngineConnection requests, string pipeName)
    {
        this.plugin = plugin;
        this.requests = requests;
        this.pipeName = pipeName;
        loop = Task.Run(RunAsync);
    }

    public void Dispose()
    {
        stopping.Cancel();
        try { loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        Interlocked.Exchange(ref client, null)?.Dispose();
    }

    async Task RunAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                bool open = plugin.TakeOpenPress();
                var now = DateTime.UtcNow;
                if (Volatile.Read(ref client) == null && (open || (now - lastAttempt > RetryInterval && EngineMayBeRunning())))
                {
                    lastAttempt = now;
                    await ConnectAsync(startEngine: open);
                }
                if (Volatile.Read(ref client) is { } engine)
                {
                    if (now - lastReport >= ReportInterval || open)
                    {
                        lastReport = now;
                        var info = Snapshot();
                        if (info != lastSent)
                        {
                            await engine.SendAsync(info, stopping.Token);
                            lastSent = info;
                        }
                    }
                    if (open) await OpenAsync(engine);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { break; }
            catch (Exception e) when (e is IOException or ObjectDisposedException or ProtocolException or MessagePackException)
            {
                Drop(Volatile.Read(ref client));
            }
            catch (Exception e)
            {
                PluginLog.Failure("control room link", e);
            }
            try { await Task.Delay(Tick, stopping.Token); } catch (OperationCanceledException) { break; }
        }
    }

    async Task OpenAsync(EngineClient engine)
    {
        if (address == null)
        {
            Report(StatusKind.Failed, "This engine runs without its control room (it was started with --no-control-room)");
            return;
        }
        await engine.SendAsync(new OpenControlRoom(), stopping.Token);
        Report(plugin.Status.Kind is StatusKind.Generating ? StatusKind.Generating : StatusKind.Ready, $"Control room: {address}");
    }

    /// <summary>On Unix the pipe is a socket file: without it no engine runs, and trying would only cost a timeout.</summary>
    bool EngineMayBeRunning() =>
        OperatingSystem.IsWindows() ? File.Exists($@"\\.\pipe\{pipeName}") : File.Exists(EnginePipeName.UnixSocketPath(pipeName));

    async Task ConnectAsync(bool startEngine)
    {
        var engine = await TryConnectAsync();
        if (engine == null && startEngine)
        {
            Report(StatusKind.EngineStarting, "Starting the engine to open the control room");
            if (EngineLauncher.TryStart(pipeName) is { } problem)
            {
                Report(StatusKind.EngineMissing, problem);
                return;
            }
            var deadline = DateTime.UtcNow + EngineStartTimeout;
            while (engine == null && DateTime.UtcNow < deadline && !stopping.IsCancellationRequested)
            {
                await Task.Delay(200, stopping.Token);
                engine = await TryConnectAsync();
            }
            if (engine == null)
            {
                Report(StatusKind.EngineMissing, $"The engine did not answer on pipe '{pipeName}' within {EngineStartTimeout.TotalSeconds:0} s; see {Stage.Shared.StageFolders.EngineLog}");
                return;
            }
        }
        if (engine == null) return;
        address = engine.Welcome.ControlRoomAddress;
        lastSent = null;
        Volatile.Write(ref client, engine);
        PluginLog.Write($"control room link: connected to engine {engine.Welcome.EngineVersion}{(address != null ? $", page at {address}" : "")}");
        _ = Task.Run(() => ReceiveAsync(engine));
    }

    async Task<EngineClient?> TryConnectAsync()
    {
        try
        {
            return await EngineClient.ConnectAsync(pipeName, "Stage VST3 (control room)",
                typeof(RoomLink).Assembly.GetName().Version?.ToString(3) ?? "0", TimeSpan.FromMilliseconds(500), stopping.Token);
        }
        catch (ProtocolException e)
        {
            // Most likely an engine of another Stage release: say so once per attempt in the log, not in Status.
            PluginLog.Write($"control room link: the engine refused: {e.Message}");
            return null;
        }
        catch (Exception e) when (e is TimeoutException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            return null;
        }
    }

    async Task ReceiveAsync(EngineClient engine)
    {
        try
        {
            while (await engine.ReceiveAsync(stopping.Token) is { } message) Apply(message);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or ProtocolException or MessagePackException or OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            PluginLog.Failure("control room link", e);
        }
        Drop(engine);
    }

    void Drop(EngineClient? engine)
    {
        if (engine == null || Interlocked.CompareExchange(ref client, null, engine) != engine) return;
        engine.Dispose();
        PluginLog.Write("control room link: disconnected");
    }

    /// <summary>A command from the page, applied as the plugin's own controls would be.</summary>
    void Apply(ProtocolMessage message)
    {
        switch (message)
        {
            case PromptSettings s:
                if (s.Prompt != null) plugin.Prompt = s.Prompt;
                Edit(ParameterId.Temperature, s.Temperature);
                Edit(ParameterId.TopK, s.TopK);
                Edit(ParameterId.Guidance, s.Guidance);
                Edit(ParameterId.Seed, s.Seed);
                Edit(ParameterId.Variations, s.Variations);
                PluginLog.Write($"control room: settings{(s.Prompt != null ? $", prompt \"{s.Prompt}\"" : "")}");
                break;
            case RemotePress { Action: RemoteAction.Generate }:
                PluginLog.Write("control room: Generate");
                plugin.PressGenerate();
                break;
            case RemotePress { Action: RemoteAction.Cancel }:
                PluginLog.Write("control room: Cancel");
                requests.CancelGeneration();
                break;
            case VariationChoice v:
                Edit(ParameterId.Variation, Math.Clamp(v.Variation, 1, StageParameters.MaxVariations));
                break;
            case StemRestore r:
                PluginLog.Write($"control room: restore {string.Join(", ", r.WavPaths)}");
                requests.Reload(new StemReference(r.WavPaths, r.StartPpq, r.LengthQuarters, r.SampleRate));
                break;
            case Failed f:
                PluginLog.Write($"control room link: the engine said: {f.Message}");
                break;
        }
    }

    void Edit(ParameterId id, double? plain)
    {
        if (plain is { } v) plugin.EditFromControlRoom(id, StageParameters.Get(id).ToNormalized(v));
    }

    void Report(StatusKind kind, string text)
    {
        plugin.Status = new StatusReport(kind, text);
        PluginLog.Write(text);
    }

    /// <summary>The instance as the page shows it.</summary>
    InstanceInfo Snapshot()
    {
        var p = plugin.Parameters;
        var (tempo, numerator, denominator, playing) = plugin.LastTransport;
        int captured = 0;
        long firstBar = -1;
        if (plugin.CaptureBuffer?.Run is { Length: > 0 } run)
        {
            run.LastBars(int.MaxValue, out long whole);
            captured = (int)Math.Min(whole, int.MaxValue);
            if (whole > 0) firstBar = run.Grid.BarAtOrBefore(run.End) - whole;
        }
        var track = plugin.Track;
        return new InstanceInfo
        {
            InstanceId = plugin.InstanceId,
            TrackName = track.Name,
            TrackColour = track.Colour,
            Instrument = p.Instrument,
            ContextMode = p.Context,
            Bars = p.Bars,
            TempoBpm = tempo,
            TimeSignature = new TimeSignature(numerator, denominator),
            SampleRate = plugin.HostSampleRate,
            CapturedBars = captured,
            CapturedFirstBar = firstBar,
            Playing = playing,
            Prompt = plugin.Prompt,
            Temperature = p.Plain(ParameterId.Temperature),
            TopK = (int)p.Plain(ParameterId.TopK),
            Guidance = p.Plain(ParameterId.Guidance),
            Seed = (long)p.Plain(ParameterId.Seed),
            Variations = p.Variations,
            Variation = p.Variation,
            Status = plugin.Status.Text,
            StemWavPaths = plugin.LastStem?.WavPaths ?? [],
        };
    }
}

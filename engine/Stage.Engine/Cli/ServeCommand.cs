using System.CommandLine;
using Stage.Engine.ControlRoom;
using Stage.Engine.Jobs;
using Stage.Engine.Logging;
using Stage.Engine.Server;
using Stage.Shared;
using Stage.Shared.Protocol;

namespace Stage.Engine.Cli;

/// <summary>`stage-engine serve`: the engine the plugin talks to.</summary>
public sealed class ServeCommand : EngineCommand
{
    readonly Option<string> _pipe = new("--pipe")
    {
        Description = "pipe to serve on ($STAGE_PIPE if set, else stage-engine-<user>)",
        HelpName = "NAME",
        DefaultValueFactory = _ => EnginePipeName.Default,
        Validators = { r => { if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>())) r.AddError("--pipe needs a non-empty name"); } },
    };

    readonly Option<string?> _models = SharedOptions.ModelsRoot($"drums/ and bass/, each with {InstalledModel.Expected}", showDefault: true);

    readonly Option<string> _log = new("--log")
    {
        Description = "log file (<data>/logs/engine.log)",
        HelpName = "FILE",
        DefaultValueFactory = _ => StageFolders.EngineLog,
    };

    readonly DeviceOptions _device = new();

    readonly Option<int> _roomPort = new("--control-room-port")
    {
        Description = "loopback port of the control room page (0 = any free port)",
        HelpName = "PORT",
        DefaultValueFactory = _ => 0,
        Validators = { r => { if (r.GetValueOrDefault<int>() is < 0 or > 65535) r.AddError("--control-room-port must be 0..65535"); } },
    };

    readonly Option<bool> _noRoom = new("--no-control-room") { Description = "serve the pipe only, without the control room page" };

    public ServeCommand() : base("serve", "serve plugin instances over a named pipe until Ctrl+C / SIGTERM")
    {
        Details =
            """
            Plugin instances connect over a named pipe (reachable only by this user) and ask for stems. Many instances
            may be connected at once; each one's requests run in order. Logs go to stderr and to the log file. Ctrl+C
            or SIGTERM stops the server cleanly, cancelling running requests.
            The control room, a page on 127.0.0.1 with a card per connected instance, starts with it; its address
            (with this run's secret) is printed at start, and `stage-engine open` opens it.
            """;
        Add(_pipe);
        Add(_models);
        Add(_log);
        Add(_roomPort);
        Add(_noRoom);
        _device.AddTo(this);
    }

    protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        string pipeName = result.GetRequiredValue(_pipe), models = SharedOptions.ModelsRootOf(result, _models), logFile = result.GetRequiredValue(_log);

        EngineLog log;
        try
        {
            log = new EngineLog(stderr, logFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"stage-engine serve: cannot open the log file {logFile}: {e.Message}");
            return 1;
        }
        using (log)
        {
            log.Info($"stage-engine {EngineVersion.Text}, protocol {Hello.CurrentProtocolVersion}, models at {Path.GetFullPath(models)}");
            if (RunningEngineVersion(pipeName, cancel) is { } running)
            {
                // On Unix a second server would silently take the pipe's socket over from the first.
                log.Error($"stage-engine {running} is already serving on pipe '{pipeName}'; stop it first or choose another pipe with --pipe");
                return 1;
            }
            var (kind, precision) = _device.Read(result);
            var selection = DeviceOptions.Choose(kind, precision);
            log.Info(selection.Message);
            using var device = selection.Device;
            var generator = new StageStemGenerator(new StageModelCache(models, device.HostLmPrecision, device.CodecBackend), device: device);
            RoomServer? room = null;
            if (!result.GetValue(_noRoom))
            {
                try
                {
                    room = RoomServer.StartAsync(new Room(), new EngineStatus(EngineVersion.Text, generator.DeviceName, Path.GetFullPath(models), StageFolders.Stems),
                        result.GetValue(_roomPort), log).GetAwaiter().GetResult();
                }
                catch (IOException e)
                {
                    log.Error($"cannot start the control room on 127.0.0.1:{result.GetValue(_roomPort)}: {e.Message}; choose another --control-room-port, or --no-control-room");
                    return 1;
                }
                log.Info($"control room: {room.Address}");
                stdout.WriteLine($"Control room: {room.Address}");
                stdout.Flush();
            }
            var server = new PipeServer(pipeName, generator, log, room);
            try
            {
                server.RunAsync(cancel).GetAwaiter().GetResult();
            }
            catch (IOException e)
            {
                log.Error($"cannot serve on pipe '{pipeName}': {e.Message}");
                return 1;
            }
            finally
            {
                room?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return 0;
        }
    }

    /// <summary>The version of an engine already answering on the pipe, or null when none does.</summary>
    static string? RunningEngineVersion(string pipeName, CancellationToken cancel)
    {
        // On Unix the pipe is a socket file: no file, no engine, and no need to wait for a connect timeout.
        if (!OperatingSystem.IsWindows() && !File.Exists(EnginePipeName.UnixSocketPath(pipeName)))
            return null;
        try
        {
            using var client = EngineClient.ConnectAsync(pipeName, "stage-engine serve (checking for a running engine)",
                EngineVersion.Text, TimeSpan.FromSeconds(1), cancel).GetAwaiter().GetResult();
            return client.Welcome.EngineVersion;
        }
        catch (Exception e) when (e is TimeoutException or IOException or ProtocolException or UnauthorizedAccessException)
        {
            return null; // a stale socket file, or something that is not a Stage engine
        }
    }
}

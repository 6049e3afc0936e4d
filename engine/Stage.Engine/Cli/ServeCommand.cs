using Stage.Engine.Jobs;
using Stage.Engine.Logging;
using Stage.Engine.Server;
using Stage.Shared;
using Stage.Shared.Protocol;

namespace Stage.Engine.Cli;

/// <summary>`stage-engine serve`: the engine the plugin talks to.</summary>
public static class ServeCommand
{
    public static readonly Command Command = new(
        "serve",
        "serve plugin instances over a named pipe until Ctrl+C / SIGTERM",
        "serve [--pipe NAME] [--models DIR] [--log FILE] " + DeviceOptions.Usage,
        $"""
        Runs the Stage engine: plugin instances connect over a named pipe (reachable only by this user)
        and ask for stems. Many instances may be connected at once; each one's requests run in order.
        Logs go to stderr and to the log file. Ctrl+C or SIGTERM stops the server cleanly, cancelling
        running requests.

          --pipe NAME    pipe to serve on (default: $STAGE_PIPE, else stage-engine-<user>; now '{EnginePipeName.Default}')
          --models DIR   models root holding drums/ and bass/, each with {InstalledModel.Expected}
                         (default: $STAGE_MODELS, else <data>/models; now '{StageFolders.Models}')
          --log FILE     log file (default: <data>/logs/engine.log; now '{StageFolders.EngineLog}')
        """ + "\n" + DeviceOptions.Help,
        Run);

    static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        string pipeName = EnginePipeName.Default, models = StageFolders.Models, logFile = StageFolders.EngineLog;
        var deviceOptions = new DeviceOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            if (deviceOptions.TryTake(args[i], Value)) continue;
            switch (args[i])
            {
                case "--pipe": pipeName = Value(); break;
                case "--models": models = Value(); break;
                case "--log": logFile = Value(); break;
                default: throw new UsageException($"unknown option '{args[i]}'");
            }
        }
        if (string.IsNullOrWhiteSpace(pipeName)) throw new UsageException("--pipe needs a non-empty name");

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
            var selection = deviceOptions.Choose();
            log.Info(selection.Message);
            using var device = selection.Device;
            var server = new PipeServer(pipeName, new StageStemGenerator(new StageModelCache(models), device: device), log);
            try
            {
                server.RunAsync(cancel).GetAwaiter().GetResult();
            }
            catch (IOException e)
            {
                log.Error($"cannot serve on pipe '{pipeName}': {e.Message}");
                return 1;
            }
            return 0;
        }
    }

    /// <summary>The version of an engine already answering on the pipe, or null when none does.</summary>
    static string? RunningEngineVersion(string pipeName, CancellationToken cancel)
    {
        // On Unix the pipe is a socket file: no file, no engine, and no need to wait for a connect timeout.
        if (!OperatingSystem.IsWindows() && !File.Exists(Path.Combine(Path.GetTempPath(), $"CoreFxPipe_{pipeName}")))
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

using Stage.Engine.Logging;
using Stage.Engine.Server;
using Stage.Plugin.TestEngine;
using Stage.Shared.Protocol;

// Usage (as the plugin launches an engine): Stage.Plugin.TestEngine serve [--pipe NAME]
// $STAGE_TEST_ENGINE_CONTROL: a folder; this process appends its id to "pids" there (see KnownStemGenerator).
string pipe = EnginePipeName.Default;
for (int i = 0; i < args.Length; i++)
    if (args[i] == "--pipe" && i + 1 < args.Length) pipe = args[++i];
string? control = Environment.GetEnvironmentVariable("STAGE_TEST_ENGINE_CONTROL") is { Length: > 0 } c ? c : null;
if (control != null)
{
    Directory.CreateDirectory(control);
    File.AppendAllText(Path.Combine(control, "pids"), $"{Environment.ProcessId}\n");
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
using var log = new EngineLog(Console.Error);
var server = new PipeServer(pipe, new KnownStemGenerator(4800, control), log);
await server.RunAsync(stop.Token);

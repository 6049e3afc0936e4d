using System.Diagnostics;
using Stage.Plugin.Tests.Host;

namespace Stage.Plugin.Tests.ControlRoom;

/// <summary>
/// The real `stage-engine serve` on the tiny fixture model (copied in as the drums model), serving the host
/// tests' pipe. $STAGE_OPEN_COMMAND is a script that records what the engine asks the system to open.
/// </summary>
sealed class RealEngine : IDisposable
{
    readonly Process process;
    readonly System.Text.StringBuilder output = new();

    public string Address { get; }
    public string Models { get; }
    public string Opened { get; }
    public string Log { get; }

    public RealEngine()
    {
        HostEnvironment.Ensure();
        HostEnvironment.RemoveEngine();   // the plugin must find this engine, not start the test one
        string root = Path.Combine(HostEnvironment.Root, "real-engine");
        Models = Path.Combine(root, "models");
        string drums = Path.Combine(Models, "drums");
        Directory.CreateDirectory(drums);
        foreach (var file in (string[])["model.safetensors", "spiece.model", "config.json"])
            File.Copy(Path.Combine(Repository.Root, "tests", "fixtures", "stage-tiny", file), Path.Combine(drums, file), overwrite: true);
        Opened = Path.Combine(root, "opened.txt");
        File.Delete(Opened);
        string opener = Path.Combine(root, "open");
        File.WriteAllText(opener, $"#!/bin/sh\necho \"$@\" >> '{Opened}'\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(opener, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Log = Path.Combine(root, "engine.log");

        string dll = Path.Combine(Repository.Root, "engine", "Stage.Engine", "bin", Repository.Configuration, "net10.0", "stage-engine.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"the engine is not built: {dll} (build the solution first)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[dll, "serve", "--pipe", HostEnvironment.PipeName, "--models", Models, "--log", Log, "--precision", "f32"])
            start.ArgumentList.Add(a);
        start.Environment["STAGE_OPEN_COMMAND"] = opener;
        process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? address = null;
        while (address == null && DateTime.UtcNow < deadline)
        {
            var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"the engine exited: {Errors}");
            if (line.StartsWith("Control room: ", StringComparison.Ordinal)) address = line["Control room: ".Length..];
        }
        Address = address ?? throw new TimeoutException($"the engine printed no control room address: {Errors}");
        // The pipe listens right after the page does; wait for its socket file so the plugin finds it.
        string socket = Path.Combine(Path.GetTempPath(), $"CoreFxPipe_{HostEnvironment.PipeName}");
        while (!File.Exists(socket) && DateTime.UtcNow < deadline) Thread.Sleep(50);
    }

    public string Errors { get { lock (output) return output.ToString(); } }

    public void Dispose()
    {
        try { if (!process.HasExited) { process.Kill(); process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        process.Dispose();
    }
}

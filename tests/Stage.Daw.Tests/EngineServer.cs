using System.Diagnostics;
using System.Text;

namespace Stage.Daw.Tests;

// `stage-engine serve` started by a test on its own pipe with the tiny fixture model as the drums
// model, stopped (SIGTERM, then kill) when the test ends. The plugin finds it through STAGE_PIPE and
// never has to start an engine itself.
public sealed class EngineServer : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    public EngineServer(string executable, string pipe, string dataHome)
    {
        Pipe = pipe;
        ModelsRoot = Path.Combine(dataHome, "test-models");
        Directory.CreateDirectory(ModelsRoot);
        // The fixture folder has the layout of one instrument's model folder.
        Directory.CreateSymbolicLink(Path.Combine(ModelsRoot, "drums"), RepositoryLayout.TinyModel);

        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "serve", "--pipe", pipe, "--models", ModelsRoot }) start.ArgumentList.Add(arg);
        start.Environment["XDG_DATA_HOME"] = dataHome;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        WaitUntilListening(TimeSpan.FromSeconds(60));
    }

    public string Pipe { get; }

    /// <summary>The control room's address (with its secret), as `serve` prints it at start.</summary>
    public string ControlRoomAddress
    {
        get
        {
            foreach (var line in Output.Split('\n'))
                if (line.StartsWith("Control room: ", StringComparison.Ordinal)) return line["Control room: ".Length..].Trim();
            throw new InvalidOperationException($"stage-engine serve printed no control room address:\n{Output}");
        }
    }
    public string ModelsRoot { get; }

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            // SIGTERM lets the engine cancel its jobs and log its stop; kill only if it hangs.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString()])) term.WaitForExit();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10))) process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
        process.Dispose();
    }

    // .NET serves a named pipe on Unix as a socket file in the temp folder; it exists once the server
    // listens, which is when the plugin can connect.
    private void WaitUntilListening(TimeSpan timeout)
    {
        string socket = Path.Combine(Path.GetTempPath(), "CoreFxPipe_" + Pipe);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(socket))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"stage-engine serve exited {process.ExitCode} before listening:\n{Output}");
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"stage-engine serve did not listen on {socket} within {timeout.TotalSeconds} s:\n{Output}");
            Thread.Sleep(50);
        }
    }
}

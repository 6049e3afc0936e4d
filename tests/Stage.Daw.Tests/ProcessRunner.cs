using System.Diagnostics;
using System.Text;

namespace Stage.Daw.Tests;

public sealed record ProcessOutcome(int ExitCode, bool TimedOut, string Output, TimeSpan Wall)
{
    public string Describe(string what) =>
        $"{what} {(TimedOut ? "timed out" : $"exited {ExitCode}")} after {Wall.TotalSeconds:F1} s:\n{Output}";
}

// Runs a child process with a deadline, stdout and stderr merged in arrival order.
public static class ProcessRunner
{
    public static ProcessOutcome Run(string file, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        if (environment != null)
            foreach (var (key, value) in environment)
            {
                if (value == null) start.Environment.Remove(key);
                else start.Environment[key] = value;
            }

        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {file}: {e.Message}", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.WaitForExit(); // drains the asynchronous readers
        lock (output)
            return new ProcessOutcome(exited ? process.ExitCode : -1, !exited, output.ToString(), clock.Elapsed);
    }
}

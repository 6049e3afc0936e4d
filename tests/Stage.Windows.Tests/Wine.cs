using System.Diagnostics;
using System.Text;

namespace Stage.Windows.Tests;

/// <summary>How a Windows program ended under Wine: exit code and its stdout and stderr, each whole.</summary>
public sealed record WindowsOutcome(int ExitCode, bool TimedOut, string Stdout, string Stderr, TimeSpan Wall)
{
    public string Describe(string what) =>
        $"{what} {(TimedOut ? "timed out" : $"exited {ExitCode}")} after {Wall.TotalSeconds:F1} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs Windows programs under Wine, all in one prefix (so they share a wineserver, and with it named
/// pipes), with Wine's own diagnostics off. Linux paths reach them through Wine's Z: drive.
/// </summary>
public sealed class Wine : IDisposable
{
    /// <summary>Debian's wine64 package puts the 64-bit loader here, not on the PATH.</summary>
    public const string Loader = "/usr/lib/wine/wine64";

    readonly string _prefix;

    /// <summary>The prefix folder (its drive_c is the Windows programs' C:).</summary>
    public string Prefix => _prefix;

    public Wine(string prefix)
    {
        if (!File.Exists(Loader))
            throw new InvalidOperationException($"Wine is not installed ({Loader} missing): apt-get install wine64 (tests/setup.sh installs it)");
        _prefix = prefix;
        Directory.CreateDirectory(prefix);
        // The prefix's wineserver and its services (winedevice.exe...) outlive the Wine process that starts
        // them and keep that process's stdout and stderr open. Started here, detached from any output the
        // tests read, and kept until Dispose, they hold nothing a test waits on.
        Detached(Server, "-p");
        if (!File.Exists(Path.Combine(prefix, "system.reg")))
        {
            // A new prefix takes Wine ~10 s to lay out; made once, then reused run after run. No Wine Mono
            // or Gecko install (the first wineboot would offer both): .NET brings its own runtime.
            var boot = Run("wineboot", ["--init"], TimeSpan.FromMinutes(3), ("WINEDLLOVERRIDES", "mscoree,mshtml="));
            if (boot.ExitCode != 0) throw new InvalidOperationException(boot.Describe($"wineboot --init in {prefix}"));
        }
        Detached(Loader, "cmd.exe", "/c", "exit");
    }

    /// <summary>Debian's wine64 package keeps the server beside the loader.</summary>
    const string Server = "/usr/lib/wine/wineserver";

    /// <summary>Stops every Windows process of this prefix and its wineserver.</summary>
    public void Dispose() => Detached(Server, "-k");

    void Detached(string program, params string[] args)
    {
        var start = StartInfo(program, args);
        start.FileName = "/bin/sh";
        start.ArgumentList.Clear();
        foreach (var arg in (string[])["-c", "exec \"$0\" \"$@\" </dev/null >/dev/null 2>&1", program, .. args]) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) process.Kill(entireProcessTree: true);
    }

    /// <summary>Wine's code page for this environment: what a Windows program's redirected output is encoded in.</summary>
    public static readonly Encoding AnsiCodePage = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;

    /// <summary>The path a Windows program sees for a Linux path.</summary>
    public static string WindowsPath(string linuxPath) => "Z:" + Path.GetFullPath(linuxPath).Replace('/', '\\');

    public ProcessStartInfo StartInfo(string program, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Loader)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = AnsiCodePage,
            StandardErrorEncoding = AnsiCodePage,
        };
        start.ArgumentList.Add(program);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["WINEPREFIX"] = _prefix;
        start.Environment["WINEDEBUG"] = "-all";
        // No window. Wine's mscoree must stay enabled: Windows (and Wine) load IL-only images through it,
        // and without it .NET's own System.Runtime.dll fails to load ("Module not found").
        start.Environment.Remove("DISPLAY");
        // The locale picks Wine's ANSI code page: en-US's 1252 (AnsiCodePage) whatever the machine's.
        start.Environment["LANG"] = "C.UTF-8";
        // .NET's W^X double mapping of JIT code breaks under Wine 8 once dynamic methods are freed: the engine
        // (Kestrel for the control room makes some) died with "Internal CLR error" in DynamicResolver's finalizer
        // on every request, and runs clean with it off. Windows itself keeps the default.
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("LC_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        return start;
    }

    public WindowsOutcome Run(string program, IEnumerable<string> args, TimeSpan timeout, params (string Name, string Value)[] environment)
    {
        var clock = Stopwatch.StartNew();
        var start = StartInfo(program, args);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        // A Wine process that starts the prefix's wineserver hands it its stdout and stderr, which then stay
        // open until the server exits (3 s after its last client): wait for that, not longer.
        bool drained = Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(30));
        return new WindowsOutcome(exited ? process.ExitCode : -1, !exited, drained ? stdout.Result : "(still open)", drained ? stderr.Result : "(still open)", clock.Elapsed);
    }
}

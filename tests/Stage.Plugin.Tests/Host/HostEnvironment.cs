using System.Runtime.InteropServices;

namespace Stage.Plugin.Tests.Host;

/// <summary>
/// The environment the loaded plugin sees, set once per test process before the plugin first runs:
/// the NativeAOT runtime reads variables with getenv until it first starts a process, then keeps a
/// snapshot, so tests control the engine through files rather than by changing variables.
/// STAGE_ENGINE points at a launcher script that exists only while a test wants an engine.
/// </summary>
static class HostEnvironment
{
    public static readonly string Root = Path.Combine(Path.GetTempPath(), $"stage-host-tests-{Environment.ProcessId}");
    public static readonly string EngineLauncher = Path.Combine(Root, "engine", "stage-engine");
    public static readonly string Control = Path.Combine(Root, "control");
    public static readonly string PluginLog = Path.Combine(Root, "plugin.log");
    public static readonly string PipeName = $"stage-host-test-{Environment.ProcessId}";

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    static HostEnvironment()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(EngineLauncher)!);
        Directory.CreateDirectory(Control);
        Set("STAGE_PIPE", PipeName);
        Set("STAGE_ENGINE", EngineLauncher);
        Set("STAGE_TEST_ENGINE_CONTROL", Control);
        Set("STAGE_PLUGIN_LOG", PluginLog);
        Set("XDG_DATA_HOME", Path.Combine(Root, "data"));
    }

    static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows()) SetEnv(name, value, 1);
    }

    public static void Ensure() { }

    /// <summary>Makes STAGE_ENGINE start the test engine (a script that execs it).</summary>
    public static void InstallTestEngine(int chunkMilliseconds)
    {
        File.WriteAllText(Path.Combine(Control, "chunk-ms"), chunkMilliseconds.ToString());
        string dll = Path.Combine(Repository.Root, "tests", "Stage.Plugin.TestEngine", "bin", Repository.Configuration, "net10.0", "Stage.Plugin.TestEngine.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"the test engine is not built: {dll} (build the solution first)");
        File.WriteAllText(EngineLauncher, $"#!/bin/sh\nexec dotnet \"{dll}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(EngineLauncher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public static void SetChunkDelay(int milliseconds) => File.WriteAllText(Path.Combine(Control, "chunk-ms"), milliseconds.ToString());

    /// <summary>No engine installed, and every test engine started so far killed.</summary>
    public static void RemoveEngine()
    {
        File.Delete(EngineLauncher);
        KillEngines();
    }

    public static void KillEngines()
    {
        foreach (int pid in EnginePids())
        {
            try { using var p = System.Diagnostics.Process.GetProcessById(pid); p.Kill(); p.WaitForExit(5000); }
            catch (ArgumentException) { }          // already gone
            catch (InvalidOperationException) { }
        }
    }

    public static int[] EnginePids()
    {
        string file = Path.Combine(Control, "pids");
        return File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0).Select(int.Parse).ToArray() : [];
    }

    public static bool IsRunning(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }
}

static class Repository
{
    public static readonly string Root = RepositoryRoot.Path;

    /// <summary>The configuration this test assembly was built in (bin/&lt;Configuration&gt;/net10.0).</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;
}

using System.Diagnostics;

namespace Stage.Daw.Tests.Ardour;

public sealed record SessionRun(int Attempts, string Output, TimeSpan Wall, string RecorderDirectory)
{
    public string Take(int take) => Path.Combine(RecorderDirectory, $"take{take}.f32");
}

// Headless Ardour 7 (ardour7-lua, Dummy backend) with an isolated HOME and its own VST3 folder.
// Headless libardour only reads the scanner's cache, so the bundles are copied into the folder,
// backdated (the cache is valid only if the module is older than the cache file, in whole seconds)
// and scanned by absolute path before any session runs.
public sealed class ArdourSession : IDisposable
{
    public const string LuaSession = "/usr/bin/ardour7-lua";
    public const string Scanner = "/usr/lib/ardour7/ardour-vst3-scanner";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    private readonly string work;
    private readonly Action<string> log;

    public ArdourSession(IEnumerable<string> bundles, Action<string> log)
    {
        if (!File.Exists(LuaSession) || !File.Exists(Scanner))
            throw new InvalidOperationException($"Ardour 7 is not installed ({LuaSession}, {Scanner}): apt-get install ardour (see .ci/run)");
        this.log = log;
        work = Directory.CreateTempSubdirectory("stage-daw-").FullName;
        Home = Path.Combine(work, "home");
        PluginFolder = Path.Combine(work, "vst3");
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(PluginFolder);
        var copies = bundles.Select(CopyBundle).ToList();
        Scan(copies);
    }

    public string Home { get; }
    public string PluginFolder { get; }
    public string WorkDirectory => work;

    // Runs the plan; a run counts when the script printed RESULT_OK and every expected file exists.
    // Ardour 7.3 sometimes crashes on its own (teardown, engine), so a failed run is retried once;
    // a RESULT_FAIL from the script is a real failure and is not retried.
    public SessionRun Run(SessionPlan plan, IReadOnlyDictionary<string, string?> environment,
        Func<SessionRun, IEnumerable<string>> expectedFiles)
    {
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            string attemptDir = Path.Combine(work, $"run{attempt}");
            string recorder = Path.Combine(attemptDir, "recorder");
            Directory.CreateDirectory(recorder);
            string planFile = Path.Combine(attemptDir, "plan.txt");
            File.WriteAllText(planFile, plan.ToString());

            var env = new Dictionary<string, string?>(environment)
            {
                ["HOME"] = Home,
                ["XDG_CONFIG_HOME"] = null,
                ["XDG_CACHE_HOME"] = null,
                ["VST3_PATH"] = PluginFolder,
                ["RAWRECORDER_DIR"] = recorder,
            };
            var outcome = ProcessRunner.Run(LuaSession, [RepositoryLayout.SessionScript, Path.Combine(attemptDir, "session"), planFile],
                RunTimeout, env, attemptDir);
            var run = new SessionRun(attempt, outcome.Output, clock.Elapsed, recorder);
            log($"ardour7-lua attempt {attempt}: {(outcome.TimedOut ? "timed out" : $"exit {outcome.ExitCode}")}, {outcome.Wall.TotalSeconds:F1} s wall");

            if (outcome.Output.Contains("RESULT_FAIL"))
                throw new InvalidOperationException(outcome.Describe("ardour7-lua (plan failed)") + "\nplan:\n" + plan);
            var missing = expectedFiles(run).Where(f => !File.Exists(f) || new FileInfo(f).Length == 0).ToList();
            if (outcome.Output.Contains("RESULT_OK") && missing.Count == 0)
            {
                if (outcome.ExitCode != 0) log($"ardour7-lua exited {outcome.ExitCode} after RESULT_OK (teardown crash), run accepted");
                return run;
            }
            string why = missing.Count > 0 ? "missing " + string.Join(", ", missing) : "no RESULT_OK marker";
            failures.Add($"attempt {attempt}: {why}; " + outcome.Describe("ardour7-lua"));
            log(failures[^1]);
        }
        throw new InvalidOperationException("Ardour session failed twice:\n" + string.Join("\n", failures) + "\nplan:\n" + plan);
    }

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); }
        catch (IOException) { } // a file still held by a dying child; the temp folder is only litter
    }

    private string CopyBundle(string bundle)
    {
        if (!Directory.Exists(bundle)) throw new DirectoryNotFoundException($"VST3 bundle {bundle} does not exist");
        string copy = Path.Combine(PluginFolder, Path.GetFileName(bundle));
        foreach (string file in Directory.EnumerateFiles(bundle, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(bundle, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetLastWriteTimeUtc(target, DateTime.UtcNow.AddSeconds(-10));
        }
        return copy;
    }

    private void Scan(List<string> copies)
    {
        var env = new Dictionary<string, string?> { ["HOME"] = Home, ["LD_LIBRARY_PATH"] = "/usr/lib/ardour7" };
        var outcome = ProcessRunner.Run(Scanner, ["-f", .. copies], TimeSpan.FromMinutes(2), env);
        string cache = Path.Combine(Home, ".cache", "ardour7", "vst");
        int entries = Directory.Exists(cache) ? Directory.GetFiles(cache, "*.v3i").Length : 0;
        log($"ardour-vst3-scanner: exit {outcome.ExitCode}, {entries} cache entries, {outcome.Wall.TotalSeconds:F1} s");
        if (outcome.ExitCode != 0 || entries != copies.Count)
            throw new InvalidOperationException($"{entries} of {copies.Count} bundles in the VST3 cache; " + outcome.Describe("ardour-vst3-scanner"));
    }
}

namespace Stage.Daw.Tests;

// Stage as a user gets it: installer/install.sh run once per test run into a private HOME. It installs
// the bundle that tests/run.sh published (plugin/Stage.Plugin/bin/Release/Stage.vst3) rather than
// publishing the plugin again: other test projects load that bundle while these tests run, and a
// second publish would rewrite the .so under them. The engine is published by the installer itself
// (self-contained). The DAW tests load this installed bundle, so they test what the installer ships.
public sealed class InstalledStage
{
    private static readonly Lazy<InstalledStage> instance = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    private InstalledStage(string home, string installLog)
    {
        Home = home;
        InstallLog = installLog;
    }

    public static InstalledStage Instance => instance.Value;

    public string Home { get; }
    public string InstallLog { get; }
    public string Bundle => Path.Combine(Home, ".vst3", "Stage.vst3");
    public string Data => Path.Combine(Home, ".local", "share", "Stage");
    public string Engine => Path.Combine(Data, "engine", "stage-engine");

    // A private HOME must not cost a fresh NuGet cache and first-run setup: keep the real ones.
    public static Dictionary<string, string?> InstallerEnvironment(string home)
    {
        string realHome = Environment.GetEnvironmentVariable("HOME") ?? throw new InvalidOperationException("HOME is not set");
        return new Dictionary<string, string?>
        {
            ["HOME"] = home,
            ["XDG_DATA_HOME"] = null,
            ["DOTNET_CLI_HOME"] = Environment.GetEnvironmentVariable("DOTNET_CLI_HOME") ?? realHome,
            ["NUGET_PACKAGES"] = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(realHome, ".nuget", "packages"),
        };
    }

    private static InstalledStage Install()
    {
        string home = Path.Combine(RepositoryLayout.BuildOutput, "installed-home");
        if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
        Directory.CreateDirectory(home);
        string published = Path.Combine(RepositoryLayout.Root, "plugin", "Stage.Plugin", "bin", "Release", "Stage.vst3");
        if (!File.Exists(Path.Combine(published, "Contents", "x86_64-linux", "Stage.so")))
            throw new InvalidOperationException($"no published plugin bundle at {published}: run `dotnet publish plugin/Stage.Plugin -c Release` first (tests/run.sh does)");
        var outcome = ProcessRunner.Run("bash", [Path.Combine(RepositoryLayout.Installer, "install.sh"), "--bundle", published],
            TimeSpan.FromMinutes(8), InstallerEnvironment(home));
        if (outcome.ExitCode != 0) throw new InvalidOperationException(outcome.Describe("installer/install.sh"));
        return new InstalledStage(home, outcome.Output);
    }
}

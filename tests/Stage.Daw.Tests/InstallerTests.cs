using Xunit.Abstractions;

namespace Stage.Daw.Tests;

public sealed class InstallerTests(ITestOutputHelper output)
{
    private static string Script => Path.Combine(RepositoryLayout.Installer, "install.sh");

    [Fact]
    public void InstallPutsBundleEngineAndModelFoldersWhereHostAndPluginLook()
    {
        var stage = InstalledStage.Instance;
        output.WriteLine(stage.InstallLog);

        // VST3 bundle layout on Linux: NAME.vst3/Contents/x86_64-linux/NAME.so (+ optional Resources/).
        string module = Path.Combine(stage.Bundle, "Contents", "x86_64-linux", "Stage.so");
        Assert.True(File.Exists(module), $"{module} missing");
        Assert.All(Directory.GetFiles(stage.Bundle, "*", SearchOption.AllDirectories),
            f => Assert.StartsWith(Path.Combine(stage.Bundle, "Contents") + "/", f));
        Assert.Equal([0x7F, (byte)'E', (byte)'L', (byte)'F'], File.ReadAllBytes(module)[..4]);

        // The engine runs from its installed place with no .NET on the PATH (self-contained).
        var version = ProcessRunner.Run(stage.Engine, ["--version"], TimeSpan.FromSeconds(60),
            new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin", ["DOTNET_ROOT"] = null, ["HOME"] = stage.Home });
        Assert.True(version.ExitCode == 0, version.Describe("installed stage-engine --version"));
        Assert.True(File.Exists(Path.Combine(stage.Data, "engine", "libcoreclr.so")), "the engine is not self-contained");

        foreach (string folder in new[] { "models/drums", "models/bass", "stems", "logs" })
            Assert.True(Directory.Exists(Path.Combine(stage.Data, folder)), $"<data>/{folder} missing");
        Assert.Contains($"drums missing (model.safetensors, spiece.model): run '{Path.Combine(stage.Data, "engine", "stage-engine")} models install drums'", stage.InstallLog);
    }

    [Fact]
    public void UninstallRemovesPluginAndEngineAndKeepsModelsUnlessPurged()
    {
        var stage = InstalledStage.Instance;
        string home = Directory.CreateTempSubdirectory("stage-install-").FullName;
        try
        {
            var env = InstalledStage.InstallerEnvironment(home);
            var install = ProcessRunner.Run("bash", [Script, "--bundle", stage.Bundle, "--engine", Path.GetDirectoryName(stage.Engine)!],
                TimeSpan.FromMinutes(2), env);
            Assert.True(install.ExitCode == 0, install.Describe("install.sh --bundle --engine"));
            string data = Path.Combine(home, ".local", "share", "Stage");
            string bundle = Path.Combine(home, ".vst3", "Stage.vst3");
            Assert.True(File.Exists(Path.Combine(bundle, "Contents", "x86_64-linux", "Stage.so")));
            Assert.True(File.Exists(Path.Combine(data, "engine", "stage-engine")));

            // A producer's weights and stems survive a plain uninstall.
            string weights = Path.Combine(data, "models", "drums", "model.safetensors");
            File.WriteAllText(weights, "weights");
            var uninstall = ProcessRunner.Run("bash", [Script, "--uninstall"], TimeSpan.FromMinutes(1), env);
            Assert.True(uninstall.ExitCode == 0, uninstall.Describe("install.sh --uninstall"));
            Assert.False(Directory.Exists(bundle), "bundle left behind");
            Assert.False(Directory.Exists(Path.Combine(data, "engine")), "engine left behind");
            Assert.True(File.Exists(weights), "uninstall removed the model weights");

            var purge = ProcessRunner.Run("bash", [Script, "--uninstall", "--purge"], TimeSpan.FromMinutes(1), env);
            Assert.True(purge.ExitCode == 0, purge.Describe("install.sh --uninstall --purge"));
            Assert.False(Directory.Exists(data), "--purge left <data> behind");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void InstallRefusesSomethingThatIsNotAStageBundle()
    {
        string home = Directory.CreateTempSubdirectory("stage-install-").FullName;
        try
        {
            string notABundle = Directory.CreateDirectory(Path.Combine(home, "Other.vst3")).FullName;
            var run = ProcessRunner.Run("bash", [Script, "--bundle", notABundle, "--engine", home], TimeSpan.FromMinutes(1),
                InstalledStage.InstallerEnvironment(home));
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("is not a Stage bundle", run.Output);
            Assert.False(Directory.Exists(Path.Combine(home, ".vst3")), "a refused install still created ~/.vst3");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}

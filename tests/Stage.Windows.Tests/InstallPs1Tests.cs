using System.Diagnostics;

namespace Stage.Windows.Tests;

/// <summary>
/// installer/install.ps1 under PowerShell 7 (the repository's local dotnet tool, `dotnet pwsh`) on Linux,
/// installing into the Wine prefix's own %LOCALAPPDATA%, then the installed engine run from there under
/// Wine: the installer and the engine agree on where the engine, models, stems and logs live.
/// </summary>
[Collection(WindowsCollection.Name)]
public sealed class InstallPs1Tests(WindowsBuild windows) : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("stage-install-ps1-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static string Script => Path.Combine(RepositoryRoot.Path, "installer", "install.ps1");

    /// <summary>Runs install.ps1 with pwsh, %LOCALAPPDATA% set to <paramref name="localAppData"/>.</summary>
    static (int Exit, string Output) InstallPs1(string localAppData, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Path, // where dotnet-tools.json names the pwsh tool
        };
        foreach (var arg in (string[])["pwsh", "-NoProfile", "-NonInteractive", "-File", Script, .. args]) start.ArgumentList.Add(arg);
        start.Environment["LOCALAPPDATA"] = localAppData;
        start.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        start.Environment["POWERSHELL_UPDATECHECK"] = "Off";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The Wine user's %LOCALAPPDATA% as a Linux path inside the prefix.</summary>
    string WineLocalAppData()
    {
        var echo = windows.Wine.Run("cmd.exe", ["/c", "echo", "%LOCALAPPDATA%"], TimeSpan.FromMinutes(1));
        string windowsPath = echo.Stdout.Trim();
        Assert.True(echo.ExitCode == 0 && windowsPath.StartsWith(@"C:\", StringComparison.OrdinalIgnoreCase), echo.Describe("cmd /c echo %LOCALAPPDATA%"));
        return Path.Combine(windows.Wine.Prefix, "drive_c", windowsPath[3..].Replace('\\', '/'));
    }

    [Fact]
    public void InstallsWhereTheWindowsEngineLooksAndUninstallsKeepingModelsUnlessPurged()
    {
        string localAppData = WineLocalAppData(), data = Path.Combine(localAppData, "Stage");
        string pluginBundle = Path.Combine(localAppData, "Programs", "Common", "VST3", "Stage.vst3");
        string bundle = windows.Bundle; // the plugin's Windows bundle, built by the fixture
        try
        {
            var install = InstallPs1(localAppData, "-User", "-Bundle", bundle, "-Engine", Path.GetDirectoryName(windows.Engine)!);
            Assert.True(install.Exit == 0, install.Output);
            Assert.Equal(File.ReadAllBytes(Path.Combine(bundle, "Contents", "x86_64-win", "Stage.vst3")),
                File.ReadAllBytes(Path.Combine(pluginBundle, "Contents", "x86_64-win", "Stage.vst3")));
            Assert.True(File.Exists(Path.Combine(pluginBundle, "Contents", "Resources", "moduleinfo.json")), install.Output);
            foreach (var folder in new[] { "models/drums", "models/bass", "stems", "logs" })
                Assert.True(Directory.Exists(Path.Combine(data, folder)), $"<data>/{folder} missing:\n{install.Output}");
            Assert.Contains("drums missing (model.safetensors, spiece.model): run '", install.Output);
            Assert.Contains("stage-engine.exe models install drums'", install.Output);

            // The installed engine runs from its place under Wine (self-contained: no .NET in the prefix) and
            // defaults to the models and log the installer laid out, under %LOCALAPPDATA%\Stage.
            string engine = Path.Combine(data, "engine", "stage-engine.exe");
            var help = windows.Wine.Run(engine, ["serve", "--help"], TimeSpan.FromMinutes(1));
            Assert.True(help.ExitCode == 0, help.Describe("installed stage-engine.exe serve --help"));
            Assert.Contains(@"\AppData\Local\Stage\models", help.Stdout);
            Assert.Contains(@"\AppData\Local\Stage\logs\engine.log", help.Stdout);

            // A producer's weights survive a plain uninstall; -Purge removes them.
            string weights = Path.Combine(data, "models", "drums", "model.safetensors");
            File.WriteAllText(weights, "weights");
            var uninstall = InstallPs1(localAppData, "-User", "-Uninstall");
            Assert.True(uninstall.Exit == 0, uninstall.Output);
            Assert.False(Directory.Exists(pluginBundle), "bundle left behind");
            Assert.False(Directory.Exists(Path.Combine(data, "engine")), "engine left behind");
            Assert.True(File.Exists(weights), "uninstall removed the model weights");
            var purge = InstallPs1(localAppData, "-User", "-Uninstall", "-Purge");
            Assert.True(purge.Exit == 0, purge.Output);
            Assert.False(Directory.Exists(data), "-Purge left <data> behind");
        }
        finally
        {
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
            if (Directory.Exists(pluginBundle)) Directory.Delete(pluginBundle, recursive: true);
        }
    }

    [Fact]
    public void RefusesSomethingThatIsNotAStageBundle()
    {
        string notABundle = Directory.CreateDirectory(Path.Combine(_folder, "Other.vst3")).FullName;
        var run = InstallPs1(Path.Combine(_folder, "local"), "-User", "-Bundle", notABundle, "-Engine", Path.GetDirectoryName(windows.Engine)!);
        Assert.NotEqual(0, run.Exit);
        Assert.Contains("is not a Stage bundle", run.Output);
        Assert.False(Directory.Exists(Path.Combine(_folder, "local", "Programs")), "a refused install still created the VST3 folder");
    }
}

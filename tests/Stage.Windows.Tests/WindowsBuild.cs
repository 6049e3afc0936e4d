using System.Diagnostics;

namespace Stage.Windows.Tests;

/// <summary>
/// What the Windows tests run: the engine published for win-x64 (self-contained, as install.ps1 ships
/// it), the Windows pipe client (tests/Stage.Windows.PipeClient) and the plugin's Windows bundle, all
/// under artifacts/windows/, and the Wine prefix they run in. Built once per test run. The publishes use their own artifacts path, so
/// they never touch the obj/ folders that the solution's build and other tests' publishes use.
/// </summary>
public sealed class WindowsBuild : IDisposable
{
    public WindowsBuild()
    {
        Root = Path.Combine(RepositoryRoot.Path, "artifacts", "windows");
        Engine = Path.Combine(Root, "engine", "stage-engine.exe");
        PipeClient = Path.Combine(Root, "pipe-client", "stage-pipe-client.exe");
        // Wine first, so a machine without it fails at once with what to install.
        Wine = new Wine(Path.Combine(Root, "wine-prefix"));
        Publish("engine/Stage.Engine", Path.GetDirectoryName(Engine)!, "--self-contained");
        Publish("tests/Stage.Windows.PipeClient", Path.GetDirectoryName(PipeClient)!, "--self-contained");
        // The plugin as the project builds it for Windows on Linux (plugin/Stage.Plugin/WindowsLink/).
        Bundle = Path.Combine(Root, "Stage.vst3");
        Publish("plugin/Stage.Plugin", Path.Combine(Root, "plugin-publish"), $"-p:Vst3BundleDir={Bundle}");
    }

    /// <summary>The plugin's Windows bundle: Contents/x86_64-win/Stage.vst3 and Contents/Resources/moduleinfo.json.</summary>
    public string Bundle { get; }

    public string Root { get; }
    public string Engine { get; }
    public string PipeClient { get; }
    public Wine Wine { get; }

    public void Dispose() => Wine.Dispose();

    void Publish(string project, string output, params string[] options)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])
                 [
                     "publish", Path.Combine(RepositoryRoot.Path, project), "-c", "Release", "-r", "win-x64",
                     "-warnaserror", "--artifacts-path", Path.Combine(Root, "build"), "-o", output, "-nologo", "--disable-build-servers",
                     .. options,
                 ])
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet publish {project} -r win-x64 failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
    }
}

/// <summary>Every Windows test shares one build and one Wine prefix, and they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class WindowsCollection : ICollectionFixture<WindowsBuild>
{
    public const string Name = "Windows under Wine";
}

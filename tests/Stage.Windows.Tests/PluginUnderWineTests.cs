using System.Diagnostics;
using System.Text.Json;

namespace Stage.Windows.Tests;

/// <summary>
/// The plugin's Windows bundle, built on Linux by `dotnet publish plugin/Stage.Plugin -r win-x64`
/// (NativeAOT, lld-link, plugin/Stage.Plugin/WindowsLink/), loaded under Wine by a Windows host
/// (Vst3Probe/vst3-probe.c, compiled here with mingw-w64): the module initialises, its factory lists the
/// two classes of moduleinfo.json with their ids in Windows' COM byte order, the processor is created,
/// set up, activated, processes a stereo block, round-trips its state, is torn down and freed, and the
/// module exits cleanly.
/// </summary>
[Collection(WindowsCollection.Name)]
public sealed class PluginUnderWineTests(WindowsBuild windows)
{
    string Module => Path.Combine(windows.Bundle, "Contents", "x86_64-win", "Stage.vst3");

    [Fact]
    public void TheModuleIsAnX64WindowsDll()
    {
        byte[] image = File.ReadAllBytes(Module);
        Assert.Equal("MZ"u8.ToArray(), image[..2]);
        int pe = BitConverter.ToInt32(image, 0x3C);
        Assert.Equal("PE\0\0"u8.ToArray(), image[pe..(pe + 4)]);
        Assert.Equal(0x8664, BitConverter.ToUInt16(image, pe + 4)); // IMAGE_FILE_MACHINE_AMD64
        Assert.NotEqual(0, BitConverter.ToUInt16(image, pe + 22) & 0x2000); // IMAGE_FILE_DLL
        Assert.True(File.Exists(Path.Combine(windows.Bundle, "Contents", "Resources", "moduleinfo.json")));
    }

    [Fact]
    public void AWindowsHostLoadsItProcessesABlockAndRoundTripsItsState()
    {
        string probe = Path.Combine(windows.Root, "vst3-probe.exe");
        var compile = Process.Start(new ProcessStartInfo("x86_64-w64-mingw32-gcc",
            ["-O1", "-Wall", "-Werror", Path.Combine(RepositoryRoot.Path, "tests", "Stage.Windows.Tests", "Vst3Probe", "vst3-probe.c"), "-o", probe])
        { RedirectStandardError = true })!;
        string compileErrors = compile.StandardError.ReadToEnd();
        compile.WaitForExit();
        Assert.True(compile.ExitCode == 0, $"x86_64-w64-mingw32-gcc (apt gcc-mingw-w64-x86-64) failed:\n{compileErrors}");

        var run = windows.Wine.Run(probe, [Wine.WindowsPath(Module)], TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.Describe("vst3-probe.exe Stage.vst3"));
        var lines = run.Stdout.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("initdll 1", lines[0]);
        Assert.Equal("vendor Stage", lines[1]);

        using var moduleInfo = JsonDocument.Parse(File.ReadAllText(Path.Combine(windows.Bundle, "Contents", "Resources", "moduleinfo.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var classes = moduleInfo.RootElement.GetProperty("Classes").EnumerateArray()
            .Select(c => $"class {ComByteOrder(c.GetProperty("CID").GetString()!)} {c.GetProperty("Category").GetString()}|{c.GetProperty("Name").GetString()}")
            .ToArray();
        Assert.Equal(2, classes.Length);
        Assert.Equal([$"classes {classes.Length}", .. classes], lines[2..(3 + classes.Length)]);

        // Hosted as a DAW does: every call returns kResultOk (0). With the defaults and no stem the plugin is
        // transparent (the probe fills the output with 9.0 first, so a block not written shows); the
        // state it gives back is the state it was set to; the last release frees the component.
        string state = Assert.Single(lines, l => l.StartsWith("state ", StringComparison.Ordinal));
        Assert.Matches(@"^state 0 0 0 bytes [1-9][0-9]* same 1$", state);
        Assert.Equal(
            [
                "createinstance 0", "initialize 0", "audioprocessor 0", "setupprocessing 0", "setactive 0", "setprocessing 0",
                "process 0 difference 0", state, "teardown 0 0 0", "released 0", "exitdll 1",
            ],
            lines[(3 + classes.Length)..]);
    }

    /// <summary>
    /// moduleinfo.json writes a class id as the GUID string; in memory on Windows (the SDK's COM_COMPATIBLE)
    /// its first 32-bit word and the two 16-bit words after it are little-endian.
    /// </summary>
    static string ComByteOrder(string cid) =>
        string.Concat(cid[6..8], cid[4..6], cid[2..4], cid[0..2], cid[10..12], cid[8..10], cid[14..16], cid[12..14], cid[16..]);
}

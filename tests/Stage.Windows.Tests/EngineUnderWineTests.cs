using Stage.Engine;
using Stage.Inference.Tests.Generation;
using Stage.Shared.Audio;

namespace Stage.Windows.Tests;

/// <summary>
/// The win-x64 engine under Wine against the Linux engine run in-process: the same command line gives
/// the same exit code, the same text and, for a seed, the same codes.
/// </summary>
[Collection(WindowsCollection.Name)]
public sealed class EngineUnderWineTests(WindowsBuild windows) : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("stage-wine-generate-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string Path(string name) => System.IO.Path.Combine(_folder, name);

    static (int Exit, string Stdout, string Stderr) RunOnLinux(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Program.Run(args, stdout, stderr, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    WindowsOutcome RunOnWindows(params string[] args) => windows.Wine.Run(windows.Engine, args, TimeSpan.FromMinutes(3));

    static string Lines(string text) => text.Replace("\r\n", "\n");

    [Theory]
    [InlineData("--help")]
    [InlineData("--version")]
    [InlineData("generate", "--help")]
    [InlineData("codec", "--help")]
    [InlineData("tokenize", "--help")]
    public void HelpAndVersionReadTheSame(params string[] args)
    {
        var linux = RunOnLinux(args);
        var wine = RunOnWindows(args);
        Assert.True(wine.ExitCode == linux.Exit, wine.Describe($"stage-engine.exe {string.Join(' ', args)}"));
        Assert.Equal(Lines(linux.Stdout), Lines(wine.Stdout));
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("generate")]
    [InlineData("generate", "--model", "nowhere", "--out", "o.wav", "--bars", "1")]
    [InlineData("generate", "--bars", "1", "--bpm", "0", "--out", "o.wav", "--model", "nowhere")]
    public void BadCommandLinesFailWithTheSameCode(params string[] args)
    {
        var linux = RunOnLinux(args);
        var wine = RunOnWindows(args);
        Assert.NotEqual(0, linux.Exit);
        Assert.True(wine.ExitCode == linux.Exit, wine.Describe($"stage-engine.exe {string.Join(' ', args)}") + $"\nLinux stderr:\n{linux.Stderr}");
        Assert.NotEmpty(wine.Stderr);
    }

    [Fact]
    public void GeneratesTheGoldenCodesAndStem()
    {
        const string prompt = "Genre(s): rock, pop, indie. Mood(s): energetic, happy, uplifting. ";
        using (var writer = new WavWriter(Path("mix.wav"), 32000, 1, WavSampleFormat.Float32))
        {
            writer.Write(GoldenTensors.Shared.Floats("encodec.signal"));
            writer.Commit();
        }
        var wine = RunOnWindows("generate", "--model", Wine.WindowsPath(GoldenTensors.FixtureFolder), "--out", Wine.WindowsPath(Path("stem.wav")),
            "--context", Wine.WindowsPath(Path("mix.wav")), "--seconds", "0.24", "--prompt", prompt, "--top-k", "1",
            "--codes-out", Wine.WindowsPath(Path("codes.json")), "--precision", "f32");   // the goldens are float32's
        Assert.True(wine.ExitCode == 0, wine.Describe("stage-engine.exe generate (golden)"));
        Assert.Contains(@"\stem.wav", wine.Stdout);

        int[][] golden = GoldenTensors.Shared.Codes("e2e.codes");
        Assert.Equal(Stage.Engine.Jobs.CodesJson.Line(golden), File.ReadAllLines(Path("codes.json")).Single());
        var audio = WavReader.ReadInterleaved(Path("stem.wav"), out var format);
        Assert.Equal((32000, 1), (format.SampleRate, format.ChannelCount));
        float[] expected = GoldenTensors.Shared.Floats("e2e.audio");
        Assert.Equal(expected.Length, audio.Length);
        for (int i = 0; i < audio.Length; i++) Assert.True(Math.Abs(expected[i] - audio[i]) <= 1e-4f, $"sample {i}: {audio[i]} vs golden {expected[i]}");
    }

    [Fact]
    public void SampledVariationsHaveTheSameCodesAsOnLinux()
    {
        string[] Args(string folder, Func<string, string> path) =>
        [
            "generate", "--model", path(GoldenTensors.FixtureFolder), "--out", path(System.IO.Path.Combine(folder, "beat.wav")),
            "--bars", "1", "--bpm", "100", "--seed", "11", "--variations", "2", "--sample-rate", "48000", "--channels", "2",
            "--codes-out", path(System.IO.Path.Combine(folder, "codes.json")),
        ];
        string linuxFolder = Directory.CreateDirectory(Path("linux")).FullName, wineFolder = Directory.CreateDirectory(Path("wine")).FullName;
        var linux = RunOnLinux(Args(linuxFolder, p => p));
        Assert.True(linux.Exit == 0, linux.Stderr);
        var wine = RunOnWindows(Args(wineFolder, Wine.WindowsPath));
        Assert.True(wine.ExitCode == 0, wine.Describe("stage-engine.exe generate (sampled)"));

        string[] linuxCodes = File.ReadAllLines(System.IO.Path.Combine(linuxFolder, "codes.json"));
        Assert.Equal(2, linuxCodes.Length);
        Assert.Equal(linuxCodes, File.ReadAllLines(System.IO.Path.Combine(wineFolder, "codes.json")));
        foreach (var name in new[] { "beat.wav", "beat-2.wav" })
        {
            var fromLinux = WavReader.ReadInterleaved(System.IO.Path.Combine(linuxFolder, name), out var linuxFormat);
            var fromWine = WavReader.ReadInterleaved(System.IO.Path.Combine(wineFolder, name), out var wineFormat);
            Assert.Equal((48000, 2, 115200L), (wineFormat.SampleRate, wineFormat.ChannelCount, wineFormat.FrameCount));
            Assert.Equal(linuxFormat.FrameCount, wineFormat.FrameCount);
            float max = 0;
            for (int i = 0; i < fromLinux.Length; i++) max = Math.Max(max, Math.Abs(fromLinux[i] - fromWine[i]));
            Assert.True(max <= 1e-5f, $"{name}: Windows and Linux stems differ by up to {max}");
        }
    }

    [Fact]
    public void CorruptContextIsAClearErrorNamingTheFile()
    {
        File.WriteAllBytes(Path("bad.wav"), "RIFF\x10\0\0\0WAVEjunk"u8.ToArray());
        var wine = RunOnWindows("generate", "--model", Wine.WindowsPath(GoldenTensors.FixtureFolder), "--out", Wine.WindowsPath(Path("o.wav")),
            "--context", Wine.WindowsPath(Path("bad.wav")), "--bars", "1");
        Assert.True(wine.ExitCode == 2, wine.Describe("stage-engine.exe generate --context bad.wav"));
        Assert.Contains(@"\bad.wav", wine.Stderr);
        Assert.False(File.Exists(Path("o.wav")));
    }
}

using Stage.Engine.Jobs;
using Stage.Engine.Tests.Jobs;
using Stage.Shared.Audio;

namespace Stage.Engine.Tests.Cli;

public sealed class GenerateCommandTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("stage-generate-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string Path(string name) => System.IO.Path.Combine(_folder, name);

    string WriteWav(string name, float[] samples, int rate = 32000, int channels = 1)
    {
        using var writer = new WavWriter(Path(name), rate, channels, WavSampleFormat.Float32);
        writer.Write(samples);
        writer.Commit();
        return Path(name);
    }

    (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Program.Run(args, stdout, stderr, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void GeneratesTheGoldenStemWithCodes()
    {
        string context = WriteWav("mix.wav", EndToEnd.Context);
        var (exit, stdout, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("stem.wav"),
            "--context", context, "--seconds", "0.24", "--prompt", EndToEnd.Prompt, "--top-k", "1", "--codes-out", Path("codes.json"),
            "--precision", "f32");   // the goldens are float32's (the CPU default is bf16)
        Assert.True(exit == 0, stderr);
        Assert.Contains("stem.wav", stdout);
        Assert.Contains("100%", stderr);
        Assert.Contains("generating", stderr);

        Assert.Equal(CodesJson.Line(EndToEnd.Codes), File.ReadAllLines(Path("codes.json")).Single());
        Assert.StartsWith("{\"frames\": 12, \"codebooks\": 4, \"codes\": [[", File.ReadAllText(Path("codes.json")));
        var audio = WavReader.ReadInterleaved(Path("stem.wav"), out var format);
        Assert.Equal((32000, 1), (format.SampleRate, format.ChannelCount));
        Assert.True(EndToEnd.MaxAbsDiff(EndToEnd.Audio, audio) <= 1e-4f);
    }

    [Fact]
    public void GeneratesTheGoldenStemOnTheGpuKernelsAndSaysWhichDevice()
    {
        string context = WriteWav("mix.wav", EndToEnd.Context);
        var (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("stem.wav"), "--device", "ilgpu-cpu",
            "--context", context, "--seconds", "0.24", "--prompt", EndToEnd.Prompt, "--top-k", "1", "--codes-out", Path("codes.json"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("device: ilgpu-cpu: ", stderr);
        Assert.Equal(CodesJson.Line(EndToEnd.Codes), File.ReadAllLines(Path("codes.json")).Single());
        Assert.True(EndToEnd.MaxAbsDiff(EndToEnd.Audio, WavReader.ReadInterleaved(Path("stem.wav"), out _)) <= 1e-4f);
    }

    [Fact]
    public void AMissingGpuFallsBackToTheCpuWithAMessage()
    {
        if (Stage.Inference.Gpu.DeviceChoice.Find().Any(d => d.Kind == Stage.Inference.Gpu.DeviceKind.Cuda)) return; // it would be used
        var (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("stem.wav"), "--device", "cuda",
            "--seconds", "0.1", "--top-k", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("falling back to the CPU engine: no cuda device found", stderr);
    }

    [Fact]
    public void The_cpu_engine_runs_bf16_weights_by_default_f32_or_int8_when_asked_and_says_f16_is_for_a_gpu()
    {
        var (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("bf16.wav"), "--device", "cpu",
            "--precision", "bf16", "--seconds", "0.1", "--top-k", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("the language model's weights in bf16", stderr);
        Assert.True(File.Exists(Path("bf16.wav")));
        (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("f16.wav"), "--device", "cpu",
            "--precision", "f16", "--seconds", "0.1", "--top-k", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("--precision f16 is a GPU storage; the CPU engine runs f32, bf16 or int8: f32", stderr);
        (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("int8.wav"), "--device", "cpu",
            "--precision", "int8", "--threads", Stage.Inference.Kernels.KernelThreads.PhysicalCores().ToString(), "--seconds", "0.1", "--top-k", "1");   // the default: other tests share the process
        Assert.True(exit == 0, stderr);
        Assert.Contains("the language model's weights in int8", stderr);
        Assert.True(File.Exists(Path("int8.wav")));
        (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("default.wav"), "--device", "cpu",
            "--seconds", "0.1", "--top-k", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("the language model's weights in bf16", stderr);   // the CPU default
    }

    [Theory]
    [InlineData("--device", "gpu", "--device 'gpu' is not one of auto, cpu, cuda, opencl, ilgpu-cpu")]
    [InlineData("--precision", "int4", "--precision 'int4' is not one of f32, bf16, int8, f16")]
    [InlineData("--threads", "0", "--threads must be 1 to 1024")]
    public void BadDeviceOptionsAreUsageErrors(string option, string value, string message)
    {
        var (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("stem.wav"), "--seconds", "1", option, value);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void DevicesListsWhatIsFoundAndWhatIsChosen()
    {
        var (exit, stdout, stderr) = Run("devices");
        Assert.True(exit == 0, stderr);
        Assert.Contains("cpu: the CPU engine", stdout);
        Assert.Contains("ilgpu-cpu: ", stdout);
        Assert.Contains("bf16", stdout);
        Assert.Contains("chosen: ", stdout);
        (exit, stdout, stderr) = Run("devices", "--device", "ilgpu-cpu");
        Assert.True(exit == 0, stderr);
        Assert.Contains("chosen: ilgpu-cpu: ", stdout);
    }

    [Fact]
    public void ClickOnlyVariationsAtFortyEightKilohertzStereo()
    {
        var (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("beat.wav"), "--bars", "1",
            "--bpm", "100", "--variations", "2", "--sample-rate", "48000", "--channels", "2", "--codes-out", Path("codes.json"));
        Assert.True(exit == 0, stderr);
        foreach (var name in new[] { "beat.wav", "beat-2.wav" })
        {
            var format = WavReader.ReadFormat(Path(name));
            Assert.Equal((48000, 2, 115200L), (format.SampleRate, format.ChannelCount, format.FrameCount)); // 2.4 s
        }
        Assert.Equal(2, File.ReadAllLines(Path("codes.json")).Length);
    }

    [Fact]
    public void CancelLeavesNoFiles()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var stderr = new StringWriter();
        int exit = Program.Run(["generate", "--model", EndToEnd.FixtureFolder, "--out", Path("o.wav"), "--seconds", "5",
            "--codes-out", Path("codes.json")], new StringWriter(), stderr, cancelled.Token);
        Assert.Equal(130, exit);
        Assert.Contains("cancelled", stderr.ToString());
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void CorruptContextIsAClearError()
    {
        File.WriteAllBytes(Path("bad.wav"), "RIFF\x10\0\0\0WAVEjunk"u8.ToArray());
        var (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("o.wav"), "--context", Path("bad.wav"), "--bars", "1");
        Assert.Equal(2, exit);
        Assert.Contains("bad.wav", stderr);
        Assert.False(File.Exists(Path("o.wav")));
    }

    [Fact]
    public void UnreadableContextIsAClearError()
    {
        var (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("o.wav"), "--context", Path("missing.wav"), "--bars", "1");
        Assert.Equal(2, exit);
        Assert.Contains("missing.wav", stderr);
    }

    [Fact]
    public void SilentContextIsAClearError()
    {
        string context = WriteWav("silence.wav", new float[2 * 48000], 48000, 2);
        var (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("o.wav"), "--context", context, "--bars", "1");
        Assert.Equal(2, exit);
        Assert.Contains("context audio is silent", stderr);
    }

    [Fact]
    public void MissingModelIsAClearError()
    {
        var (exit, _, stderr) = Run("generate", "--model", Path("nowhere"), "--out", Path("o.wav"), "--bars", "1");
        Assert.Equal(2, exit);
        Assert.Contains("model.safetensors", stderr);
        Assert.Contains("nowhere", stderr);
    }

    [Theory]
    [InlineData("tempo 0 BPM", "--bpm", "0")]
    [InlineData("tempo 100000 BPM", "--bpm", "100000")]
    [InlineData("limit", "--bars", "100")]
    public void ImpossibleRequestsAreClearErrors(string expected, string option, string value)
    {
        var args = new List<string> { "generate", "--model", EndToEnd.FixtureFolder, "--out", Path("o.wav") };
        if (option != "--bars") args.AddRange(["--bars", "1"]);
        args.AddRange([option, value]);
        var (exit, _, stderr) = Run(args.ToArray());
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public void BarsAndSecondsTogetherIsAUsageError()
    {
        var (exit, _, stderr) = Run("generate", "--model", EndToEnd.FixtureFolder, "--out", Path("o.wav"), "--bars", "1", "--seconds", "2");
        Assert.Equal(2, exit);
        Assert.Contains("exactly one of --bars N and --seconds S", stderr);
    }
}

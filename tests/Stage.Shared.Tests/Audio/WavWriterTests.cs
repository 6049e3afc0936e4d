using Stage.Shared.Audio;

namespace Stage.Shared.Tests.Audio;

public class WavWriterTests
{
    public static TheoryData<WavSampleFormat, int, float> Formats => new()
    {
        // format, channels, worst error allowed after a round trip (half a quantisation step for integers)
        { WavSampleFormat.Pcm16, 1, 0.5f / 32768 },
        { WavSampleFormat.Pcm16, 2, 0.5f / 32768 },
        { WavSampleFormat.Pcm24, 1, 0.5f / 8388608 },
        { WavSampleFormat.Pcm24, 2, 0.5f / 8388608 },
        { WavSampleFormat.Pcm32, 2, 1e-7f },
        { WavSampleFormat.Float32, 1, 0f },
        { WavSampleFormat.Float32, 2, 0f },
        { WavSampleFormat.Float64, 2, 0f },
        { WavSampleFormat.Pcm24, 5, 0.5f / 8388608 },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void RoundTripsEverySupportedFormat(WavSampleFormat format, int channels, float tolerance)
    {
        using var folder = new TempFolder();
        var path = folder.File($"stem {format}.wav");
        var audio = new AudioBuffer(channels, 4801, 48000);
        for (var c = 0; c < channels; c++)
            Signals.Sweep(audio.FrameCount, 20 + c, 20000, 48000, amplitude: 0.9).CopyTo(audio.Channel(c), 0);
        audio.Channel(0)[0] = 1f; // full scale clips to the largest integer
        audio.Channel(0)[1] = -1f;

        WavWriter.Write(path, audio, format);
        var back = WavReader.Read(path);

        Assert.Equal(new WavFormat(48000, channels, format, 4801), WavReader.ReadFormat(path));
        Assert.Equal(channels, back.ChannelCount);
        Assert.Equal(audio.FrameCount, back.FrameCount);
        Assert.Equal(-1f, back.Channel(0)[1]);
        for (var c = 0; c < channels; c++)
        for (var n = 2; n < audio.FrameCount; n++)
            Assert.InRange(back.Channel(c)[n] - audio.Channel(c)[n], -tolerance, tolerance);
        Assert.Equal(format.IsFloat() ? 1f : 1f - tolerance * 2, back.Channel(0)[0], 6);
        Assert.Equal(new[] { Path.GetFileName(path) }, Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void SoxReadsWhatWeWrite()
    {
        // An independent reader: sox must accept our float and 24-bit files and see the same format.
        using var folder = new TempFolder();
        foreach (var (format, encoding) in new[] { (WavSampleFormat.Float32, "Floating Point PCM"), (WavSampleFormat.Pcm24, "Signed Integer PCM") })
        {
            var path = folder.File($"{format}.wav");
            WavWriter.Write(path, new AudioBuffer([Signals.Sine(4410, 440, 44100), Signals.Sine(4410, 880, 44100)], 44100), format);
            var info = Soxi(path);
            Assert.Contains("Channels       : 2", info);
            Assert.Contains("Sample Rate    : 44100", info);
            Assert.Contains("4410 samples", info);
            Assert.Contains(encoding, info);
        }
    }

    [Fact]
    public void StreamsPiecesAndAppearsOnlyOnCommit()
    {
        using var folder = new TempFolder();
        var path = folder.File("drums 120bpm 4bars seed1.wav");
        using (var writer = new WavWriter(path, 32000, 2, WavSampleFormat.Float32))
        {
            writer.Write([0.1f, 0.2f, 0.3f, 0.4f]);
            writer.Write(new[] { new[] { 0.5f, 0.7f }, new[] { 0.6f, 0.8f } }, 0, 2);
            Assert.False(File.Exists(path));
            var temp = Assert.Single(Directory.GetFiles(folder.Path));
            Assert.StartsWith(".", Path.GetFileName(temp)); // hidden while incomplete
            Assert.Equal(4, writer.FramesWritten);
            writer.Commit();
            Assert.Throws<InvalidOperationException>(() => writer.Write([0f, 0f]));
        }
        Assert.Equal([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f], WavReader.ReadInterleaved(path, out _));
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void AnAbandonedWriterLeavesNothingAndKeepsTheOldFile()
    {
        using var folder = new TempFolder();
        var path = folder.File("stem.wav");
        WavWriter.Write(path, new AudioBuffer([new[] { 0.5f }], 44100), WavSampleFormat.Pcm24);
        using (var writer = new WavWriter(path, 44100, 1, WavSampleFormat.Pcm24))
            writer.Write([0.25f, 0.25f]); // disposed without Commit: a failed or cancelled job
        Assert.Equal([0.5f], WavReader.Read(path).Channel(0));
        Assert.Single(Directory.GetFiles(folder.Path));

        // A commit replaces the old file in one step.
        WavWriter.Write(path, new AudioBuffer([new[] { -0.5f, 0.5f }], 48000), WavSampleFormat.Float32);
        Assert.Equal([-0.5f, 0.5f], WavReader.Read(path).Channel(0));
    }

    [Fact]
    public void OddDataLengthIsPadded()
    {
        using var folder = new TempFolder();
        var path = folder.File("odd.wav");
        WavWriter.Write(path, new AudioBuffer([new[] { 0.1f }], 44100), WavSampleFormat.Pcm24);
        Assert.Equal(44 + 3 + 1, new FileInfo(path).Length);
        Assert.Single(WavReader.Read(path).Channel(0));
    }

    [Fact]
    public void ClipsAndZeroesNonFiniteSamplesForIntegers()
    {
        using var folder = new TempFolder();
        var path = folder.File("clip.wav");
        WavWriter.Write(path, new AudioBuffer([new[] { 2f, -3f, float.NaN, float.PositiveInfinity }], 44100), WavSampleFormat.Pcm16);
        Assert.Equal([32767f / 32768f, -1f, 0f, 32767f / 32768f], WavReader.Read(path).Channel(0));
    }

    [Theory]
    [InlineData(WavSampleFormat.Pcm16, 32768f)]
    [InlineData(WavSampleFormat.Pcm24, 8388608f)]
    public void IntegerSamplesRoundToTheNearestStep(WavSampleFormat format, float fullScale)
    {
        // NAudio's own float-to-integer writing truncates toward zero (16-bit scaled by 32767): 0.7 of a step would be 0.
        using var folder = new TempFolder();
        var path = folder.File("round.wav");
        WavWriter.Write(path, new AudioBuffer([new[] { 0.7f / fullScale, -0.7f / fullScale, 0.5f, -0.25f }], 44100), format);
        Assert.Equal([1f / fullScale, -1f / fullScale, 0.5f, -0.25f], WavReader.Read(path).Channel(0));
    }

    [Fact]
    public void MisuseIsRefused()
    {
        using var folder = new TempFolder();
        Assert.Throws<ArgumentOutOfRangeException>(() => new WavWriter(folder.File("a.wav"), 44100, 0, WavSampleFormat.Float32));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WavWriter(folder.File("a.wav"), 0, 1, WavSampleFormat.Float32));
        Assert.Throws<DirectoryNotFoundException>(() => new WavWriter(folder.File("missing/a.wav"), 44100, 1, WavSampleFormat.Float32));
        using var writer = new WavWriter(folder.File("b.wav"), 44100, 2, WavSampleFormat.Float32);
        Assert.Throws<ArgumentException>(() => writer.Write([1f, 2f, 3f]));
        Assert.Throws<ArgumentException>(() => writer.Write(new[] { new float[1] }, 0, 1));
    }

    private static string Soxi(string path)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("soxi", [path]) { RedirectStandardOutput = true })!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return text;
    }
}

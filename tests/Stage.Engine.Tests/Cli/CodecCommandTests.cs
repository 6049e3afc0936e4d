using System.Text.Json;
using Stage.Engine;
using Stage.Inference.Checkpoints;
using Stage.Shared.Audio;

namespace Stage.Engine.Tests.Cli;

/// <summary>`stage-engine codec` end to end on the stage-tiny fixture, exactly as the checks call it.</summary>
public sealed class CodecCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("stage-codec-cli-").FullName;
    readonly string _model = RepositoryRoot.TinyFixture;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    static int[][] CodesOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("codes").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
    }

    [Theory]
    [InlineData("cpu", 1e-5f)]
    [InlineData("ilgpu-cpu", 1e-4f)]   // the GPU backend's kernels, on ILGPU's CPU accelerator
    public void EncodeThenDecodeMatchesTheGoldens(string device, float tolerance)
    {
        using var golden = SafetensorsFile.Open(Path.Combine(_model, "golden.safetensors"));
        var signal = golden.ReadFloat32("encodec.signal", 1, 1, -1);
        var wav = Path.Combine(_dir, "signal.wav");
        WavWriter.Write(wav, new AudioBuffer([signal], 32000), WavSampleFormat.Float32);

        var codesPath = Path.Combine(_dir, "codes.json");
        var (code, _, err) = Run("codec", "encode", wav, "--model", _model, "--out", codesPath, "--device", device);
        Assert.True(code == 0, err);
        Assert.Contains(device == "cpu" ? "cpu" : "ilgpu-cpu", err);   // the device it ran on is said

        var json = File.ReadAllText(codesPath);
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.Equal(66, doc.RootElement.GetProperty("frames").GetInt32());
            Assert.Equal(4, doc.RootElement.GetProperty("codebooks").GetInt32());
        }
        var expected = golden.ReadInt64("encodec.codes", 1, 4, 66);
        var codes = CodesOf(json);
        Assert.Equal(4, codes.Length);
        for (int q = 0; q < 4; q++)
            Assert.Equal(expected.Skip(q * 66).Take(66).Select(v => (int)v).ToArray(), codes[q]);

        var outWav = Path.Combine(_dir, "decoded.wav");
        (code, _, err) = Run("codec", "decode", codesPath, "--model", _model, "--out", outWav, "--device", device);
        Assert.True(code == 0, err);
        var format = WavReader.ReadFormat(outWav);
        Assert.Equal(32000, format.SampleRate);
        Assert.Equal(1, format.ChannelCount);
        var decoded = WavReader.Read(outWav).Channel(0);
        var reference = golden.ReadFloat32("encodec.decoded");
        Assert.Equal(reference.Length, decoded.Length);
        float max = 0;
        for (int i = 0; i < decoded.Length; i++) max = Math.Max(max, Math.Abs(decoded[i] - reference[i]));
        Assert.True(max < tolerance, $"decoded audio differs by {max}");
    }

    [Fact]
    public void Bf16DecodesNearTheGoldenAndOtherPrecisionsAreRefused()
    {
        using var golden = SafetensorsFile.Open(Path.Combine(_model, "golden.safetensors"));
        var expected = golden.ReadInt64("encodec.codes", 1, 4, 66);
        var codesPath = Path.Combine(_dir, "golden-codes.json");
        File.WriteAllText(codesPath, JsonSerializer.Serialize(new
        {
            frames = 66,
            codebooks = 4,
            codes = Enumerable.Range(0, 4).Select(q => expected.Skip(q * 66).Take(66).Select(v => (int)v).ToArray()).ToArray(),
        }));
        var outWav = Path.Combine(_dir, "bf16.wav");
        var (code, _, err) = Run("codec", "decode", codesPath, "--model", _model, "--out", outWav, "--precision", "bf16");
        Assert.True(code == 0, err);
        var decoded = WavReader.Read(outWav).Channel(0);
        var reference = golden.ReadFloat32("encodec.decoded");
        double signal = 0, noise = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            signal += (double)reference[i] * reference[i];
            noise += (double)(decoded[i] - reference[i]) * (decoded[i] - reference[i]);
        }
        Assert.True(noise > 0, "bf16 decoded exactly the float32 audio: were the weights rounded?");
        Assert.True(10 * Math.Log10(signal / noise) > 40, $"bf16 audio only {10 * Math.Log10(signal / noise):F1} dB from the golden");

        (code, _, err) = Run("codec", "decode", codesPath, "--model", _model, "--out", outWav, "--precision", "int8");
        Assert.Equal(2, code);
        Assert.Contains("--precision 'int8' is not one of f32, bf16", err);
    }

    [Fact]
    public void StereoInputAtAnotherRateIsMixedAndResampled()
    {
        int rate = 48000, frames = 24000;   // 0.5 s -> 16000 samples at 32 kHz -> 25 codec frames
        var left = new float[frames];
        var right = new float[frames];
        for (int i = 0; i < frames; i++)
        {
            left[i] = 0.4f * MathF.Sin(2 * MathF.PI * 220 * i / rate);
            right[i] = 0.2f * MathF.Sin(2 * MathF.PI * 330 * i / rate);
        }
        var wav = Path.Combine(_dir, "stereo.wav");
        WavWriter.Write(wav, new AudioBuffer([left, right], rate), WavSampleFormat.Pcm24);
        var codesPath = Path.Combine(_dir, "codes.json");
        var (code, _, err) = Run("codec", "encode", wav, "--model", _model, "--out", codesPath);
        Assert.True(code == 0, err);
        var codes = CodesOf(File.ReadAllText(codesPath));
        Assert.All(codes, row => Assert.Equal(25, row.Length));
        Assert.All(codes.SelectMany(r => r), c => Assert.InRange(c, 0, 2047));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var codesPath = Path.Combine(_dir, "codes.json");
        var wav = Path.Combine(_dir, "x.wav");

        var (code, _, err) = Run("codec", "encode", Path.Combine(_dir, "missing.wav"), "--model", _model, "--out", codesPath);
        Assert.Equal(1, code);
        Assert.Contains("missing.wav", err);

        File.WriteAllText(wav, "not a wav file at all");
        (code, _, err) = Run("codec", "encode", wav, "--model", _model, "--out", codesPath);
        Assert.Equal(1, code);
        Assert.Contains("x.wav", err);

        (code, _, err) = Run("codec", "encode", wav, "--model", Path.Combine(_dir, "nomodel"), "--out", codesPath);
        Assert.Equal(1, code);
        Assert.Contains("model folder not found", err);

        File.WriteAllText(codesPath, """{"frames": 2, "codebooks": 4, "codes": [[1, 2], [3, 4], [5, 6], [7, 2048]]}""");
        (code, _, err) = Run("codec", "decode", codesPath, "--model", _model, "--out", Path.Combine(_dir, "o.wav"));
        Assert.Equal(1, code);
        Assert.Contains("codes[3][1] = 2048", err);

        File.WriteAllText(codesPath, """{"frames": 3, "codebooks": 4, "codes": [[1, 2], [3, 4], [5, 6], [7, 8]]}""");
        (code, _, err) = Run("codec", "decode", codesPath, "--model", _model, "--out", Path.Combine(_dir, "o.wav"));
        Assert.Equal(1, code);
        Assert.Contains("array of 3 integers", err);

        File.WriteAllText(codesPath, "{");
        (code, _, err) = Run("codec", "decode", codesPath, "--model", _model, "--out", Path.Combine(_dir, "o.wav"));
        Assert.Equal(1, code);
        Assert.Contains("not valid JSON", err);

        (code, _, err) = Run("codec", "encode", wav, "--out", codesPath);
        Assert.Equal(2, code);
        Assert.Contains("--model", err);

        (code, _, err) = Run("codec", "transcode", wav);
        Assert.Equal(2, code);
    }
}

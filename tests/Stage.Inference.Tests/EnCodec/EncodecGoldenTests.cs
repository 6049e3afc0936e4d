using Stage.Inference.Checkpoints;
using Stage.Inference.Models.EnCodec;
using Stage.Inference.Tensors;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.EnCodec;

/// <summary>EnCodec on the CPU backend against the reference outputs of STAGE's own code (tests/fixtures/stage-tiny/golden.md).</summary>
public sealed class EncodecGoldenTests(ITestOutputHelper output, EncodecGoldenTests.Fixtures loaded)
    : EncodecGoldenChecks(output, loaded.Model, loaded.Golden, tolerance: 1e-5f), IClassFixture<EncodecGoldenTests.Fixtures>
{
    public sealed class Fixtures : IDisposable
    {
        public Fixtures()
        {
            var folder = ModelFolder.Open(Fixture.Directory);
            Model = EncodecModel.Load(folder);
            Golden = SafetensorsFile.Open(Fixture.Golden);
        }

        public EncodecModel Model { get; }
        public SafetensorsFile Golden { get; }
        public void Dispose() => Golden.Dispose();
    }
}

/// <summary>
/// The golden checks of EnCodec, whatever backend its layers run on: the network is written once against
/// IComputeBackend, so every backend must pass these (the CPU to 1e-5, a device backend to 1e-4).
/// </summary>
public abstract class EncodecGoldenChecks(ITestOutputHelper output, EncodecModel model, SafetensorsFile golden, float tolerance)
{
    readonly float Tolerance = tolerance;
    readonly EncodecModel _model = model;
    readonly SafetensorsFile _golden = golden;

    float[] Signal => _golden.ReadFloat32("encodec.signal", 1, 1, -1);

    static CodeMatrix Codes(SafetensorsFile golden, string name)
    {
        var e = golden.Entry(name);
        var raw = golden.ReadInt64(name, 1, -1, -1);
        return new CodeMatrix(e.Shape[1], e.Shape[2], raw.Select(v => (int)v).ToArray());
    }

    /// <summary>Compares our time-major [T, C] with the reference's [1, C, T]; returns the max abs error.</summary>
    float CompareChannelsFirst(string name, Tensor actual)
    {
        var e = _golden.Entry(name);
        int c = e.Shape[1], t = e.Shape[2];
        Assert.Equal([t, c], actual.Shape);
        var expected = _golden.ReadFloat32(name);
        var a = actual.ReadOnlySpan;
        float max = 0;
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < t; i++)
                max = Math.Max(max, Math.Abs(a[i * c + ch] - expected[ch * t + i]));
        output.WriteLine($"{name}: max abs error {max:E2} over [{c}, {t}]");
        Assert.True(max <= Tolerance, $"{name}: max abs error {max:E3} exceeds {Tolerance:E0}");
        return max;
    }

    float CompareAudio(string name, float[] actual)
    {
        var expected = _golden.ReadFloat32(name);
        Assert.Equal(expected.Length, actual.Length);
        float max = 0;
        for (int i = 0; i < actual.Length; i++) max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        output.WriteLine($"{name}: max abs error {max:E2} over {actual.Length} samples");
        Assert.True(max <= Tolerance, $"{name}: max abs error {max:E3} exceeds {Tolerance:E0}");
        return max;
    }

    [Fact]
    public void EncoderLatentAndIntermediatesMatch()
    {
        var traced = new Dictionary<string, Tensor>();
        var latent = _model.EncodeLatent(Signal, (name, t) => traced[name] = t.Clone());
        foreach (int i in new[] { 3, 6, 9, 12, 13 })
            CompareChannelsFirst($"encodec.debug.enc_out_{i}", traced[$"encoder.model.{i}"]);
        CompareChannelsFirst("encodec.latent", latent);
        Assert.Equal(66, latent.Dim(0));
        Assert.Equal(66, _model.FramesFor(41655));
    }

    [Fact]
    public void CodesAreIdentical()
    {
        var codes = _model.Encode(Signal);
        var expected = Codes(_golden, "encodec.codes");
        Assert.Equal(expected.Codebooks, codes.Codebooks);
        Assert.Equal(expected.Frames, codes.Frames);
        Assert.Equal(expected.AsSpan().ToArray(), codes.AsSpan().ToArray());
    }

    [Fact]
    public void QuantizedLatentMatches()
    {
        CompareChannelsFirst("encodec.quantized_latent", _model.Dequantize(Codes(_golden, "encodec.codes")));
    }

    [Fact]
    public void DecoderOutputAndIntermediatesMatch()
    {
        var traced = new Dictionary<string, Tensor>();
        var audio = _model.DecodeLatent(_model.Dequantize(Codes(_golden, "encodec.codes")), (name, t) => traced[name] = t.Clone());
        foreach (int i in new[] { 0, 1, 3, 6, 9 })
            CompareChannelsFirst($"encodec.debug.dec_out_{i}", traced[$"decoder.model.{i}"]);
        Assert.Equal(640 * 66, audio.Length);
        CompareAudio("encodec.decoded", audio);
    }

    [Fact]
    public void HandpickedCodesDecode()
    {
        var codes = Codes(_golden, "encodec.handpicked_codes");
        CompareAudio("encodec.handpicked_decoded", _model.Decode(codes));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(7, 0)]
    [InlineData(25, 0)]
    [InlineData(25, 300)]
    [InlineData(1000, 1)]
    public void StreamedDecodeIsTheWholeDecode(int piece, int randomFrames)
    {
        var codes = randomFrames == 0 ? Codes(_golden, "encodec.codes") : RandomCodes(randomFrames, piece);
        var whole = _model.Decode(codes);
        var stream = _model.OpenDecodeStream(codes.Frames);
        var streamed = new float[codes.Frames * 640];
        var frame = new int[codes.Codebooks];
        for (int t = 0; t < codes.Frames; t++)
        {
            for (int q = 0; q < codes.Codebooks; q++) frame[q] = codes[q, t];
            stream.Add(frame);
            int settled = stream.SettledFrames;
            if (settled - stream.DecodedFrames >= piece || settled == codes.Frames)
                stream.Decode(settled, streamed.AsSpan(stream.DecodedFrames * 640));
        }
        Assert.Equal(codes.Frames, stream.DecodedFrames);
        float max = 0;
        for (int i = 0; i < whole.Length; i++) max = Math.Max(max, Math.Abs(whole[i] - streamed[i]));
        output.WriteLine($"{codes.Frames} frames in pieces of {piece}: max |streamed - whole| = {max:E2}");
        Assert.Equal(whole, streamed);
    }

    [Theory]
    [InlineData(320000, 100)]   // 10 s in the engine's windows
    [InlineData(99_983, 7)]     // not a whole number of frames, many small windows
    [InlineData(64_000, 1)]
    [InlineData(6_400, 100)]    // shorter than a window: one pass
    public void EncodingInWindowsIsTheWholeEncode(int samples, int windowFrames)
    {
        var random = new Random(samples);
        var audio = new float[samples];
        for (int i = 0; i < audio.Length; i++) audio[i] = (float)(Math.Sin(i * 0.003) * 0.4 + (random.NextDouble() - 0.5) * 0.2);
        var whole = _model.EncodeLatent(audio, trace: (_, _) => { });   // a trace runs the whole pass
        var windows = _model.EncodeLatent(audio, windowFrames);
        Assert.Equal(whole.Shape, windows.Shape);
        Assert.Equal(whole.ReadOnlySpan.ToArray(), windows.ReadOnlySpan.ToArray());
    }

    CodeMatrix RandomCodes(int frames, int seed)
    {
        var random = new Random(seed);
        var codes = new CodeMatrix(_model.Codebooks, frames);
        for (int q = 0; q < codes.Codebooks; q++)
            for (int t = 0; t < frames; t++) codes[q, t] = random.Next(_model.Config.Bins);
        return codes;
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        // Work is split over rows and output panels, never over the reduction, so every sum is
        // formed in the same order whatever the thread count.
        var codes = Codes(_golden, "encodec.codes");
        var latent = _model.EncodeLatent(Signal).ReadOnlySpan.ToArray();
        var audio = _model.Decode(codes);
        int saved = Stage.Inference.Kernels.KernelThreads.Count;
        try
        {
            Stage.Inference.Kernels.KernelThreads.Count = 1;
            Assert.Equal(latent, _model.EncodeLatent(Signal).ReadOnlySpan.ToArray());
            Assert.Equal(audio, _model.Decode(codes));
        }
        finally { Stage.Inference.Kernels.KernelThreads.Count = saved; }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(639)]
    [InlineData(640)]
    [InlineData(641)]
    public void ShortAndUnalignedSignalsGiveCeilFrames(int samples)
    {
        var codes = _model.Encode(Signal.AsSpan(1000, samples));
        Assert.Equal((samples + 639) / 640, codes.Frames);
        Assert.Equal(4, codes.Codebooks);
        Assert.Equal(codes.Frames * 640, _model.Decode(codes).Length);
        Assert.Equal(0, _model.Encode(ReadOnlySpan<float>.Empty).Frames);
    }

    [Fact]
    public void OutOfRangeCodeIsRejected()
    {
        var codes = new CodeMatrix(4, 2);
        codes[2, 1] = 2048;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _model.Decode(codes));
        Assert.Contains("codebook 2, frame 1", e.Message);
    }
}

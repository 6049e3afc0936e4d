using Stage.Inference.Checkpoints;
using Stage.Inference.Models.EnCodec;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.EnCodec;

/// <summary>
/// EnCodec with its convolutions and LSTMs kept as bfloat16 (the engine's EnCodec below a float32 LM): near the float32
/// model's audio and codes, and streamed and windowed exactly as its own whole pass.
/// </summary>
public sealed class EncodecBFloat16Tests(ITestOutputHelper output, EncodecBFloat16Tests.Models models) : IClassFixture<EncodecBFloat16Tests.Models>
{
    public sealed class Models : IDisposable
    {
        public Models()
        {
            var folder = ModelFolder.Open(Fixture.Directory);
            Float32 = EncodecModel.Load(folder);
            BFloat16 = EncodecModel.Load(folder, bfloat16: true);
            Golden = SafetensorsFile.Open(Fixture.Golden);
            var e = Golden.Entry("encodec.codes");
            Codes = new CodeMatrix(e.Shape[1], e.Shape[2], Golden.ReadInt64("encodec.codes", 1, -1, -1).Select(v => (int)v).ToArray());
            Signal = Golden.ReadFloat32("encodec.signal", 1, 1, -1);
        }

        public EncodecModel Float32 { get; }
        public EncodecModel BFloat16 { get; }
        public SafetensorsFile Golden { get; }
        public CodeMatrix Codes { get; }
        public float[] Signal { get; }
        public void Dispose() => Golden.Dispose();
    }

    [Fact]
    public void DecodedAudioStaysNearTheFloat32Decode()
    {
        var exact = models.Float32.Decode(models.Codes);
        var rounded = models.BFloat16.Decode(models.Codes);
        Assert.Equal(exact.Length, rounded.Length);
        double signal = 0, noise = 0;
        for (int i = 0; i < exact.Length; i++)
        {
            signal += (double)exact[i] * exact[i];
            noise += (double)(rounded[i] - exact[i]) * (rounded[i] - exact[i]);
        }
        double snr = 10 * Math.Log10(signal / noise);
        output.WriteLine($"bfloat16 decode against float32: {snr:F1} dB signal to difference");
        Assert.True(noise > 0, "nothing was rounded: are the bfloat16 weights in use?");
        // 49 dB on the fixture: bfloat16's 8-bit mantissa, about 48 dB per rounding, does not add up through the layers
        Assert.True(snr > 40, $"the bfloat16 decode differs from float32's by only {snr:F1} dB");
    }

    [Fact]
    public void CodesMostlyEqualTheFloat32Codes()
    {
        var exact = models.Float32.Encode(models.Signal).AsSpan().ToArray();
        var rounded = models.BFloat16.Encode(models.Signal).AsSpan().ToArray();
        Assert.Equal(exact.Length, rounded.Length);
        int same = 0;
        for (int i = 0; i < exact.Length; i++) same += exact[i] == rounded[i] ? 1 : 0;
        var latent = models.Float32.EncodeLatent(models.Signal).ReadOnlySpan.ToArray();
        var latent16 = models.BFloat16.EncodeLatent(models.Signal).ReadOnlySpan.ToArray();
        double worst = 0, peak = 0;
        for (int i = 0; i < latent.Length; i++) { worst = Math.Max(worst, Math.Abs(latent[i] - latent16[i])); peak = Math.Max(peak, Math.Abs(latent[i])); }
        output.WriteLine($"codes equal to float32's: {same} of {exact.Length}; latent max |Δ| {worst:E2} against a peak of {peak:F2}");
        // 257 of 264 on the fixture: a latent that moves by 0.3% of its peak crosses a few codebook boundaries
        Assert.True(same >= 0.9 * exact.Length, $"only {same} of {exact.Length} codes equal float32's");
        Assert.True(worst < 0.01 * peak, $"the latent moves by {worst:E2} against a peak of {peak:F2}");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(25)]
    public void StreamedDecodeIsItsOwnWholeDecode(int piece)
    {
        var model = models.BFloat16;
        var codes = models.Codes;
        var whole = model.Decode(codes);
        var stream = model.OpenDecodeStream(codes.Frames);
        var streamed = new float[codes.Frames * 640];
        var frame = new int[codes.Codebooks];
        for (int t = 0; t < codes.Frames; t++)
        {
            for (int q = 0; q < codes.Codebooks; q++) frame[q] = codes[q, t];
            stream.Add(frame);
            if (stream.SettledFrames - stream.DecodedFrames >= piece || stream.SettledFrames == codes.Frames)
                stream.Decode(stream.SettledFrames, streamed.AsSpan(stream.DecodedFrames * 640));
        }
        Assert.Equal(whole, streamed);
    }

    [Fact]
    public void WindowedEncodeAndThreadCountChangeNothing()
    {
        var model = models.BFloat16;
        var whole = model.EncodeLatent(models.Signal, trace: (_, _) => { }).ReadOnlySpan.ToArray();   // a trace runs the whole pass
        Assert.Equal(whole, model.EncodeLatent(models.Signal, 7).ReadOnlySpan.ToArray());
        var audio = model.Decode(models.Codes);
        int saved = Stage.Inference.Kernels.KernelThreads.Count;
        try
        {
            Stage.Inference.Kernels.KernelThreads.Count = 1;
            Assert.Equal(whole, model.EncodeLatent(models.Signal, trace: (_, _) => { }).ReadOnlySpan.ToArray());
            Assert.Equal(audio, model.Decode(models.Codes));
        }
        finally { Stage.Inference.Kernels.KernelThreads.Count = saved; }
    }
}

using Stage.Inference.Generation;
using Stage.Inference.Gpu;
using Stage.Inference.Tests.Generation;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Gpu;

/// <summary>On a real GPU (CUDA or OpenCL) when the machine has one; skipped, with the reason, when it has none.</summary>
public class GpuTests(ITestOutputHelper output)
{
    [GpuFact]
    public void TheGpuReproducesStagesGreedyStemInFloat32()
    {
        var selection = DeviceChoice.Choose(DeviceKind.Auto, WeightPrecision.Float32);
        output.WriteLine(selection.Message);
        using var device = selection.Device;
        Assert.True(device.IsAccelerator, selection.Message);
        using (var decoder = device.CreateDecoder(Goldens.Lm))
        {
            double worst = DeviceLmGoldenTests.TeacherForcedWorst(decoder, output);
            Assert.True(worst < 1e-4, $"logits differ by {worst:E2}");
        }
        using var generator = new StageGenerator(device);
        var codes = generator.Generate(Goldens.Lm, Goldens.Codes("gen.context_codes"), Goldens.Rows("t5.projected", 0, 14),
            new GenerationOptions { Frames = 12, TopK = 1 }, 1, null, null, CancellationToken.None)[0];
        Assert.Equal(Goldens.Codes("gen.codes"), codes);
    }

    [GpuFact]
    public void TheGpuGeneratesInItsDefaultPrecision()
    {
        var selection = DeviceChoice.Choose(DeviceKind.Auto);
        output.WriteLine(selection.Message);
        using var device = selection.Device;
        Assert.True(device.IsAccelerator, selection.Message);
        using var decoder = device.CreateDecoder(Goldens.Lm);
        double worst = DeviceLmGoldenTests.TeacherForcedWorst(decoder, output);
        Assert.True(worst < 0.05, $"logits differ by {worst:E2}");
    }

    [GpuFact]
    public void EnCodecOnTheGpuReproducesStagesCodesAndAudio()
    {
        var selection = DeviceChoice.Choose(DeviceKind.Auto, WeightPrecision.Float32);
        output.WriteLine(selection.Message);
        using var device = selection.Device;
        Assert.True(device.IsAccelerator, selection.Message);
        EnCodecMatchesStage(device, output);
    }

    /// <summary>The same check through the device kernels on ILGPU's CPU accelerator, so the GPU test's own code is proven here.</summary>
    [Fact]
    public void EnCodecThroughTheDeviceKernelsReproducesStagesCodesAndAudio() => EnCodecMatchesStage(IlgpuCpu.Device, output);

    static void EnCodecMatchesStage(Stage.Inference.Generation.InferenceDevice device, ITestOutputHelper output)
    {
        var codec = Stage.Inference.Models.EnCodec.EncodecModel.Load(Stage.Inference.Checkpoints.ModelFolder.Open(Fixture.Directory), device.CodecBackend);
        var codes = codec.Encode(Goldens.Floats("encodec.signal"));
        var expected = Goldens.Codes("encodec.codes");
        for (int q = 0; q < expected.Length; q++) Assert.Equal(expected[q], codes.Codebook(q).ToArray());
        double error = Goldens.MaxAbsDiff(codec.Decode(codes), Goldens.Floats("encodec.decoded"));
        output.WriteLine($"EnCodec on {device.CodecBackend.Name}: decoded audio max |Δ| {error:E2}");
        Assert.True(error < 1e-4, $"decoded audio differs by {error:E2}");
    }
}

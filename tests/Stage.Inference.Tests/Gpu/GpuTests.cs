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
}

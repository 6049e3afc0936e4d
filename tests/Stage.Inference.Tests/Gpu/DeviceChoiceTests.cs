using Stage.Inference.Generation;
using Stage.Inference.Gpu;
using Stage.Inference.Tests.Generation;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Gpu;

public class DeviceChoiceTests(ITestOutputHelper output)
{
    [Fact]
    public void CpuIsTheCpuEngine()
    {
        var selection = DeviceChoice.Choose(DeviceKind.Cpu);
        Assert.Same(InferenceDevice.Cpu, selection.Device);
        Assert.False(selection.Device.IsAccelerator);
    }

    [Fact]
    public void IlgpuCpuOpensTheCpuAccelerator()
    {
        using var device = (IlgpuDevice)DeviceChoice.Choose(DeviceKind.IlgpuCpu).Device;
        Assert.Equal(DeviceKind.IlgpuCpu, device.Kind);
        Assert.Equal(WeightPrecision.Float32, device.Precision);
        Assert.StartsWith("ilgpu-cpu: ", device.Name);
        using var decoder = device.CreateDecoder(Goldens.Lm);
        Assert.True(device.WeightBytes > Goldens.Lm.Dims.StepParameters * 4, "the weights were uploaded");
    }

    [Theory]
    [InlineData(DeviceKind.Cuda, "cuda")]
    [InlineData(DeviceKind.OpenCl, "opencl")]
    public void AMissingGpuFallsBackToTheCpuEngineAndSaysWhy(DeviceKind kind, string name)
    {
        var found = DeviceChoice.Find();
        Assert.Contains(found, d => d.Kind == DeviceKind.IlgpuCpu);
        if (found.Any(d => d.Kind == kind)) return; // a machine with that GPU opens it (GpuTests cover it)
        var selection = DeviceChoice.Choose(kind);
        output.WriteLine(selection.Message);
        Assert.Same(InferenceDevice.Cpu, selection.Device);
        Assert.Contains("falling back to the CPU engine", selection.Message);
        Assert.Contains($"no {name} device found", selection.Message);
    }

    [Fact]
    public void AutoWithoutAGpuIsTheCpuEngine()
    {
        var selection = DeviceChoice.Choose(DeviceKind.Auto);
        output.WriteLine(selection.Message);
        if (selection.Device.IsAccelerator)
        {
            selection.Device.Dispose();
            return;
        }
        Assert.Contains("no GPU found", selection.Message);
    }

    [Fact]
    public void ParsesTheDeviceAndPrecisionNames()
    {
        foreach (var kind in Enum.GetValues<DeviceKind>())
        {
            Assert.True(DeviceKinds.TryParse(DeviceKinds.Name(kind), out var parsed));
            Assert.Equal(kind, parsed);
        }
        Assert.False(DeviceKinds.TryParse("gpu", out _));
        Assert.True(WeightPrecisions.TryParse("bf16", out var p));
        Assert.Equal(WeightPrecision.BFloat16, p);
        Assert.True(WeightPrecisions.TryParse("int8", out p));
        Assert.Equal(WeightPrecision.Int8, p);
        Assert.False(WeightPrecisions.TryParse("int4", out _));
    }

    [Fact]
    public void SixteenBitConversionsAreTheStandardOnes()
    {
        var random = new Random(5);
        for (int i = 0; i < 10000; i++)
        {
            float x = (float)(random.NextDouble() * 2 - 1) * MathF.Pow(2, random.Next(-30, 30));
            Assert.Equal((float)(Half)x, HalfBits.HalfToSingle(HalfBits.SingleToHalf(x)));
            float b = HalfBits.BFloat16ToSingle(HalfBits.SingleToBFloat16(x));
            Assert.True(MathF.Abs(b - x) <= MathF.Abs(x) / 256, $"bf16 of {x} is {b}");
        }
        Assert.Equal(1f, HalfBits.BFloat16ToSingle(HalfBits.SingleToBFloat16(1f)));
        Assert.Equal(1.0078125f, HalfBits.BFloat16ToSingle(HalfBits.SingleToBFloat16(1.01f)));
        Assert.Equal(5.9604645e-8f, HalfBits.HalfToSingle(1)); // smallest subnormal half
        Assert.True(float.IsPositiveInfinity(HalfBits.HalfToSingle(0x7C00)));
    }
}

using Stage.Inference.Checkpoints;
using Stage.Inference.Gpu;
using Stage.Inference.Kernels;
using Stage.Inference.Models.EnCodec;
using Stage.Inference.Tensors;
using Stage.Inference.Tests.EnCodec;
using Xunit.Abstractions;

namespace Stage.Inference.Tests.Gpu;

/// <summary>EnCodec with its layers on the device backend (ILGPU's CPU accelerator here): the same golden checks as the CPU.</summary>
public sealed class DeviceEncodecGoldenTests(ITestOutputHelper output, DeviceEncodecGoldenTests.Fixtures loaded)
    : EncodecGoldenChecks(output, loaded.Model, loaded.Golden, tolerance: 1e-4f), IClassFixture<DeviceEncodecGoldenTests.Fixtures>
{
    public sealed class Fixtures : IDisposable
    {
        public Fixtures()
        {
            Backend = IlgpuCpu.Device.CodecBackend;
            Model = EncodecModel.Load(ModelFolder.Open(Fixture.Directory), Backend);
            Golden = SafetensorsFile.Open(Fixture.Golden);
        }

        public IComputeBackend Backend { get; }
        public EncodecModel Model { get; }
        public SafetensorsFile Golden { get; }
        public void Dispose() => Golden.Dispose();
    }

    [Fact]
    public void The_codec_runs_on_the_device_backend()
    {
        Assert.IsType<DeviceBackend>(loaded.Backend);
        Assert.True(((DeviceBackend)loaded.Backend).WeightBytes > 0);
    }
}

/// <summary>The device backend's ops that EnCodec does not use (T5's), each against the CPU backend on random data.</summary>
public sealed class DeviceBackendOpTests
{
    static readonly IComputeBackend Device = IlgpuCpu.Device.CodecBackend;
    static readonly IComputeBackend Cpu = CpuBackend.Instance;

    static Tensor Random(int seed, params int[] shape)
    {
        var t = new Tensor(shape);
        var random = new Random(seed);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(random.NextDouble() * 4 - 2);
        return t;
    }

    static void Same(Tensor expected, Tensor actual, float tolerance = 1e-4f)
    {
        var e = expected.ReadOnlySpan;
        var a = actual.ReadOnlySpan;
        float max = 0;
        for (int i = 0; i < e.Length; i++) max = Math.Max(max, Math.Abs(e[i] - a[i]));
        Assert.True(max <= tolerance, $"max abs difference {max:E2} exceeds {tolerance:E0}");
        Assert.Contains(a.ToArray(), v => v != 0);
    }

    [Fact]
    public void Linear_norms_softmax_and_activations_match_the_cpu()
    {
        var x = Random(1, 5, 48);
        var w = LinearWeights.FromRows(Random(2, 40, 48).ReadOnlySpan, 40, 48, Random(3, 40).ReadOnlySpan);
        var (cpu, device) = (new Tensor(5, 40), new Tensor(5, 40));
        Cpu.Linear(x, w, cpu);
        Device.Linear(x, w, device);
        Same(cpu, device);
        Cpu.Linear(x, w, cpu, accumulate: true);
        Device.Linear(x, w, device, accumulate: true);
        Same(cpu, device);

        var norm = new NormWeights(Random(4, 48).ReadOnlySpan.ToArray(), Random(5, 48).ReadOnlySpan.ToArray());
        foreach (var op in new Action<IComputeBackend, Tensor>[]
                 {
                     (b, y) => b.LayerNorm(x, y, norm, 1e-5f), (b, y) => b.RmsNorm(x, y, norm, 1e-6f), (b, y) => b.Softmax(x, y),
                     (b, y) => b.Gelu(x, y), (b, y) => b.Relu(x, y), (b, y) => b.Elu(x, y), (b, y) => b.Add(x, x, y),
                 })
        {
            var (c, d) = (new Tensor(5, 48), new Tensor(5, 48));
            op(Cpu, c);
            op(Device, d);
            Same(c, d);
        }
    }
}

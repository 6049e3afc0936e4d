using System.Diagnostics;
using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Models.EnCodec;
using L = Stage.Inference.Checkpoints.StageCheckpointLayout.Encodec;

namespace Stage.Benchmarks;

/// <summary>
/// EnCodec at the real 32 kHz size (dimension 128, n_filters 64, ratios 8,5,4,4, 2-layer LSTM,
/// 4 × 2048 codebooks) with random weights, encoding and decoding 10 s of audio.
/// Arguments: <c>[THREADS] [--device D] [--bf16]</c>: the CPU kernels' thread count (default: all cores), whether the
/// convolutions and LSTMs keep bfloat16 weights as the engine's EnCodec does below a float32 LM (then also how far its
/// audio and codes are from float32's), and where the layers
/// run (default the CPU; <c>cuda</c>/<c>opencl</c> measure nothing on a machine without one, <c>ilgpu-cpu</c> runs the
/// GPU kernels on ILGPU's CPU accelerator: a correctness path, not a fast one).
/// </summary>
internal static class EncodecBenchmark
{
    private const int Seconds = 10;
    private const int Repeats = 3;

    public static void Run(string[] args)
    {
        using var device = BenchmarkDevice.Open(ref args);
        if (device is null) return;
        bool bfloat16 = args.Contains("--bf16");
        args = args.Where(a => a != "--bf16").ToArray();
        if (args.Length > 0) KernelThreads.Count = int.Parse(args[0]);
        Console.WriteLine($"  kernel threads: {KernelThreads.Count}");
        var config = StageConfig.Released.Encodec;
        var path = Path.Combine(Path.GetTempPath(), $"stage-encodec-benchmark-{Guid.NewGuid():N}.safetensors");
        try
        {
            var build = Stopwatch.StartNew();
            WriteRandomCheckpoint(path, config);
            Console.WriteLine($"  random checkpoint written in {build.Elapsed.TotalSeconds:0.00} s ({new FileInfo(path).Length / 1e6:0} MB)");
            build.Restart();
            EncodecModel model;
            using (var file = SafetensorsFile.Open(path)) model = EncodecModel.Load(file, config, device.CodecBackend, bfloat16);
            Console.WriteLine($"  model loaded (weight norm folded, packed{(bfloat16 ? ", bfloat16" : "")}) in {build.Elapsed.TotalSeconds:0.00} s; layers on {device.CodecBackend.Name}");
            if (bfloat16) AgainstFloat32(path, config, device.CodecBackend, model);

            var audio = TestSignal(config.SampleRate * Seconds, config.SampleRate);
            CodeMatrix codes = null!;
            Report($"encode {Seconds} s ({audio.Length} samples -> {model.FramesFor(audio.Length)} frames)", () => codes = model.Encode(audio));
            Report("  of which the SEANet encoder alone (latent)", () => model.EncodeLatent(audio));
            float[] decoded = [];
            Report($"decode {codes.Frames} frames -> {codes.Frames * model.HopLength} samples", () => decoded = model.Decode(codes));
            Breakdown("encode", trace => model.EncodeLatent(audio, trace));
            Breakdown("decode", trace => model.DecodeLatent(model.Dequantize(codes), trace));
            float peak = 0;
            foreach (float v in decoded) peak = Math.Max(peak, Math.Abs(v));
            Console.WriteLine($"  (decoded peak {peak:0.###}, finite: {float.IsFinite(peak)})");
            if (device.CodecBackend is Stage.Inference.Gpu.DeviceBackend gpu) Console.WriteLine($"  device memory: EnCodec weights {gpu.WeightBytes / 1048576.0:F0} MiB");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>How far the bfloat16 model's codes and audio are from the float32 model's on the same test signal.</summary>
    static void AgainstFloat32(string path, EncodecConfig config, IComputeBackend backend, EncodecModel bfloat16)
    {
        EncodecModel float32;
        using (var file = SafetensorsFile.Open(path)) float32 = EncodecModel.Load(file, config, backend);
        var audio = TestSignal(config.SampleRate * Seconds, config.SampleRate);
        var exact = float32.Encode(audio);
        var rounded = bfloat16.Encode(audio).AsSpan();
        int same = 0;
        for (int i = 0; i < rounded.Length; i++) same += rounded[i] == exact.AsSpan()[i] ? 1 : 0;
        var reference = float32.Decode(exact);
        var decoded = bfloat16.Decode(exact);
        double signal = 0, noise = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            signal += (double)reference[i] * reference[i];
            noise += (double)(decoded[i] - reference[i]) * (decoded[i] - reference[i]);
        }
        Console.WriteLine($"  bf16 against f32: codes equal {100.0 * same / rounded.Length:F1}% of {rounded.Length}; decoded audio {10 * Math.Log10(signal / noise):F1} dB signal to difference");
    }

    static void Report(string name, Action action)
    {
        action(); // warm-up: JIT, page-in of the weights, pooled buffers
        var times = new double[Repeats];
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        for (int i = 0; i < Repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times[i] = sw.Elapsed.TotalSeconds;
        }
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / Repeats;
        Array.Sort(times);
        double load = File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
        Console.WriteLine($"  {name,-55} best {times[0]:0.000} s, median {times[Repeats / 2]:0.000} s, cpu {cpu:0.000} s/run, load {load:0.0}");
    }

    /// <summary>Seconds between the traced module outputs of one run (where the time goes).</summary>
    static void Breakdown(string name, Action<Action<string, Stage.Inference.Tensors.Tensor>> run)
    {
        var sw = Stopwatch.StartNew();
        var parts = new List<string>();
        double last = 0;
        run((module, _) =>
        {
            double now = sw.Elapsed.TotalSeconds;
            parts.Add($"{module} {now - last:0.000}");
            last = now;
        });
        parts.Add($"rest {sw.Elapsed.TotalSeconds - last:0.000}");
        Console.WriteLine($"  {name} breakdown (s, up to each module): {string.Join(", ", parts)}");
    }

    internal static float[] TestSignal(int samples, int rate)
    {
        var x = new float[samples];
        var random = new Random(1);
        for (int n = 0; n < samples; n++)
        {
            double t = (double)n / rate;
            x[n] = (float)(0.3 * Math.Sin(2 * Math.PI * 110 * t) + 0.2 * Math.Sin(2 * Math.PI * 440 * t) + 0.05 * (random.NextDouble() * 2 - 1));
        }
        return x;
    }

    /// <summary>PyTorch-default-like uniform(±1/√fan_in) weights in the STAGE layout (already folded: ".weight").</summary>
    internal static void WriteRandomCheckpoint(string path, EncodecConfig c)
    {
        var checkpoint = new RandomCheckpoint();
        AddRandom(checkpoint, c);
        checkpoint.Write(path);
    }

    /// <summary>EnCodec's tensors, added to a full STAGE checkpoint or written alone.</summary>
    internal static void AddRandom(RandomCheckpoint checkpoint, EncodecConfig c)
    {
        void Add((string Name, int[] Shape, float Scale) t) => checkpoint.Add(t.Name, t.Shape, t.Scale);
        var tensors = new List<(string Name, int[] Shape, float Scale)>();
        void Conv(string prefix, int outC, int inC, int k) { tensors.Add((prefix + ".weight", [outC, inC, k], 1f / MathF.Sqrt(inC * k))); tensors.Add((prefix + ".bias", [outC], 0.01f)); }
        void ConvTr(string prefix, int inC, int outC, int k) { tensors.Add((prefix + ".weight", [inC, outC, k], 1f / MathF.Sqrt(inC * k / 2f))); tensors.Add((prefix + ".bias", [outC], 0.01f)); }
        void Lstm(string prefix, int dim)
        {
            float s = 1f / MathF.Sqrt(dim);
            for (int l = 0; l < c.LstmLayers; l++)
            {
                tensors.Add(($"{prefix}.weight_ih_l{l}", [4 * dim, dim], s));
                tensors.Add(($"{prefix}.weight_hh_l{l}", [4 * dim, dim], s));
                tensors.Add(($"{prefix}.bias_ih_l{l}", [4 * dim], s));
                tensors.Add(($"{prefix}.bias_hh_l{l}", [4 * dim], s));
            }
        }

        int ch = c.NFilters, i = 0;
        Conv(L.EncoderConv(i++), ch, 1, c.KernelSize);
        foreach (int ratio in c.Ratios.Reverse())
        {
            int idx = i++;
            Conv(L.EncoderResidualConv(idx, 1), ch / 2, ch, c.ResidualKernelSize);
            Conv(L.EncoderResidualConv(idx, 3), ch, ch / 2, 1);
            i++;
            Conv(L.EncoderConv(i++), ch * 2, ch, 2 * ratio);
            ch *= 2;
        }
        Lstm(L.EncoderLstm(i++), ch);
        i++;
        Conv(L.EncoderConv(i), c.Dimension, ch, c.LastKernelSize);
        i = 0;
        Conv(L.DecoderConv(i++), ch, c.Dimension, c.KernelSize);
        Lstm(L.DecoderLstm(i++), ch);
        foreach (int ratio in c.Ratios)
        {
            i++;
            ConvTr(L.DecoderTransposedConv(i++), ch, ch / 2, 2 * ratio);
            ch /= 2;
            int idx = i++;
            Conv(L.DecoderResidualConv(idx, 1), ch / 2, ch, c.ResidualKernelSize);
            Conv(L.DecoderResidualConv(idx, 3), ch, ch / 2, 1);
        }
        i++;
        Conv(L.DecoderConv(i), 1, ch, c.LastKernelSize);
        for (int q = 0; q < c.Codebooks; q++) tensors.Add((L.Codebook(q), [c.Bins, c.Dimension], 0.05f));

        foreach (var t in tensors) Add(t);
    }
}

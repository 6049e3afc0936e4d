using Stage.Inference.Kernels;

namespace Stage.Benchmarks;

/// <summary>
/// GEMM throughput of <see cref="MatMul"/> on the shapes the networks run: EnCodec convs as strided
/// GEMMs, the LSTM's recurrent matrix-vector product, the LM's 2-row decode step and T5's prompt batch.
/// Optional argument: the thread count.
/// </summary>
internal static class MatMulBenchmark
{
    public static void Run(string[] args)
    {
        if (args.Length > 0) KernelThreads.Count = int.Parse(args[0]);
        Console.WriteLine($"  kernel threads: {KernelThreads.Count}");
        (string Name, int Rows, int In, int Out)[] shapes =
        [
            ("EnCodec res(64) k3 conv at 32 kHz", 320000, 192, 32),
            ("EnCodec enc conv k8 s4 64->128", 80000, 512, 128),
            ("EnCodec enc conv k16 s8 512->1024", 500, 8192, 1024),
            ("EnCodec dec convtr s4 128->64 (polyphase)", 80001, 256, 256),
            ("LSTM input projection 1024->4096", 500, 1024, 4096),
            ("LSTM recurrent step 1024->4096", 1, 1024, 4096),
            ("LM decode step (cond+uncond) 1024->4096", 2, 1024, 4096),
            ("LM decode step 4096->1024", 2, 4096, 1024),
            ("T5 prompt 64 tokens 768->3072", 64, 768, 3072),
        ];
        var random = new Random(3);
        foreach (var (name, rows, k, n) in shapes)
        {
            var w = new float[n * k];
            for (int i = 0; i < w.Length; i++) w[i] = (float)random.NextDouble() - 0.5f;
            var weights = LinearWeights.FromRows(w, n, k);
            var x = new float[rows * k];
            for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextDouble() - 0.5f;
            var y = new float[rows * n];
            double flops = 2.0 * rows * k * n;
            double bytes = 4.0 * n * k;
            MicroBenchmark.Run($"{name} [{rows}x{k}]·[{k}x{n}]", () => MatMul.Linear(x, rows, weights, y),
                median => $"{flops / median.TotalSeconds / 1e9,7:0.0} GFLOP/s  {bytes / median.TotalSeconds / 1e9,6:0.0} GB/s weights");
        }

        // The LM's FFN activation per decode step and layer: 2 rows × 4096.
        var activations = new float[2 * 4096];
        for (int i = 0; i < activations.Length; i++) activations[i] = (float)(random.NextDouble() * 6 - 3);
        var output = new float[activations.Length];
        MicroBenchmark.Run("GELU (erf) 2x4096, uniform in [-3, 3]", () => Activations.Gelu(activations, output));

        // SEANet's ELU before a convolution at 32 kHz: 10 s of 64 channels, half of it negative.
        var signal = new float[320000 * 64];
        for (int i = 0; i < signal.Length; i++) signal[i] = (float)(random.NextDouble() * 4 - 2);
        var elu = new float[signal.Length];
        MicroBenchmark.Run("ELU 320000x64, uniform in [-2, 2]", () => Activations.Elu(signal, elu),
            median => $"{signal.Length / median.TotalSeconds / 1e9,6:0.00} G elements/s");
        var cached = signal.AsSpan(0, 16384).ToArray();   // its arithmetic alone: in and out stay in L1/L2
        MicroBenchmark.Run("ELU 16384, in cache", () => Activations.Elu(cached, elu),
            median => $"{cached.Length / median.TotalSeconds / 1e9,6:0.00} G elements/s");
    }
}

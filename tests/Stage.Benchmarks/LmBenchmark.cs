using System.Diagnostics;
using Stage.Inference.Generation;
using Stage.Inference.Models.Lm;

namespace Stage.Benchmarks;

/// <summary>
/// STAGE's LM at full size (MusicGen-Small: dim 1024, 24 layers, 16 heads, FFN 4096, 4 codebooks,
/// cross-attention to 1024-d text states) with random weights made in-process: prefill of the context
/// prefix, then guided top-250 sampling steps of both streams.
/// Arguments: [context frames = 500] [stem frames = 500] [text tokens = 20] [--variations N (candidates batched in one pass)]
/// [--device auto|cpu|cuda|opencl|ilgpu-cpu] [--precision f32|bf16|f16] (default: the CPU engine). A device asked
/// for by name that is not there measures nothing: the benchmark says why and exits 1.
/// </summary>
static class LmBenchmark
{
    public static int Run(string[] args)
    {
        int quality = Array.IndexOf(args, "--quality");
        if (quality >= 0)
        {
            int at = Array.IndexOf(args, "--precision");
            var precision = at >= 0 && at + 1 < args.Length && Stage.Inference.Gpu.WeightPrecisions.TryParse(args[at + 1], out var p) ? p : Stage.Inference.Gpu.WeightPrecision.BFloat16;
            return LmQuality.Run(quality + 1 < args.Length && int.TryParse(args[quality + 1], out int count) ? count : 500, precision);
        }
        using var device = BenchmarkDevice.Open(ref args);
        if (device is null) return 1;
        int variations = 1;
        int flag = Array.IndexOf(args, "--variations");
        if (flag >= 0)
        {
            variations = int.Parse(args[flag + 1]);
            args = args.Where((_, i) => i != flag && i != flag + 1).ToArray();
        }
        int contextFrames = args.Length > 0 ? int.Parse(args[0]) : 500;
        int stemFrames = args.Length > 1 ? int.Parse(args[1]) : 500;
        int textTokens = args.Length > 2 ? int.Parse(args[2]) : 20;
        var dims = LmDimensions.MusicGenSmall;

        var clock = Stopwatch.StartNew();
        var lm = MusicGenLm.CreateRandom(dims, seed: 1, device.HostLmPrecision);
        Console.WriteLine($"random weights: {dims.StepParameters / 1e6:F0} M parameters read per step ({dims.StepParameters * 4 / 1e9:F2} GB fp32), made in {clock.Elapsed.TotalSeconds:F1} s");

        var random = new Random(2);
        var context = new int[4][];
        for (int q = 0; q < 4; q++)
        {
            context[q] = new int[contextFrames];
            for (int t = 0; t < contextFrames; t++) context[q][t] = random.Next(2048);
        }
        var text = new float[textTokens * dims.TextDim];
        for (int i = 0; i < text.Length; i++) text[i] = (float)(random.NextDouble() * 2 - 1);

        using var generator = new StageGenerator(device);
        var options = new GenerationOptions { Frames = stemFrames, Seed = 42 };
        int steps = 0;
        TimeSpan prefill = default, firstFrame = default;
        long allocatedBeforeSteps = 0, allocatedAfterSteps = 0;
        var process = Process.GetCurrentProcess();
        TimeSpan cpuAtFirstStep = default;
        var cpuAtStart = process.TotalProcessorTime;
        clock.Restart();
        // Steps are counted through onStep (a guided-logits observer would copy them off a device every step).
        generator.Generate(lm, context, text, options, variations,
            (done, total) =>
            {
                if (steps++ == 0)
                {
                    prefill = clock.Elapsed;
                    process.Refresh();
                    cpuAtFirstStep = process.TotalProcessorTime;
                    allocatedBeforeSteps = GC.GetAllocatedBytesForCurrentThread();
                }
                if (done == total) allocatedAfterSteps = GC.GetAllocatedBytesForCurrentThread();
            },
            (frame, _) => { if (frame == 0) firstFrame = clock.Elapsed; },
            CancellationToken.None);
        var total = clock.Elapsed;
        process.Refresh();
        var decodeCpu = process.TotalProcessorTime - cpuAtFirstStep;
        var decode = total - prefill;
        int decodeSteps = steps - 1; // forward passes after the prefill (the first step samples the prefill's logits)

        long peakWorkingSet = process.PeakWorkingSet64;   // before the bandwidth probe adds its own buffer
        long stepBytes = lm.StepBytes(textTokens);   // with folded text, not the cross-attention's query and output projections
        double floor = ReadBandwidth.GigabytesPerSecond(stepBytes);
        double streamed = stepBytes * (double)decodeSteps / decode.TotalSeconds / 1e9;
        var gc = GC.GetGCMemoryInfo();
        Console.WriteLine($"context {contextFrames} frames + stem {stemFrames} frames, {textTokens} text tokens, guidance 3.0, top-k 250, "
            + $"{variations} candidate(s) batched ({2 * variations} rows per step), {Environment.ProcessorCount} cores");
        Console.WriteLine($"prefill ({contextFrames + 1} conditional + 1 unconditional steps): {prefill.TotalSeconds:F2} s ({(cpuAtFirstStep - cpuAtStart).TotalSeconds:F2} s CPU)");
        Console.WriteLine($"decode: {decodeSteps} guided steps in {decode.TotalSeconds:F1} s = {decodeSteps / decode.TotalSeconds:F2} steps/s "
            + $"({decode.TotalMilliseconds / decodeSteps:F1} ms/step, fp32-equivalent weights streamed at {dims.StepParameters * 4.0 * decodeSteps / decode.TotalSeconds / 1e9:F1} GB/s)");
        Console.WriteLine($"weights as stored ({Stage.Inference.Gpu.WeightPrecisions.Name(lm.Precision)}, {stepBytes / 1e9:F2} GB of matrices per step) streamed at {streamed:F1} GB/s; "
            + $"a plain {Stage.Inference.Kernels.KernelThreads.Count}-thread read of as many bytes: {floor:F1} GB/s ({100 * streamed / floor:F0}% of it), "
            + $"a floor of {floor * 1e9 / stepBytes:F1} steps/s; {decodeSteps / decode.TotalSeconds / 3.55:F1}x PyTorch's 3.3-3.8 steps/s");
        Console.WriteLine($"decode CPU time {decodeCpu.TotalMilliseconds / decodeSteps:F0} ms/step over all threads "
            + $"(wall/CPU {decode.TotalMilliseconds / decodeCpu.TotalMilliseconds:F2}; machine load average {LoadAverage()})");
        Console.WriteLine($"first complete frame (first streamable audio): {firstFrame.TotalSeconds:F2} s; total {total.TotalSeconds:F1} s for {stemFrames / 50.0:F1} s of stem");
        Console.WriteLine($"allocated on the generating thread during the steps: {allocatedAfterSteps - allocatedBeforeSteps} bytes");
        Console.WriteLine($"peak working set {peakWorkingSet / 1048576.0:F0} MiB; GC heap {GC.GetTotalMemory(false) / 1048576.0:F0} MiB, GC committed {gc.TotalCommittedBytes / 1048576.0:F0} MiB");
        if (device.IsAccelerator) Console.WriteLine(BenchmarkDevice.Memory(device));
        return 0;
    }

    static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }
}

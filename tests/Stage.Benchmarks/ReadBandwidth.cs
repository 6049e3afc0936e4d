using System.Diagnostics;
using System.Runtime.Intrinsics;
using Stage.Inference.Kernels;

namespace Stage.Benchmarks;

/// <summary>
/// The floor a decode step is measured against: how fast the kernel threads can merely read a buffer the size of
/// the weights a step streams (each thread sums its own contiguous half, vectorised; best of three passes).
/// </summary>
static unsafe class ReadBandwidth
{
    public static double GigabytesPerSecond(long bytes)
    {
        var buffer = new PinnedFloats(bytes / 4);
        buffer.Span.Fill(1f);
        int threads = KernelThreads.Count;
        long perThread = buffer.Length / threads;
        float* data = buffer.Pointer;
        double best = 0;
        var sums = new float[threads];
        for (int pass = 0; pass < 3; pass++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                float* p = data + t * perThread;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (long i = 0; i + 32 <= perThread; i += 32)
                {
                    a0 += Vector256.Load(p + i); a1 += Vector256.Load(p + i + 8);
                    a2 += Vector256.Load(p + i + 16); a3 += Vector256.Load(p + i + 24);
                }
                sums[t] = Vector256.Sum(a0 + a1 + a2 + a3);
            });
            best = Math.Max(best, perThread * threads * 4.0 / clock.Elapsed.TotalSeconds / 1e9);
        }
        GC.KeepAlive(sums);
        GC.KeepAlive(buffer);   // read through a raw pointer until here
        return best;
    }
}

using System.Diagnostics;

namespace Stage.Benchmarks;

/// <summary>Times a body after warming it up, and prints min / median / mean per iteration.</summary>
static class Measurement
{
    public static TimeSpan Run(string label, int warmup, int iterations, Action body, double? bytesPerIteration = null)
    {
        for (int i = 0; i < warmup; i++) body();
        var times = new double[iterations];
        var clock = new Stopwatch();
        for (int i = 0; i < iterations; i++)
        {
            clock.Restart();
            body();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Report(label, times, bytesPerIteration);
        return TimeSpan.FromMilliseconds(Median(times));
    }

    public static async Task<TimeSpan> RunAsync(string label, int warmup, int iterations, Func<Task> body, double? bytesPerIteration = null)
    {
        for (int i = 0; i < warmup; i++) await body();
        var times = new double[iterations];
        var clock = new Stopwatch();
        for (int i = 0; i < iterations; i++)
        {
            clock.Restart();
            await body();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Report(label, times, bytesPerIteration);
        return TimeSpan.FromMilliseconds(Median(times));
    }

    static void Report(string label, double[] times, double? bytes)
    {
        double median = Median(times);
        string rate = bytes is { } b ? $"  {b / (median / 1000) / 1e6:0} MB/s at the median" : "";
        Console.WriteLine($"  {label,-40} min {times.Min(),8:0.000} ms  median {median,8:0.000} ms  mean {times.Average(),8:0.000} ms  (n={times.Length}){rate}");
    }

    static double Median(double[] times)
    {
        var sorted = (double[])times.Clone();
        Array.Sort(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

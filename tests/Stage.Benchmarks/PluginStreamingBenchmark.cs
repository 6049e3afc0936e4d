using Stage.Plugin.Tests.Host;

namespace Stage.Benchmarks;

/// <summary>
/// The audio thread's worst case while stems stream: the published NativeAOT plugin (publish it first) in
/// the plugin tests' C# host at 64-sample blocks, through <see cref="StreamingSoak"/>'s session. Prints each
/// phase's process() median / 99.9th percentile / maximum and the collections the plugin's runtime made.
/// Runs 8× faster than real time unless given --real-time.
/// </summary>
static class PluginStreamingBenchmark
{
    public static int Run(string[] args)
    {
        var soak = new StreamingSoak(speedup: args.Contains("--real-time") ? 1 : 8);
        try { soak.Run(); }
        finally { HostEnvironment.KillEngines(); }
        Console.WriteLine($"  {StreamingSoak.Block}-sample blocks at 48 kHz ({StreamingSoak.Block / 48.0:0.00} ms each), host at {soak.Speedup}x real time; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"  {"phase",-50} {"audio",7} {"blocks",8} {"median",8} {"99.9%",8} {"max",8}  GCs (gen2, paused)  allocated");
        double[] all = soak.Phases.SelectMany(p => p.Microseconds).ToArray();
        foreach (var p in soak.Phases)
            Print(p.Name, p.AudioSeconds, p.Microseconds, p.Collections, p.Gen2, p.Paused, p.Allocated);
        var first = soak.Phases[0];
        var last = soak.Phases[^1];
        Print("whole session", soak.Phases.Sum(p => p.AudioSeconds), all, last.After.Gen0Collections - first.Before.Gen0Collections,
              last.After.Gen2Collections - first.Before.Gen2Collections, TimeSpan.FromTicks(last.After.PauseTicks - first.Before.PauseTicks),
              last.After.AllocatedBytes - first.Before.AllocatedBytes);
        return 0;
    }

    static void Print(string name, double audio, double[] micros, long gcs, long gen2, TimeSpan paused, long allocated)
    {
        var (median, p999, max) = StreamingSoak.Distribution(micros);
        Console.WriteLine($"  {name,-50} {audio,6:0.0}s {micros.Length,8} {median,6:0.00}µs {p999,6:0.0}µs {max,6:0}µs  {gcs,3} ({gen2}, {paused.TotalMilliseconds:0.0} ms)  {allocated / 1048576.0,8:0.00} MiB");
    }
}

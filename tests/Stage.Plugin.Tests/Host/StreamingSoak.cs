using System.Diagnostics;
using Stage.Plugin.Diagnostics;
using Stage.Shared.Music;

namespace Stage.Plugin.Tests.Host;

/// <summary>
/// A producer's session at a 64-sample buffer while stems stream in: the published plugin in the C# host
/// captures 16 bars at 60 BPM, then generates a 64 s stem (2 variations) while the transport keeps
/// playing, switches variations, replaces a generation mid-stream (a cancel), loses its engine mid-stream
/// and restarts it with the next press. Every process() call is timed and the plugin runtime's GC
/// counters are read around each phase. The host runs ahead of real time by <see cref="Speedup"/> (1 =
/// real-time pacing), so the engine's streaming overlaps minutes of host audio.
/// </summary>
sealed class StreamingSoak(int speedup = 8, int chunkMilliseconds = 7)
{
    public const int Block = 64;
    const double Rate = 48000, Tempo = 60;
    const int Generating = 2, StemReady = 3, EngineLost = 6, StatusSteps = 7;
    const int SixteenBars = 4, TwoVariations = 2;

    readonly List<double> microseconds = new(1 << 20);
    readonly List<Phase> phases = [];
    readonly float[] inL = new float[Block], inR = new float[Block];
    HostedStage stage = null!;
    long position;
    long started;

    public int Speedup => speedup;

    /// <summary>One stretch of the session: how much host audio it covered, its process() times and its GCs.</summary>
    public sealed record Phase(string Name, double AudioSeconds, double[] Microseconds, RuntimeCounters Before, RuntimeCounters After)
    {
        public long Collections => After.Gen0Collections - Before.Gen0Collections;   // every collection counts in gen 0
        public long Gen2 => After.Gen2Collections - Before.Gen2Collections;
        public TimeSpan Paused => TimeSpan.FromTicks(After.PauseTicks - Before.PauseTicks);
        public long Allocated => After.AllocatedBytes - Before.AllocatedBytes;
    }

    public IReadOnlyList<Phase> Phases => phases;

    /// <summary>The phase in which a whole 64 s stem streams in after its first chunk was heard.</summary>
    public Phase SteadyStreaming => phases.First(p => p.Name == "steady streaming");

    public void Run()
    {
        HostEnvironment.RemoveEngine();
        HostEnvironment.InstallTestEngine(chunkMilliseconds);
        using (stage = new HostedStage(Rate, maxBlock: Block))
        {
            var grid = new BarGrid(Tempo, 4, 4, Rate);
            started = Stopwatch.GetTimestamp();
            Measure("capture 16 bars", () => PlayUntil(() => position >= grid.BarsToSampleCount(16) + Block));

            stage.Automate(HostedStage.Bars, SixteenBars / 4.0);
            stage.Automate(Variations, (TwoVariations - 1) / 7.0);
            Press();
            Measure("request until first stem audio", () => PlayUntil(HearsStem, timeout: 60));
            Measure("steady streaming", () => PlayUntil(() => Status == StemReady, timeout: 120));
            Measure("stem playing, variation 2", () =>
            {
                stage.Automate(Variation, 1 / 7.0);
                long end = position + (long)(8 * Rate);
                PlayUntil(() => position >= end);
            });

            Measure("generation replaced mid-stream (a cancel)", () =>
            {
                HostEnvironment.SetChunkDelay(chunkMilliseconds);
                Press();
                PlayUntil(() => Status == Generating && HearsStem(), timeout: 60);
                long end = position + (long)(2 * Rate);
                PlayUntil(() => position >= end);
                Press();   // replaces the request in flight: the plugin cancels it
                PlayUntil(() => Status == StemReady, timeout: 120);
            });

            Measure("engine killed mid-stream", () =>
            {
                HostEnvironment.SetChunkDelay(40);   // slow enough that the kill lands mid-stream however busy the machine is
                Press();
                PlayUntil(() => Status == Generating && stage.StatusText.Contains('%'), timeout: 60);   // streaming: progress came
                long end = position + (long)(0.5 * Rate);
                PlayUntil(() => position >= end);
                HostEnvironment.KillEngines();
                PlayUntil(() => Status == EngineLost, timeout: 30);
            });
            Measure("engine restarted by the next press, stem streams", () =>
            {
                HostEnvironment.SetChunkDelay(chunkMilliseconds);
                Press();
                PlayUntil(() => Status == StemReady, timeout: 120);
            });
            Measure("after the session", () =>
            {
                long end = position + (long)(4 * Rate);
                PlayUntil(() => position >= end);
            });
        }
        HostEnvironment.KillEngines();
    }

    const uint Variation = 4, Variations = 5;

    int Status => (int)Math.Round(stage.ParamNormalized(HostedStage.Status) * StatusSteps);

    /// <summary>The last block carried stem audio (the test signal is silence, so any output is the stem).</summary>
    bool HearsStem() => lastHeard;
    bool lastHeard;

    void Press()
    {
        stage.Automate(HostedStage.Generate, 1);
        Step();
    }

    void Measure(string name, Action phase)
    {
        var before = Vst3Module.RuntimeCounters();
        int from = microseconds.Count;
        long fromPosition = position;
        phase();
        var after = Vst3Module.RuntimeCounters();
        phases.Add(new Phase(name, (position - fromPosition) / Rate, microseconds.GetRange(from, microseconds.Count - from).ToArray(), before, after));
    }

    void PlayUntil(Func<bool> done, double timeout = double.PositiveInfinity)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Math.Min(timeout, 1e6) * Stopwatch.Frequency);
        while (!done())
        {
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"the session did not move on within {timeout} s; Status says: {stage.StatusText}");
            Step();
        }
    }

    /// <summary>One 64-sample block of silence at the playing transport (the plugin's process() timed alone); paced to Speedup × real time.</summary>
    void Step()
    {
        var (outL, _) = stage.Process(inL, inR, new HostTransport(position, Tempo, 4, 4, SampleRate: Rate));
        microseconds.Add(stage.LastProcessTicks * 1e6 / Stopwatch.Frequency);
        lastHeard = Array.Exists(outL, v => v != 0f);
        position += Block;
        double aheadSeconds = position / Rate / speedup - Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (aheadSeconds > 0.002) Thread.Sleep(TimeSpan.FromSeconds(aheadSeconds));
    }

    /// <summary>Median, 99.9th percentile and maximum of <paramref name="values"/>, in µs.</summary>
    public static (double Median, double P999, double Max) Distribution(double[] values)
    {
        if (values.Length == 0) return (0, 0, 0);
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return (sorted[sorted.Length / 2], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.999))], sorted[^1]);
    }
}

using Stage.Plugin.Processing;
using Stage.Shared.Music;

namespace Stage.Benchmarks;

/// <summary>
/// The plugin's process() logic (Stage.Plugin.Processing, called directly) per 512-sample stereo block at
/// 48 kHz: pass-through, capturing, and capturing while playing a looped 4-bar stem, no generation.
/// Allocations are counted on the audio thread; under the JIT a method promoted to tier 1 during the
/// measured blocks can show a one-time few hundred bytes (the NativeAOT plugin has no JIT).
/// </summary>
static class PluginProcessBenchmark
{
    const int Block = 512;
    const int BlocksPerIteration = 2000;

    public static int Run(string[] args)
    {
        var grid = new BarGrid(120, 4, 4, 48000);
        Console.WriteLine($"  block {Block} samples stereo, 48 kHz: real-time budget {Block / 48000.0 * 1e6:0} µs per block");
        Measure("pass-through (not playing)", grid, capture: false, stem: false, playing: false);
        Measure("capturing", grid, capture: true, stem: false, playing: true);
        Measure("capturing + playing a looped stem", grid, capture: true, stem: true, playing: true);
        return 0;
    }

    static void Measure(string label, BarGrid grid, bool capture, bool stem, bool playing)
    {
        var plugin = new StagePlugin();
        plugin.PrepareCapture(grid.SampleRate);
        plugin.SetParameter(ParameterId.Capture, capture ? 1 : 0);
        if (stem)
        {
            int length = (int)grid.BarsToSampleCount(4);
            var s = new Stem(1, length, 0, grid.BarsToQuarterNotes(4), grid.SampleRate);
            var l = new float[length];
            var r = new float[length];
            var random = new Random(1);
            for (int i = 0; i < length; i++) { l[i] = (float)random.NextDouble() - 0.5f; r[i] = -l[i]; }
            s.Fill(0, l, r);
            plugin.PublishStem(s);
            plugin.SetParameter(ParameterId.StemLevel, StageParameters.Get(ParameterId.StemLevel).ToNormalized(-3));
        }
        var inL = new float[Block];
        var inR = new float[Block];
        for (int i = 0; i < Block; i++) { inL[i] = MathF.Sin(i * 0.01f); inR[i] = MathF.Cos(i * 0.01f); }
        var outL = new float[Block];
        var outR = new float[Block];
        long position = 0;
        long allocated = 0;
        var time = Measurement.Run($"{label} ({BlocksPerIteration} blocks)", warmup: 10, iterations: 30, () =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int b = 0; b < BlocksPerIteration; b++)
            {
                var t = Transport.FromHost(playing, 48000, position, true, position / 48000.0 * 2, true, 120, true, 4, 4);
                plugin.Process(inL, inR, [], [], outL, outR, t);
                position += Block;
            }
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Console.WriteLine($"  {"",-40} = {time.TotalMilliseconds * 1000 / BlocksPerIteration,8:0.00} µs per block, {allocated} bytes allocated in total");
    }
}

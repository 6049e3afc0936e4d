using Xunit.Abstractions;

namespace Stage.Plugin.Tests.Host;

/// <summary>
/// No garbage collection in the plugin while a stem streams: a collection suspends every thread that runs
/// the plugin's managed code, the host's audio thread included, for longer than a 64-sample buffer lasts.
/// Counted through the plugin's own runtime counters, not timed.
/// </summary>
[Collection("Host")]
public sealed class StreamingGcTests(ITestOutputHelper output) : IDisposable
{
    public void Dispose() => HostEnvironment.KillEngines();

    [Fact]
    public void No_collection_while_a_64_second_stem_streams_at_64_sample_blocks()
    {
        var soak = new StreamingSoak(speedup: 16);
        soak.Run();
        foreach (var phase in soak.Phases)
        {
            var (median, p999, max) = StreamingSoak.Distribution(phase.Microseconds);
            output.WriteLine($"{phase.Name}: {phase.AudioSeconds:0.0} s of audio, {phase.Microseconds.Length} blocks, process() median {median:0.00} µs, " +
                             $"99.9% {p999:0.0} µs, max {max:0} µs; {phase.Collections} GCs ({phase.Gen2} gen2, {phase.Paused.TotalMilliseconds:0.0} ms paused), {phase.Allocated / 1024} KiB allocated");
        }
        var steady = soak.SteadyStreaming;
        Assert.True(steady.AudioSeconds >= 60, $"the stem streamed over only {steady.AudioSeconds:0.0} s of host audio; the check needs 60");
        Assert.Equal(0, steady.Collections);
        // The restarted engine's stem streams into a slot the plugin already owns: no collection there either.
        Assert.Equal(0, soak.Phases.Single(p => p.Name.StartsWith("engine restarted")).Gen2);
    }
}

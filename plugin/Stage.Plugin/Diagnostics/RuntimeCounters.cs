using System.Runtime.InteropServices;

namespace Stage.Plugin.Diagnostics;

/// <summary>
/// The garbage collector's counters as the plugin's own runtime sees them. A NativeAOT plugin carries its
/// own runtime, invisible to the host process's tools, so a host (our test host, a benchmark) reads them
/// through the <c>StageRuntimeCounters</c> export to learn whether a collection could have held the audio thread.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct RuntimeCounters
{
    public long Gen0Collections, Gen1Collections, Gen2Collections;
    /// <summary>Total time every thread was paused by collections, in 100 ns ticks.</summary>
    public long PauseTicks;
    public long AllocatedBytes;
    public long HeapBytes;

    public static RuntimeCounters Now() => new()
    {
        Gen0Collections = GC.CollectionCount(0),
        Gen1Collections = GC.CollectionCount(1),
        Gen2Collections = GC.CollectionCount(2),
        PauseTicks = GC.GetTotalPauseDuration().Ticks,
        AllocatedBytes = GC.GetTotalAllocatedBytes(precise: false),
        HeapBytes = GC.GetTotalMemory(forceFullCollection: false),
    };
}

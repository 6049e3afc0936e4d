using Stage.Plugin.Processing;
using Stage.Shared.Music;

namespace Stage.Plugin.Tests.Processing;

public class AudioThreadTests
{
    [Fact]
    public void Process_allocates_nothing_while_capturing_playing_looping_and_taking_a_generate_press()
    {
        var plugin = new StagePlugin();
        plugin.PrepareCapture(48000);
        var grid = new BarGrid(120, 4, 4, 48000);
        var stem = new Stem(2, (int)grid.BarsToSampleCount(2), 0, 8, 48000);
        stem.Fill(0, new float[stem.Length], new float[stem.Length]);
        plugin.PublishStem(stem);
        var inL = new float[512];
        var inR = new float[512];
        var outL = new float[512];
        var outR = new float[512];
        void Block(long at) => plugin.Process(inL, inR, [], [], outL, outR, Blocks.At(at));
        // Warm up: first calls compile code (JIT allocations are not the plugin's; NativeAOT has no JIT).
        for (int i = 0; i < 50; i++)
        {
            if (i == 10) plugin.SetParameter(ParameterId.Generate, 1);
            if (i == 11) plugin.SetParameter(ParameterId.Generate, 0);
            Block(i * 512L);
        }
        Assert.True(plugin.GenerateRequests.TryRead(out _));
        // Let tiered compilation promote what the warm-up ran (its call counting and back-patching allocate on
        // the calling thread, which under load landed inside the measured blocks); NativeAOT has none of it.
        for (int pass = 0; pass < 2; pass++)
        {
            Thread.Sleep(300);
            for (int i = 0; i < 2000; i++) Block(i * 512L);
        }

        // Measured per block: allocations of the test's own loop (on-stack replacement by the JIT) do not count.
        long allocated = 0;
        int firstAllocating = -1;
        for (int i = 50; i < 2000; i++)
        {
            if (i == 1000) { plugin.SetParameter(ParameterId.Generate, 1); plugin.SetParameter(ParameterId.StemLevel, 0.5); }
            long before = GC.GetAllocatedBytesForCurrentThread();
            Block(i * 512L);
            long delta = GC.GetAllocatedBytesForCurrentThread() - before;
            if (delta != 0 && firstAllocating < 0) firstAllocating = i;
            allocated += delta;
        }
        Assert.True(allocated == 0, $"{allocated} bytes allocated, first in block {firstAllocating}");
        Assert.True(plugin.GenerateRequests.TryRead(out var ticket) && ticket.HasCapture);
    }
}

using Stage.Plugin.Processing;

namespace Stage.Plugin.Tests.Processing;

public class StemSlotTests
{
    [Fact]
    public void New_stems_alternate_between_two_slots_and_reuse_their_buffers_empty()
    {
        var plugin = new StagePlugin();
        var first = plugin.NewStem(2, 48_000, 0, 4, 48000);
        first.Fill(0, new float[48_000], new float[48_000]);
        plugin.PublishStem(first);
        var second = plugin.NewStem(1, 24_000, 8, 2, 48000);
        Assert.NotSame(first, second);
        plugin.PublishStem(second);
        // first is no longer played: it is the next request's slot, emptied and resized without allocating.
        Blocks.Run(plugin, new float[64], new float[64], Blocks.At(0));
        Blocks.Run(plugin, new float[64], new float[64], Blocks.At(64));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var third = plugin.NewStem(2, 40_000, 16, 4, 44100);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Same(first, third);
        Assert.Equal(0, allocated);
        Assert.Equal((40_000, 16.0, 44100.0), (third.Length, third.StartPpq, third.SampleRate));
        Assert.Equal(0, third.Available(0));
        Assert.Equal(40_000, third.Left(0).Length);
    }

    [Fact]
    public void A_larger_request_grows_the_slot()
    {
        var plugin = new StagePlugin();
        var small = plugin.NewStem(1, 100, 0, 4, 48000);
        Assert.True(small.Holds(1, 100));
        Assert.False(small.Holds(2, 100));
        small.Reset(3, 500, 0, 4, 48000);
        Assert.Equal((3, 500), (small.Variations, small.Length));
        Assert.True(small.Holds(3, 500));
    }

    [Fact]
    public void Interleaved_chunks_fill_both_channels_and_mono_plays_on_both()
    {
        var stem = new Stem(1, 8, 0, 4, 48000);
        stem.WriteInterleaved(0, 0, [1, -1, 2, -2], channels: 2);
        stem.WriteInterleaved(0, 2, [3, 4], channels: 1);
        Assert.Equal(4, stem.Available(0));
        Assert.Equal([1f, 2, 3, 4], stem.Left(0)[..4].ToArray());
        Assert.Equal([-1f, -2, 3, 4], stem.Right(0)[..4].ToArray());
    }
}

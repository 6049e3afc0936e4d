using Stage.Shared.Audio;

namespace Stage.Shared.Tests.Audio;

public class ChannelMixTests
{
    [Fact]
    public void MonoIsTheMeanOfTheChannels()
    {
        var stereo = new AudioBuffer([new[] { 1f, 0.5f, -1f }, new[] { 0f, 0.5f, 1f }], 44100);
        var mono = ChannelMix.ToMono(stereo);
        Assert.Equal(1, mono.ChannelCount);
        Assert.Equal(44100, mono.SampleRate);
        Assert.Equal([0.5f, 0.5f, 0f], mono.Channel(0));

        var three = new float[3];
        ChannelMix.MixToMono([0.3f, 0.6f, 0.9f, -0.3f, -0.6f, -0.9f, 1f, 1f, 1f], 3, three);
        Assert.Equal(0.6f, three[0], 6);
        Assert.Equal(-0.6f, three[1], 6);
        Assert.Equal(1f, three[2], 6);
    }

    [Fact]
    public void MonoOfMonoIsACopy()
    {
        var mono = new AudioBuffer([new[] { 0.25f }], 32000);
        var copy = ChannelMix.ToMono(mono);
        Assert.NotSame(mono.Channel(0), copy.Channel(0));
        Assert.Equal(mono.Channel(0), copy.Channel(0));
    }

    [Fact]
    public void StereoDuplicatesMonoAndKeepsStereo()
    {
        var stereo = ChannelMix.ToStereo(new AudioBuffer([new[] { 0.1f, 0.2f }], 32000));
        Assert.Equal([0.1f, 0.2f], stereo.Channel(0));
        Assert.Equal([0.1f, 0.2f], stereo.Channel(1));
        var again = ChannelMix.ToStereo(stereo);
        Assert.Equal(stereo.ToInterleaved(), again.ToInterleaved());
        Assert.Throws<ArgumentException>(() => ChannelMix.ToStereo(new AudioBuffer(3, 1, 32000)));

        var interleaved = new float[4];
        ChannelMix.DuplicateMonoToStereo([0.3f, -0.4f], interleaved);
        Assert.Equal([0.3f, 0.3f, -0.4f, -0.4f], interleaved);
    }

    [Fact]
    public void InterleavingRoundTrips()
    {
        var audio = AudioBuffer.FromInterleaved([1f, 2f, 3f, 4f, 5f, 6f], 3, 48000);
        Assert.Equal(2, audio.FrameCount);
        Assert.Equal([1f, 4f], audio.Channel(0));
        Assert.Equal([3f, 6f], audio.Channel(2));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], audio.ToInterleaved());
        Assert.Throws<ArgumentException>(() => AudioBuffer.FromInterleaved([1f, 2f, 3f], 2, 48000));
        Assert.Throws<ArgumentException>(() => new AudioBuffer([new float[2], new float[3]], 48000));
    }
}

using Stage.Inference.Generation;

namespace Stage.Inference.Tests.Generation;

public class ClickTrackTests
{
    [Theory]
    [InlineData("click", 100.0, 4, 0.137, 96000)]
    [InlineData("click2", 123.0, 3, 0.041, 48000)]
    public void BeatPositionsMatchStage(string group, double bpm, int meter, double firstBeat, int length)
    {
        var golden = GoldenTensors.Shared;
        var (beats, downbeats) = ClickTrack.BeatSamples(bpm, meter, firstBeat, length);
        Assert.Equal(golden.Longs(group + ".beat_samples"), beats);
        Assert.Equal(golden.Longs(group + ".downbeat_samples"), downbeats);
        Assert.Equal(golden.Longs(group + ".placed_beat_samples"), beats.Select(ClickTrack.PlacedSample));
        Assert.Equal(golden.Longs(group + ".placed_downbeat_samples"), downbeats.Select(ClickTrack.PlacedSample));
    }

    [Theory]
    [InlineData("click", 100.0, 4, 0.137, 96000)]
    [InlineData("click2", 123.0, 3, 0.041, 48000)]
    public void AudioIsBitExact(string group, double bpm, int meter, double firstBeat, int length)
    {
        var expected = GoldenTensors.Shared.Floats(group + ".audio");
        var actual = ClickTrack.Synthesize(bpm, meter, firstBeat, length);
        Assert.Equal(expected.Length, actual.Length);
        int mismatches = 0;
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i])) mismatches++;
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void PlacementQuirkLandsOneSampleEarly()
    {
        // golden.md: int((k / 32000) * 32000) == k - 1 for some k, e.g. 1001 and 32532.
        Assert.Equal(1000, ClickTrack.PlacedSample(1001));
        Assert.Equal(32531, ClickTrack.PlacedSample(32532));
        Assert.Equal(32000, ClickTrack.PlacedSample(32000));
    }

    [Fact]
    public void DownbeatAfterTheStartExtendsTheGridBackwards()
    {
        // Bar line at 1.0 s at 120 BPM in 4/4: beats at 0.0, 0.5 precede it; the downbeat is beat 2.
        var (beats, downbeats) = ClickTrack.BeatSamples(120, 4, 1.0, 64000);
        Assert.Equal(new long[] { 0, 16000, 32000, 48000 }, beats);
        Assert.Equal(new long[] { 32000 }, downbeats);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-10.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RejectsNonPositiveTempo(double bpm)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ClickTrack.Synthesize(bpm, 4, 0, 100));
        Assert.Contains("tempo", e.Message);
    }
}

using Stage.Engine.Jobs;
using Stage.Inference.Generation;

namespace Stage.Engine.Tests.Jobs;

public class StemLengthTests
{
    [Theory]
    [InlineData(0.24, 12)]
    [InlineData(10.0, 500)]
    [InlineData(0.01, 0)]   // round(0.5) = 0 (half to even): rejected below
    [InlineData(0.03, 2)]   // round(1.5) = 2
    [InlineData(1.234, 62)] // round(61.7)
    public void SecondsAreRoundedToFrames(double seconds, int frames)
    {
        if (frames == 0)
        {
            Assert.Throws<StemInputException>(() => StemDuration.FromSeconds(seconds, 32000));
            return;
        }
        var length = StemDuration.FromSeconds(seconds, 32000);
        Assert.Equal(frames, length.Frames);
        Assert.Equal(frames * 640L, length.OutputSamples);
        Assert.Equal(frames * 640L * 48000 / 32000, StemDuration.FromSeconds(seconds, 48000).OutputSamples);
    }

    [Theory]
    [InlineData(4, 120.0, 4, 4, 48000, 384000)]   // 8 s
    [InlineData(8, 70.0, 4, 4, 44100, 1209600)]    // 27.43 s: round(32 * 60/70 * 44100)
    [InlineData(2, 97.0, 6, 8, 48000, 178144)]     // 6 quarter notes = 3.7113 s
    [InlineData(3, 133.0, 7, 8, 32000, 151579)] // 10.5 quarter notes
    public void BarsAreTrimmedToTheGridsSampleCount(int bars, double bpm, int n, int d, int rate, long samples)
    {
        var length = StemDuration.FromBars(bars, bpm, n, d, rate);
        Assert.Equal(samples, length.OutputSamples);
        Assert.True(StemDuration.ResampledLength(length.Frames * 640L, rate) >= samples);
        Assert.True(StemDuration.ResampledLength((length.Frames - 1) * 640L, rate) < samples);
    }

    [Fact]
    public void LongRequestsAreRefusedWithTheLimit()
    {
        Assert.Contains("60 s limit", Assert.Throws<StemInputException>(() => StemDuration.FromSeconds(61, 32000)).Message);
        Assert.Contains("60 s limit", Assert.Throws<StemInputException>(() => StemDuration.FromBars(64, 60, 4, 4, 48000)).Message);
        Assert.Contains("not a positive", Assert.Throws<StemInputException>(() => StemDuration.FromSeconds(-1, 32000)).Message);
    }
}

using Stage.Inference.Generation;

namespace Stage.Inference.Tests.Generation;

public class StemContextTests
{
    static readonly ClickGrid Grid = new(120, 4, 4, 0);

    static float[] Tone(int length, float amplitude)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = amplitude * MathF.Sin(i * 0.05f);
        return x;
    }

    [Fact]
    public void MixtureWhoseLoudestSampleIsNegativeIsNotSilent()
    {
        var mixture = new float[32000];
        mixture[100] = 0.001f;
        mixture[200] = -0.5f;
        var context = StemContext.Prepare(ContextMode.Mixture, mixture, null, 32000);
        Assert.Same(mixture, context.Signal);
    }

    [Fact]
    public void MixtureIsUsedAsIsAndWindowedAtTenSeconds()
    {
        var mixture = Tone(12 * 32000, 0.5f);
        var context = StemContext.Prepare(ContextMode.Mixture, mixture, null, 8 * 32000);
        Assert.Same(mixture, context.Signal);
        Assert.Equal(StemContext.WindowSamples, context.Window(0).Length);
        Assert.Equal(2 * 32000, context.Window(10 * 32000).Length);
        Assert.True(context.Window(12 * 32000).IsEmpty);
    }

    [Fact]
    public void ClickCoversTenSecondsOrTheWholeStem()
    {
        var shortStem = StemContext.Prepare(ContextMode.Click, null, Grid, 4 * 32000);
        Assert.Equal(StemContext.WindowSamples, shortStem.Signal.Length);
        Assert.Equal(ClickTrack.Synthesize(120, 4, 0, StemContext.WindowSamples), shortStem.Signal);
        var longStem = StemContext.Prepare(ContextMode.Click, null, Grid, 25 * 32000);
        Assert.Equal(25 * 32000, longStem.Signal.Length);
    }

    [Fact]
    public void BothSumsMixtureAndClickUnclipped()
    {
        var mixture = Tone(3 * 32000, 0.9f);
        var context = StemContext.Prepare(ContextMode.Both, mixture, Grid, 4 * 32000);
        var click = ClickTrack.Synthesize(120, 4, 0, StemContext.WindowSamples);
        Assert.Equal(StemContext.WindowSamples, context.Signal.Length);
        for (int i = 0; i < mixture.Length; i++) Assert.Equal(mixture[i] + click[i], context.Signal[i]);
        for (int i = mixture.Length; i < click.Length; i++) Assert.Equal(click[i], context.Signal[i]);
        Assert.True(context.Signal.Max() > 1f);
    }

    [Fact]
    public void SixEightClicksEighthNotesWithDownbeatEverySix()
    {
        // 6/8 at 120 quarter-note BPM: eighths every 0.25 s, a bar is 1.5 s.
        var grid = new ClickGrid(120, 6, 8, 0);
        Assert.Equal(240, grid.BeatsPerMinute);
        var (beats, downbeats) = ClickTrack.BeatSamples(grid.BeatsPerMinute, 6, 0, 3 * 32000);
        Assert.Equal(12, beats.Length);
        Assert.Equal(new long[] { 0, 48000 }, downbeats);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.0005f)]
    public void SilentMixtureIsAnError(float amplitude)
    {
        var e = Assert.Throws<StemInputException>(() =>
            StemContext.Prepare(ContextMode.Mixture, Tone(32000, amplitude), null, 32000));
        Assert.Contains("silent", e.Message);
        Assert.Throws<StemInputException>(() => StemContext.Prepare(ContextMode.Both, Tone(32000, amplitude), Grid, 32000));
    }

    [Fact]
    public void MixtureModesNeedAudio()
    {
        Assert.Contains("needs context audio",
            Assert.Throws<StemInputException>(() => StemContext.Prepare(ContextMode.Mixture, null, null, 32000)).Message);
        Assert.Contains("shorter than one model frame",
            Assert.Throws<StemInputException>(() => StemContext.Prepare(ContextMode.Mixture, Tone(100, 0.5f), null, 32000)).Message);
        var nan = Tone(32000, 0.5f);
        nan[5] = float.NaN;
        Assert.Contains("NaN", Assert.Throws<StemInputException>(() => StemContext.Prepare(ContextMode.Mixture, nan, null, 32000)).Message);
    }

    [Fact]
    public void MonoIsTheChannelMean()
    {
        var mono = ContextAudio.MixToMono([1f, 0f, 0.5f, -0.5f, 0.25f, 0.75f], 2);
        Assert.Equal([0.5f, 0f, 0.5f], mono);
        Assert.Throws<StemInputException>(() => ContextAudio.MixToMono([1f, 2f, 3f], 2));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-5.0)]
    [InlineData(double.NaN)]
    public void BadTempoIsAnError(double bpm) =>
        Assert.Contains("tempo", Assert.Throws<StemInputException>(() => new ClickGrid(bpm, 4, 4, 0)).Message);
}

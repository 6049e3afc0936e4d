using Stage.Shared.Music;

namespace Stage.Shared.Tests.Music;

public class BarGridTests
{
    [Fact]
    public void TempoConvertsQuarterNotesAndSeconds()
    {
        var tempo = new Tempo(120);
        Assert.Equal(0.5, tempo.SecondsPerQuarterNote);
        Assert.Equal(4.0, tempo.SecondsToQuarterNotes(2.0));
        Assert.Equal(3.0, tempo.QuarterNotesToSeconds(6.0));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-10.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void TempoRejectsNonsense(double bpm) => Assert.Throws<ArgumentOutOfRangeException>(() => new Tempo(bpm));

    [Theory]
    [InlineData(4, 4, 4.0, 1.0)]
    [InlineData(3, 4, 3.0, 1.0)]
    [InlineData(6, 8, 3.0, 0.5)]
    [InlineData(7, 8, 3.5, 0.5)]
    [InlineData(2, 2, 4.0, 2.0)]
    [InlineData(5, 16, 1.25, 0.25)]
    public void MeterGivesBarAndBeatLengthInQuarterNotes(int num, int den, double perBar, double perBeat)
    {
        var meter = new TimeSignature(num, den);
        Assert.Equal(perBar, meter.QuarterNotesPerBar);
        Assert.Equal(perBeat, meter.QuarterNotesPerBeat);
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(4, 0)]
    [InlineData(4, 3)]
    [InlineData(4, 512)]
    [InlineData(-3, 4)]
    public void MeterRejectsNonsense(int num, int den) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeSignature(num, den));

    [Fact]
    public void DefaultStructsAreRefusedByTheGrid()
    {
        Assert.Throws<ArgumentException>(() => new BarGrid(default, TimeSignature.FourFour, 48000));
        Assert.Throws<ArgumentException>(() => new BarGrid(new Tempo(120), default, 48000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BarGrid(120, 4, 4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BarGrid(120, 4, 4, double.NaN));
    }

    [Fact]
    public void ConvertsBetweenQuarterNotesSecondsAndSamples()
    {
        var grid = new BarGrid(120, 4, 4, 48000);
        Assert.Equal(24000.0, grid.SamplesPerQuarterNote);
        Assert.Equal(96000.0, grid.SamplesPerBar);
        Assert.Equal(2.0, grid.SecondsPerBar);
        Assert.Equal(36000.0, grid.QuarterNotesToSamples(1.5));
        Assert.Equal(1.5, grid.SamplesToQuarterNotes(36000));
        Assert.Equal(0.75, grid.QuarterNotesToSeconds(1.5));
        Assert.Equal(1.5, grid.SecondsToQuarterNotes(0.75));
        Assert.Equal(72000.0, grid.SecondsToSamples(1.5));
        Assert.Equal(1.5, grid.SamplesToSeconds(72000));
        Assert.Equal(-48000.0, grid.QuarterNotesToSamples(-2));
    }

    [Fact]
    public void BarLengthsAreExactAndRoundedHalfUp()
    {
        // 140 BPM, 4/4, 44.1 kHz: one bar = 4 * 60/140 * 44100 = 75600 samples exactly.
        var grid = new BarGrid(140, 4, 4, 44100);
        Assert.Equal(75600.0, grid.BarsToSamples(1), 9);
        Assert.Equal(8 * 75600L, grid.BarsToSampleCount(8));

        // 133 BPM, 4/4, 48 kHz: one bar = 86616.541... samples; 4 bars = 346466.165... -> 346466.
        var odd = new BarGrid(133, 4, 4, 48000);
        Assert.Equal(4 * 4 * 60.0 / 133 * 48000, odd.BarsToSamples(4), 6);
        Assert.Equal(346466L, odd.BarsToSampleCount(4));
        Assert.Equal(86617L, odd.BarsToSampleCount(1)); // 86616.54 rounds up
        Assert.Equal(0L, odd.BarsToSampleCount(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => odd.BarsToSampleCount(-1));
    }

    [Theory]
    [InlineData(2.5, 3L)]
    [InlineData(2.4999, 2L)]
    [InlineData(-2.5, -2L)]
    [InlineData(-2.6, -3L)]
    [InlineData(0.0, 0L)]
    public void RoundToSampleRoundsHalfUp(double exact, long expected) => Assert.Equal(expected, BarGrid.RoundToSample(exact));

    [Fact]
    public void RoundToSampleRejectsNonFinite() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => BarGrid.RoundToSample(double.NaN));

    [Fact]
    public void StemLengthEqualsTheRegionOffsetAtTheRegionEnd()
    {
        // The engine trims a stem to BarsToSampleCount(N); the plugin plays stem sample i at region-relative offset
        // QuarterNotesToSampleCount(p - regionStart). They must meet exactly at the region's end.
        foreach (var bpm in new[] { 60.0, 87.5, 99.0, 120.0, 133.0, 140.0, 174.0, 200.0 })
        foreach (var rate in new[] { 32000.0, 44100.0, 48000.0, 88200.0, 96000.0 })
        foreach (var meter in new[] { new TimeSignature(4, 4), new TimeSignature(3, 4), new TimeSignature(7, 8) })
        foreach (var bars in new[] { 1, 2, 4, 8, 16 })
        {
            var grid = new BarGrid(new Tempo(bpm), meter, rate);
            var span = grid.LastWholeBars(grid.BarStartQuarterNotes(37) + 0.3, bars);
            var regionLength = grid.EndQuarterNotes(span) - grid.StartQuarterNotes(span);
            Assert.Equal(grid.BarsToSampleCount(bars), grid.QuarterNotesToSampleCount(regionLength));
        }
    }

    [Theory]
    [InlineData(0.0, 0L)]
    [InlineData(3.999, 0L)]
    [InlineData(4.0, 1L)]
    [InlineData(7.9999999999, 2L)] // a hair before a bar line counts as on it
    [InlineData(17.0, 4L)]
    [InlineData(-0.001, -1L)]
    [InlineData(-4.0, -1L)]
    [InlineData(-4.0001, -2L)]
    [InlineData(-0.0000000001, 0L)]
    public void BarIndexIn44(double ppq, long bar) => Assert.Equal(bar, new BarGrid(120, 4, 4, 48000).BarIndexAt(ppq));

    [Fact]
    public void BarStartsInOtherMetersAndNegativePositions()
    {
        var waltz = new BarGrid(90, 3, 4, 44100);
        Assert.Equal(2L, waltz.BarIndexAt(6.0));
        Assert.Equal(6.0, waltz.BarStartAt(8.9));
        Assert.Equal(-3.0, waltz.BarStartAt(-0.5));

        var sevenEight = new BarGrid(120, 7, 8, 48000);
        Assert.Equal(3L, sevenEight.BarIndexAt(10.6));
        Assert.Equal(10.5, sevenEight.BarStartAt(10.6));
        Assert.Equal(-3.5, sevenEight.BarStartQuarterNotes(-1));
    }

    [Fact]
    public void BarOriginShiftsTheBarLines()
    {
        var grid = new BarGrid(new Tempo(120), TimeSignature.FourFour, 48000, barOriginQuarterNotes: 1.0);
        Assert.Equal(0L, grid.BarIndexAt(1.0));
        Assert.Equal(-1L, grid.BarIndexAt(0.5));
        Assert.Equal(5.0, grid.BarStartAt(8.9));
    }

    [Fact]
    public void BarBeatRoundTrips()
    {
        var grid = new BarGrid(120, 6, 8, 48000);
        var position = grid.ToBarBeat(7.25); // bar 2 starts at 6; 1.25 quarter notes = 2.5 eighths
        Assert.Equal(new BarBeat(2, 2.5), position);
        Assert.Equal(7.25, grid.ToQuarterNotes(position));
        Assert.Equal("bar 3 beat 3.5", position.ToString());

        var preRoll = grid.ToBarBeat(-0.5);
        Assert.Equal(-1L, preRoll.Bar);
        Assert.Equal(5.0, preRoll.Beat);
        Assert.Equal(-0.5, grid.ToQuarterNotes(preRoll));
    }

    [Fact]
    public void LastWholeBarsExcludeTheUnfinishedBar()
    {
        var grid = new BarGrid(120, 4, 4, 48000);
        var span = grid.LastWholeBars(17.0, 2);
        Assert.Equal(new BarSpan(2, 2), span);
        Assert.Equal(8.0, grid.StartQuarterNotes(span));
        Assert.Equal(16.0, grid.EndQuarterNotes(span));

        // Exactly on a bar line (or a hair before it): the span ends there.
        Assert.Equal(new BarSpan(2, 2), grid.LastWholeBars(16.0, 2));
        Assert.Equal(new BarSpan(2, 2), grid.LastWholeBars(15.99999999999, 2));
        // Just after the bar line, bar 4 is unfinished: still bars 2 and 3.
        Assert.Equal(new BarSpan(2, 2), grid.LastWholeBars(16.01, 2));
        // Early in the song the span reaches into negative (pre-roll) bars; the caller decides whether it has them.
        Assert.Equal(new BarSpan(-4, 4), grid.LastWholeBars(2.0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => grid.LastWholeBars(16.0, 0));
    }

    [Fact]
    public void BarSpanContainsItsBars()
    {
        var span = new BarSpan(-1, 2);
        Assert.Equal(1L, span.EndBar);
        Assert.True(span.Contains(-1));
        Assert.True(span.Contains(0));
        Assert.False(span.Contains(1));
        Assert.False(span.Contains(-2));
    }

    [Fact]
    public void RandomPositionsLieInTheirBarAndRoundTrip()
    {
        var random = new Random(7);
        int[] denominators = [2, 4, 8, 16];
        for (var trial = 0; trial < 2000; trial++)
        {
            var grid = new BarGrid(
                new Tempo(40 + random.NextDouble() * 260),
                new TimeSignature(random.Next(1, 16), denominators[random.Next(denominators.Length)]),
                new[] { 32000.0, 44100.0, 48000.0, 96000.0 }[random.Next(4)],
                barOriginQuarterNotes: random.Next(0, 2) == 0 ? 0 : random.NextDouble() * 8 - 4);
            var ppq = random.NextDouble() * 4000 - 100;
            var bar = grid.BarIndexAt(ppq);
            var start = grid.BarStartQuarterNotes(bar);
            Assert.InRange(ppq, start - BarGrid.BarLineTolerance, start + grid.QuarterNotesPerBar);
            Assert.Equal(bar, grid.BarIndexAt(start));

            var position = grid.ToBarBeat(ppq);
            Assert.InRange(position.Beat, 0, grid.Meter.Numerator);
            Assert.Equal(ppq, grid.ToQuarterNotes(position), 9);

            var bars = random.Next(1, 17);
            var span = grid.LastWholeBars(ppq, bars);
            Assert.True(grid.EndQuarterNotes(span) <= ppq + BarGrid.BarLineTolerance);
            Assert.True(grid.EndQuarterNotes(span) > ppq - grid.QuarterNotesPerBar);
            Assert.Equal(grid.BarsToQuarterNotes(bars), grid.EndQuarterNotes(span) - grid.StartQuarterNotes(span), 9);

            Assert.Equal(ppq, grid.SamplesToQuarterNotes(grid.QuarterNotesToSamples(ppq)), 9);
            Assert.Equal(ppq, grid.SecondsToQuarterNotes(grid.SamplesToSeconds(grid.QuarterNotesToSamples(ppq))), 9);
            Assert.InRange(grid.BarsToSampleCount(bars) - grid.BarsToSamples(bars), -0.5, 0.5);
        }
    }
}

using Stage.Shared.Audio.Resampling;
using Xunit.Abstractions;

namespace Stage.Shared.Tests.Audio.Resampling;

/// <summary>The frequency response of the polyphase table itself (all phases interleaved back into the prototype
/// filter at L × the input rate), on a dense grid over the whole passband and the whole stopband.</summary>
public class FilterResponseTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(32000, 48000)]
    [InlineData(48000, 32000)]
    [InlineData(32000, 96000)]
    [InlineData(96000, 32000)]
    [InlineData(32000, 44100)]
    [InlineData(44100, 32000)]
    public void PrototypeMeetsTheSpecification(int inputRate, int outputRate)
    {
        var filter = PolyphaseSincFilter.For(inputRate, outputRate);
        var (up, taps) = (filter.UpFactor, filter.TapCount);
        var lowerNyquist = Math.Min(inputRate, outputRate) / 2.0;
        var prototypeRate = (double)inputRate * up;
        var points = up > 100 ? 250 : 2000;
        // Sidelobes only fall with frequency: the stopband is searched from its edge to twice the higher rate.
        var stopTo = Math.Min(prototypeRate / 2, 2.0 * Math.Max(inputRate, outputRate));

        var worstPassDb = 0.0;
        for (var i = 0; i <= points; i++)
        {
            var db = GainDb(filter, PolyphaseSincFilter.PassbandEdge * lowerNyquist * i / points, inputRate);
            if (Math.Abs(db) > Math.Abs(worstPassDb)) worstPassDb = db;
        }
        var worstStopDb = -999.0;
        var worstStopHz = 0.0;
        var stopFrom = PolyphaseSincFilter.StopbandEdge * lowerNyquist;
        for (var i = 0; i <= points; i++)
        {
            var hz = stopFrom + (stopTo - stopFrom) * i / points;
            var db = GainDb(filter, hz, inputRate);
            if (db > worstStopDb) (worstStopDb, worstStopHz) = (db, hz);
        }
        output.WriteLine($"{inputRate}->{outputRate}: {up} phases x {taps} taps; passband (0-{PolyphaseSincFilter.PassbandEdge * lowerNyquist:0} Hz) worst {worstPassDb:0.000000} dB; stopband ({stopFrom:0}-{stopTo:0} Hz) worst {worstStopDb:0.0} dB at {worstStopHz:0} Hz");
        Assert.InRange(Math.Abs(worstPassDb), 0, 0.001);
        Assert.InRange(worstStopDb, -999, -105);
        Assert.Equal(0, taps % 16);
    }

    /// <summary>|H(f)| of the prototype normalised to DC: every tap sits at distance τ = (K/2 − 1 − j) + p/L input samples.</summary>
    private static double GainDb(PolyphaseSincFilter filter, double hz, int inputRate)
    {
        double re = 0, im = 0, dc = 0;
        var (up, taps) = (filter.UpFactor, filter.TapCount);
        var omega = 2 * Math.PI * hz / inputRate;
        var (stepRe, stepIm) = (Math.Cos(omega), Math.Sin(omega)); // τ falls by one per tap: e^{−iωτ} turns by e^{iω}
        for (var p = 0; p < up; p++)
        {
            var phase = filter.Phase(p);
            var tau0 = taps / 2 - 1 + (double)p / up;
            var (rotRe, rotIm) = (Math.Cos(omega * tau0), -Math.Sin(omega * tau0));
            for (var j = 0; j < taps; j++)
            {
                re += phase[j] * rotRe;
                im += phase[j] * rotIm;
                dc += phase[j];
                (rotRe, rotIm) = (rotRe * stepRe - rotIm * stepIm, rotRe * stepIm + rotIm * stepRe);
            }
        }
        return 20 * Math.Log10(Math.Sqrt(re * re + im * im) / dc);
    }
}

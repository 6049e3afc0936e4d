using Stage.Shared.Audio.Resampling;
using Xunit.Abstractions;

namespace Stage.Shared.Tests.Audio.Resampling;

/// <summary>Measures the converter with sine tones: passband gain error, alignment (phase), and stopband rejection
/// (aliases when going down, images and any other residue going up).</summary>
public class ConverterQualityTests(ITestOutputHelper output)
{
    public static TheoryData<int, int> Ratios => new()
    {
        { 32000, 44100 }, { 32000, 48000 }, { 32000, 96000 },
        { 44100, 32000 }, { 48000, 32000 }, { 96000, 32000 },
        { 44100, 48000 }, { 32000, 22050 }, { 192000, 32000 }, { 11025, 32000 },
    };

    private const double PassbandToleranceDb = 0.1;
    private const double RequiredRejectionDb = 100;
    private const double Amplitude = 0.5;

    [Theory]
    [MemberData(nameof(Ratios))]
    public void PassbandIsFlatAndAlignedUpToNinetyPercentOfTheLowerNyquist(int inputRate, int outputRate)
    {
        var lowerNyquist = Math.Min(inputRate, outputRate) / 2.0;
        double worstGainDb = 0, worstPhase = 0, worstResidueDb = -999;
        for (var i = 0; i <= 24; i++)
        {
            var frequency = 20 + (0.9 * lowerNyquist - 20) * i / 24;
            var input = Signals.Sine(inputRate / 5, frequency, inputRate, Amplitude, phase: 0.3);
            var result = SampleRateConverter.Resample(input, inputRate, outputRate);
            var (from, to) = Steady(result.Length, outputRate);
            var (amplitude, phase, residual) = Signals.FitTone(result, from, to, frequency, outputRate);
            var gainDb = Signals.Db(amplitude / Amplitude);
            var phaseError = Math.Abs(Math.IEEERemainder(phase - 0.3, 2 * Math.PI));
            var residueDb = Signals.Db(residual * Math.Sqrt(2) / Amplitude);
            if (Math.Abs(gainDb) > Math.Abs(worstGainDb)) worstGainDb = gainDb;
            worstPhase = Math.Max(worstPhase, phaseError);
            worstResidueDb = Math.Max(worstResidueDb, residueDb);
        }
        output.WriteLine($"{inputRate}->{outputRate}: worst passband gain error {worstGainDb:0.000000} dB, worst phase error {worstPhase:E2} rad, worst residue {worstResidueDb:0.0} dB");
        Assert.InRange(Math.Abs(worstGainDb), 0, PassbandToleranceDb);
        // Zero-phase alignment: the output tone has the input's phase at the same instant (1e-4 rad is 0.002 samples at 16 kHz/32 kHz).
        Assert.InRange(worstPhase, 0, 1e-4);
        Assert.InRange(worstResidueDb, -999, -RequiredRejectionDb);
    }

    [Theory]
    [MemberData(nameof(Ratios))]
    public void StopbandRejectsAtLeast100Db(int inputRate, int outputRate)
    {
        var worstDb = -999.0;
        var worstFrequency = 0.0;
        var inputNyquist = inputRate / 2.0;
        if (inputRate > outputRate)
        {
            // Tones the output cannot carry (from its Nyquist frequency up) must vanish instead of aliasing.
            var outputNyquist = outputRate / 2.0;
            for (var i = 0; i <= 24; i++)
            {
                var frequency = outputNyquist + (0.995 * inputNyquist - outputNyquist) * i / 24;
                var result = SampleRateConverter.Resample(Signals.Sine(inputRate / 5, frequency, inputRate, Amplitude), inputRate, outputRate);
                var (from, to) = Steady(result.Length, outputRate);
                var db = Signals.Db(Signals.Rms(result, from, to) * Math.Sqrt(2) / Amplitude);
                if (db > worstDb) (worstDb, worstFrequency) = (db, frequency);
            }
        }
        else
        {
            // Every input tone, including the transition band 0.9–1.0 of the input Nyquist, must come out without images.
            for (var i = 0; i <= 24; i++)
            {
                var frequency = 50 + (0.995 * inputNyquist - 50) * i / 24;
                var result = SampleRateConverter.Resample(Signals.Sine(inputRate / 5, frequency, inputRate, Amplitude), inputRate, outputRate);
                var (from, to) = Steady(result.Length, outputRate);
                var (_, _, residual) = Signals.FitTone(result, from, to, frequency, outputRate);
                var db = Signals.Db(residual * Math.Sqrt(2) / Amplitude);
                if (db > worstDb) (worstDb, worstFrequency) = (db, frequency);
            }
        }
        output.WriteLine($"{inputRate}->{outputRate}: worst stopband leakage {worstDb:0.0} dB (at an input tone of {worstFrequency:0} Hz)");
        Assert.InRange(worstDb, -999, -RequiredRejectionDb);
    }

    [Fact]
    public void TransitionBandFallsBetweenPassbandAndStopband()
    {
        // At the lower Nyquist × 0.95 (the cut-off) the gain is about −6 dB; this pins the band edges where documented.
        var result = SampleRateConverter.Resample(Signals.Sine(9600, 0.95 * 16000, 48000, Amplitude), 48000, 32000);
        var (from, to) = Steady(result.Length, 32000);
        var (amplitude, _, _) = Signals.FitTone(result, from, to, 0.95 * 16000, 32000);
        Assert.InRange(Signals.Db(amplitude / Amplitude), -6.5, -5.5);
    }

    /// <summary>The part of an output free of the start and end transients (the filter is at most ~450 taps long).</summary>
    private static (int From, int To) Steady(int length, int rate) => (rate / 50, length - rate / 50);
}

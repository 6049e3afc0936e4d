using Stage.Inference.Generation;
using Stage.Shared.Audio.Resampling;
using Stage.Shared.Music;

namespace Stage.Engine.Jobs;

/// <summary>
/// How long a stem is: <see cref="Frames"/> model frames (50 per second) to generate and
/// <see cref="OutputSamples"/> samples at the output rate to deliver.
/// </summary>
/// <remarks>
/// Seconds: exactly round(S × 50) frames, delivered whole (frames × 640 samples at 32 kHz, resampled).
/// Bars: <see cref="BarGrid.BarsToSampleCount"/>'s expression for the samples at the output rate — the same rounding the plugin's
/// grid uses — and enough frames to cover them; the decoded audio is trimmed to that exact length.
/// </remarks>
public readonly record struct StemDuration(int Frames, long OutputSamples)
{
    public const int FramesPerSecond = 50;

    /// <summary>The longest stem one request may ask for.</summary>
    public const double MaxSeconds = 60;

    public static StemDuration FromSeconds(double seconds, int sampleRate)
    {
        if (!double.IsFinite(seconds) || seconds <= 0)
            throw new StemInputException($"stem length {seconds} s is not a positive number of seconds");
        if (seconds > MaxSeconds)
            throw new StemInputException($"stem length {seconds:0.###} s is longer than the {MaxSeconds} s limit");
        int frames = (int)Math.Round(seconds * FramesPerSecond, MidpointRounding.ToEven);
        if (frames < 1)
            throw new StemInputException($"stem length {seconds} s is shorter than one model frame (20 ms)");
        return new StemDuration(frames, ResampledLength(frames * (long)StemContext.SamplesPerFrame, sampleRate));
    }

    public static StemDuration FromBars(double bars, double bpm, int numerator, int denominator, int sampleRate)
    {
        if (!double.IsFinite(bars) || bars < 1)
            throw new StemInputException($"{bars} bars: a stem is at least one bar long");
        var modelGrid = new BarGrid(bpm, numerator, denominator, StemContext.SampleRate);
        double seconds = modelGrid.BarsToSeconds(bars);
        if (seconds > MaxSeconds)
            throw new StemInputException(
                $"{bars} bars of {numerator}/{denominator} at {bpm:0.###} BPM last {seconds:0.#} s, longer than the {MaxSeconds} s limit");
        var outputGrid = new BarGrid(bpm, numerator, denominator, sampleRate);
        long outputSamples = outputGrid.QuarterNotesToSampleCount(outputGrid.BarsToQuarterNotes(bars));
        int frames = (int)Math.Ceiling(modelGrid.BarsToSamples(bars) / StemContext.SamplesPerFrame);
        // The resampled decode must hold every output sample.
        while (ResampledLength(frames * (long)StemContext.SamplesPerFrame, sampleRate) < outputSamples) frames++;
        return new StemDuration(frames, outputSamples);
    }

    /// <summary>Samples at <paramref name="sampleRate"/> of <paramref name="modelSamples"/> at 32 kHz, as the
    /// resampler delivers them.</summary>
    public static long ResampledLength(long modelSamples, int sampleRate) =>
        SampleRateConverter.OutputFrameCount(modelSamples, StemContext.SampleRate, sampleRate);
}

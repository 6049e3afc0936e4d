using NAudio.Dsp;
using Stage.Shared.Audio;
using Stage.Shared.Audio.Resampling;

namespace Stage.Benchmarks;

/// <summary>
/// Our <see cref="SampleRateConverter"/> beside NAudio's WDL resampler (the one NAudio.Core ships), on the two
/// conversions Stage makes: 32 kHz → 48 kHz (model out) and 48 kHz → 32 kHz (session in). Quality is the worst
/// spurious tone: for 48k→32k, tones above the output's Nyquist frequency must vanish, and the level of their
/// aliases is measured; for 32k→48k, the level of the spectral image at 32 kHz − f. Levels are dB relative to
/// the input tone (amplitude estimated with a Blackman–Harris-windowed Goertzel over the steady middle second).
/// </summary>
static class ResamplerComparison
{
    public delegate float[] Resampler(float[] mono, int inputRate, int outputRate);

    public static readonly (string Name, Resampler Resample)[] Resamplers =
    [
        ("Stage SampleRateConverter", (x, i, o) => SampleRateConverter.Resample(new AudioBuffer([x], i), o).Channel(0)),
        ("NAudio WDL sinc (64 taps)", (x, i, o) => Wdl(x, i, o, sinc: true)),
        ("NAudio WdlResamplingSampleProvider default", (x, i, o) => Wdl(x, i, o, sinc: false)),
    ];

    /// <summary>Alias (down) or image (up) level in dB relative to the input tone, for each test tone.</summary>
    public static (double Tone, double Db)[] SpuriousDb(Resampler resample, int inputRate, int outputRate)
    {
        var levels = new List<(double, double)>();
        double lowerNyquist = Math.Min(inputRate, outputRate) / 2.0;
        // Tones from just past the stopband edge to near the input's Nyquist frequency (down), or from the
        // passband's top down to where the image leaves the output band (up).
        double[] tones = inputRate > outputRate
            ? [lowerNyquist * 1.05, lowerNyquist * 1.15, lowerNyquist * 1.3, lowerNyquist * 1.45]
            : [lowerNyquist * 0.6, lowerNyquist * 0.75, lowerNyquist * 0.85, lowerNyquist * 0.9];
        foreach (double f in tones)
        {
            var input = new float[inputRate * 2];
            for (int n = 0; n < input.Length; n++) input[n] = (float)(0.5 * Math.Sin(2 * Math.PI * f * n / inputRate));
            var output = resample(input, inputRate, outputRate);
            // 48k→32k: a tone at f (> 16k) folds to 32k − f; 32k→48k: the image of f sits at 32k − f.
            double spurious = Math.Min(inputRate, outputRate) - f;
            double level = Amplitude(output, outputRate, spurious) / 0.5;
            levels.Add((f, 20 * Math.Log10(Math.Max(level, 1e-12))));
        }
        return levels.ToArray();
    }

    /// <summary>Amplitude of the sinusoid at <paramref name="frequency"/> in the middle second of <paramref name="x"/>.</summary>
    static double Amplitude(float[] x, int rate, double frequency)
    {
        int length = rate, start = (x.Length - length) / 2;
        double w = 2 * Math.PI * frequency / rate, re = 0, im = 0, windowSum = 0;
        for (int n = 0; n < length; n++)
        {
            double t = 2 * Math.PI * n / (length - 1);
            double window = 0.35875 - 0.48829 * Math.Cos(t) + 0.14128 * Math.Cos(2 * t) - 0.01168 * Math.Cos(3 * t);
            double v = x[start + n] * window;
            re += v * Math.Cos(w * n);
            im -= v * Math.Sin(w * n);
            windowSum += window;
        }
        return 2 * Math.Sqrt(re * re + im * im) / windowSum;
    }

    /// <summary>NAudio's WDL resampler, input-driven, mono, with its latency flushed by trailing silence.</summary>
    public static float[] Wdl(float[] input, int inputRate, int outputRate, bool sinc)
    {
        var resampler = new WdlResampler();
        if (sinc) resampler.SetMode(true, 0, true);
        else resampler.SetMode(true, 2, false); // what WdlResamplingSampleProvider uses
        resampler.SetFilterParms();
        resampler.SetFeedMode(true);
        resampler.SetRates(inputRate, outputRate);
        var output = new List<float>((int)((long)input.Length * outputRate / inputRate) + 1024);
        var block = new float[8192];
        const int Chunk = 4096;
        int flush = 256;
        for (int at = 0; at < input.Length + flush;)
        {
            int count = Math.Min(Chunk, input.Length + flush - at);
            int wanted = resampler.ResamplePrepare(count, 1, out Span<float> inBuffer);
            if (wanted == 0) throw new InvalidOperationException("the WDL resampler asked for no input");
            for (int i = 0; i < wanted; i++) inBuffer[i] = at + i < input.Length ? input[at + i] : 0f;
            int produced = resampler.ResampleOut(block, wanted, block.Length, 1);
            for (int i = 0; i < produced; i++) output.Add(block[i]);
            at += wanted;
        }
        return output.ToArray();
    }
}

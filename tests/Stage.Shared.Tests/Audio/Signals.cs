namespace Stage.Shared.Tests.Audio;

/// <summary>Test signals and measurements: sines, sweeps, least-squares tone fits.</summary>
internal static class Signals
{
    public static float[] Sine(int frames, double frequency, int sampleRate, double amplitude = 0.5, double phase = 0)
    {
        var result = new float[frames];
        for (var n = 0; n < frames; n++)
            result[n] = (float)(amplitude * Math.Sin(2 * Math.PI * frequency * n / sampleRate + phase));
        return result;
    }

    /// <summary>Logarithmic sine sweep from <paramref name="from"/> to <paramref name="to"/> Hz.</summary>
    public static float[] Sweep(int frames, double from, double to, int sampleRate, double amplitude = 0.5)
    {
        var result = new float[frames];
        var duration = (double)frames / sampleRate;
        var k = Math.Log(to / from);
        for (var n = 0; n < frames; n++)
        {
            var t = (double)n / sampleRate;
            var phase = 2 * Math.PI * from * duration / k * (Math.Exp(t / duration * k) - 1);
            result[n] = (float)(amplitude * Math.Sin(phase));
        }
        return result;
    }

    public static float[] MultiTone(int frames, int sampleRate, params double[] frequencies)
    {
        var result = new float[frames];
        var amplitude = 0.8 / frequencies.Length;
        for (var i = 0; i < frequencies.Length; i++)
        {
            var tone = Sine(frames, frequencies[i], sampleRate, amplitude, phase: 0.7 * i);
            for (var n = 0; n < frames; n++)
                result[n] += tone[n];
        }
        return result;
    }

    /// <summary>Least-squares fit of a·sin(ωn) + b·cos(ωn) over [from, to): amplitude, phase (of the sine) and the
    /// RMS of what the tone does not explain.</summary>
    public static (double Amplitude, double Phase, double ResidualRms) FitTone(ReadOnlySpan<float> x, int from, int to, double frequency, int sampleRate)
    {
        double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
        var w = 2 * Math.PI * frequency / sampleRate;
        for (var n = from; n < to; n++)
        {
            var s = Math.Sin(w * n);
            var c = Math.Cos(w * n);
            ss += s * s; cc += c * c; sc += s * c; xs += x[n] * s; xc += x[n] * c;
        }
        var det = ss * cc - sc * sc;
        var a = (xs * cc - xc * sc) / det;
        var b = (xc * ss - xs * sc) / det;
        double residual = 0;
        for (var n = from; n < to; n++)
        {
            var e = x[n] - (a * Math.Sin(w * n) + b * Math.Cos(w * n));
            residual += e * e;
        }
        return (Math.Sqrt(a * a + b * b), Math.Atan2(b, a), Math.Sqrt(residual / (to - from)));
    }

    public static double Rms(ReadOnlySpan<float> x, int from, int to)
    {
        double sum = 0;
        for (var n = from; n < to; n++)
            sum += (double)x[n] * x[n];
        return Math.Sqrt(sum / (to - from));
    }

    public static double Db(double ratio) => 20 * Math.Log10(ratio);
}

using System.Collections.Concurrent;

namespace Stage.Shared.Audio.Resampling;

/// <summary>
/// The precomputed filter of a rational sample-rate conversion by <see cref="UpFactor"/>/<see cref="DownFactor"/>:
/// a Kaiser-windowed sinc low-pass evaluated at the <see cref="UpFactor"/> fractional offsets (phases) an output
/// sample can fall at between two input samples.
/// </summary>
/// <remarks>
/// <para>Design, relative to the Nyquist frequency of the lower of the two rates: passband up to 0.90, stopband from
/// 1.00 (so nothing aliases into the output and no image survives above the input band), cut-off in the middle
/// (0.95), Kaiser window for 110 dB of attenuation (β = 0.1102·(A − 8.7)), length from Kaiser's formula rounded up
/// to a multiple of 16 taps so the dot products vectorise without a remainder. A 110 dB design leaves a 10 dB margin
/// over the 100 dB required, for float32 coefficient and accumulation error; its passband ripple is ~3e-5 dB.</para>
/// <para>Phase p, tap j holds g(K/2 − 1 − j + p/L), the continuous kernel at the distance between the output's
/// instant and input sample (i0 − K/2 + 1 + j); each phase is normalised to unity DC gain.</para>
/// </remarks>
internal sealed class PolyphaseSincFilter
{
    public const double PassbandEdge = 0.90;
    public const double StopbandEdge = 1.00;
    public const double DesignAttenuationDb = 110.0;

    /// <summary>The largest table (phases × taps) built; beyond it the ratio's numbers are too coprime.</summary>
    public const long MaxCoefficients = 1L << 21;

    private const int TapMultiple = 16;

    private static readonly ConcurrentDictionary<(int Up, int Down), PolyphaseSincFilter> Cache = new();

    private PolyphaseSincFilter(int up, int down, int taps, float[] coefficients)
    {
        UpFactor = up;
        DownFactor = down;
        TapCount = taps;
        Coefficients = coefficients;
    }

    /// <summary>L: output rate / gcd.</summary>
    public int UpFactor { get; }

    /// <summary>M: input rate / gcd.</summary>
    public int DownFactor { get; }

    /// <summary>K: taps per phase (input samples per output sample), a multiple of 16.</summary>
    public int TapCount { get; }

    /// <summary>UpFactor rows of TapCount taps.</summary>
    public float[] Coefficients { get; }

    public ReadOnlySpan<float> Phase(int phase) => Coefficients.AsSpan(phase * TapCount, TapCount);

    /// <summary>The (shared, immutable) filter for a conversion from <paramref name="inputRate"/> to <paramref name="outputRate"/>.</summary>
    public static PolyphaseSincFilter For(int inputRate, int outputRate)
    {
        var divisor = Gcd(inputRate, outputRate);
        var key = (outputRate / divisor, inputRate / divisor);
        return Cache.GetOrAdd(key, static k => Design(k.Up, k.Down));
    }

    private static PolyphaseSincFilter Design(int up, int down)
    {
        if (up == down)
        {
            // Same rate: the identity, through the same code path (a single unit tap at distance 0).
            var identity = new float[TapMultiple];
            identity[TapMultiple / 2 - 1] = 1f;
            return new PolyphaseSincFilter(1, 1, TapMultiple, identity);
        }

        // Frequencies in cycles per input sample; the band edges are fractions of the lower rate's Nyquist frequency.
        var lowerNyquist = 0.5 * Math.Min(1.0, (double)up / down);
        var cutoff = lowerNyquist * (PassbandEdge + StopbandEdge) / 2;
        var transition = lowerNyquist * (StopbandEdge - PassbandEdge);
        var beta = 0.1102 * (DesignAttenuationDb - 8.7);
        var length = (DesignAttenuationDb - 7.95) / (2.285 * 2 * Math.PI * transition) + 1;
        var taps = (int)Math.Ceiling(length / TapMultiple) * TapMultiple;
        if ((long)taps * up > MaxCoefficients)
            throw new NotSupportedException($"Resampling by {up}/{down} needs a {up}-phase filter of {taps} taps, larger than the {MaxCoefficients}-coefficient limit.");

        var half = taps / 2;
        var coefficients = new float[taps * up];
        var row = new double[taps];
        var i0Beta = BesselI0(beta);
        for (var p = 0; p < up; p++)
        {
            var sum = 0.0;
            for (var j = 0; j < taps; j++)
            {
                var t = half - 1 - j + (double)p / up;
                var x = t / half;
                var window = Math.Abs(x) >= 1 ? 0 : BesselI0(beta * Math.Sqrt(1 - x * x)) / i0Beta;
                row[j] = 2 * cutoff * Sinc(2 * cutoff * t) * window;
                sum += row[j];
            }
            var target = coefficients.AsSpan(p * taps, taps);
            for (var j = 0; j < taps; j++)
                target[j] = (float)(row[j] / sum);
        }
        return new PolyphaseSincFilter(up, down, taps, coefficients);
    }

    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);

    /// <summary>Modified Bessel function of the first kind, order 0 (power series; converges fast for β ≤ 20).</summary>
    private static double BesselI0(double x)
    {
        var sum = 1.0;
        var term = 1.0;
        var quarterSquare = x * x / 4;
        for (var k = 1; k < 200; k++)
        {
            term *= quarterSquare / ((double)k * k);
            sum += term;
            if (term < sum * 1e-17)
                break;
        }
        return sum;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }
}

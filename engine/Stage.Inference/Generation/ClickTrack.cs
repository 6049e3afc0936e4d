namespace Stage.Inference.Generation;

/// <summary>
/// The metronome context exactly as STAGE's training builds it (stemmed_dataset.py, click branch):
/// beat positions rounded to 32 kHz samples, two <c>librosa.clicks</c> tracks (every beat, and the
/// downbeats again) summed and hard-clipped to ±1, so a downbeat is a doubled, clipped click.
/// </summary>
/// <remarks>
/// librosa 0.11's default click: 1 kHz sine under a 100 ms exponential decay
/// <c>logspace(0, -10, 3200, base=2)</c>, computed in float64 and added into a float32 buffer.
/// STAGE passes the beats as seconds = samples / sr and librosa converts back with
/// <c>int(seconds * sr)</c>, which lands one sample early for about 0.9 % of integer positions;
/// that quirk is reproduced because the model was trained on it.
/// </remarks>
public static class ClickTrack
{
    public const int SampleRate = 32000;
    public const double ClickFrequency = 1000.0;

    /// <summary>librosa: <c>int(sr * click_duration)</c> with the default 0.1 s.</summary>
    public const int ClickLength = 3200;

    static readonly double[] s_click = BuildClick();

    /// <summary>The float64 click librosa builds: <c>logspace(0,-10,n,base=2) * sin(2π f/sr · i)</c>.</summary>
    public static ReadOnlySpan<double> Click => s_click;

    static double[] BuildClick()
    {
        var click = new double[ClickLength];
        // numpy.linspace(0, -10, n): y[i] = i * step with step = -10/(n-1), last element exactly -10.
        double step = -10.0 / (ClickLength - 1);
        double angularFrequency = 2 * Math.PI * ClickFrequency / SampleRate;
        for (int i = 0; i < ClickLength; i++)
        {
            double exponent = i == ClickLength - 1 ? -10.0 : i * step;
            click[i] = Math.Pow(2.0, exponent) * Math.Sin(angularFrequency * i);
        }
        return click;
    }

    /// <summary>
    /// Beat positions in samples, STAGE's way: <c>round((firstBeat + k·60/bpm) · sr)</c> (half to even,
    /// as torch.round) for every beat index k whose position lies in [0, length). Beat k is a downbeat
    /// when k is a multiple of <paramref name="beatsPerBar"/>; k may be negative when the first bar line
    /// is given after the start, so the grid extends backwards to the start of the buffer.
    /// </summary>
    public static (long[] Beats, long[] Downbeats) BeatSamples(double bpm, int beatsPerBar, double firstDownbeatSeconds, int length)
    {
        Validate(bpm, beatsPerBar, length);
        double beatSeconds = 60.0 / bpm;
        long kMin = (long)Math.Floor(-firstDownbeatSeconds / beatSeconds) - 1;
        var beats = new List<long>();
        var downbeats = new List<long>();
        for (long k = kMin; ; k++)
        {
            double seconds = firstDownbeatSeconds + k * 60 / bpm;
            long sample = (long)Math.Round(seconds * SampleRate, MidpointRounding.ToEven);
            if (sample >= length) break;
            if (sample < 0) continue;
            beats.Add(sample);
            if (((k % beatsPerBar) + beatsPerBar) % beatsPerBar == 0) downbeats.Add(sample);
        }
        return (beats.ToArray(), downbeats.ToArray());
    }

    /// <summary>Where librosa starts a click for an integer beat sample: <c>int((k / sr) · sr)</c>.</summary>
    public static long PlacedSample(long beatSample) => (long)((double)beatSample / SampleRate * SampleRate);

    /// <summary>The click context: <paramref name="length"/> samples at 32 kHz.</summary>
    public static float[] Synthesize(double bpm, int beatsPerBar, double firstDownbeatSeconds, int length)
    {
        var audio = new float[length];
        Synthesize(bpm, beatsPerBar, firstDownbeatSeconds, audio);
        return audio;
    }

    /// <summary>Writes the click context into <paramref name="destination"/> (its length is the track length).</summary>
    public static void Synthesize(double bpm, int beatsPerBar, double firstDownbeatSeconds, Span<float> destination)
    {
        var (beats, downbeats) = BeatSamples(bpm, beatsPerBar, firstDownbeatSeconds, destination.Length);
        var downbeatTrack = new float[destination.Length];
        destination.Clear();
        AddClicks(destination, beats);
        AddClicks(downbeatTrack, downbeats);
        for (int i = 0; i < destination.Length; i++)
            destination[i] = Math.Clamp(destination[i] + downbeatTrack[i], -1f, 1f);
    }

    static void AddClicks(Span<float> track, long[] beatSamples)
    {
        var click = Click;
        foreach (long beat in beatSamples)
        {
            long start = PlacedSample(beat);
            int n = (int)Math.Min(click.Length, track.Length - start);
            var target = track.Slice((int)start, n);
            // numpy: float32 += float64 computes in float64 and rounds once per addition.
            for (int i = 0; i < n; i++) target[i] = (float)(target[i] + click[i]);
        }
    }

    static void Validate(double bpm, int beatsPerBar, int length)
    {
        if (!double.IsFinite(bpm) || bpm <= 0)
            throw new ArgumentOutOfRangeException(nameof(bpm), bpm, "tempo must be a positive number of beats per minute");
        if (beatsPerBar < 1)
            throw new ArgumentOutOfRangeException(nameof(beatsPerBar), beatsPerBar, "a bar needs at least one beat");
        if (length < 0)
            throw new ArgumentOutOfRangeException(nameof(length), length, "length cannot be negative");
    }
}

namespace Stage.Plugin.Processing;

/// <summary>
/// A generated stem and where it belongs: its variations (stereo, at the host rate of the request) and
/// the musical region it was generated for. The engine link fills it while the audio thread plays it:
/// each variation publishes how many leading samples are valid, so the audio thread never reads a
/// sample before it has been written.
/// </summary>
public sealed class Stem
{
    readonly float[][] left, right;
    readonly int[] available;
    readonly List<(int At, int Count)>[] pending;   // writer-only: chunks not yet joined to the prefix

    public Stem(int variations, int length, double startPpq, double lengthQuarters, double sampleRate)
    {
        if (variations < 1) throw new ArgumentOutOfRangeException(nameof(variations), variations, "a stem has at least one variation");
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "a stem has at least one sample");
        if (!(lengthQuarters > 0)) throw new ArgumentOutOfRangeException(nameof(lengthQuarters), lengthQuarters, "a stem spans a positive number of quarters");
        left = new float[variations][];
        right = new float[variations][];
        for (int v = 0; v < variations; v++) { left[v] = new float[length]; right[v] = new float[length]; }
        available = new int[variations];
        pending = new List<(int At, int Count)>[variations];
        for (int v = 0; v < variations; v++) pending[v] = [];
        Length = length;
        StartPpq = startPpq;
        LengthQuarters = lengthQuarters;
        SampleRate = sampleRate;
    }

    public int Variations => left.Length;
    public int Length { get; }
    public double StartPpq { get; }
    public double LengthQuarters { get; }
    public double SampleRate { get; }

    /// <summary>Samples of <paramref name="variation"/> that are ready to play, from sample 0.</summary>
    public int Available(int variation) => Volatile.Read(ref available[variation]);

    public ReadOnlySpan<float> Left(int variation) => left[variation];
    public ReadOnlySpan<float> Right(int variation) => right[variation];

    /// <summary>
    /// Writer side: stores samples at <paramref name="offset"/> and publishes the valid prefix. Chunks may
    /// arrive in any order; the prefix grows over whatever is contiguous from 0.
    /// </summary>
    public void Write(int variation, int offset, ReadOnlySpan<float> l, ReadOnlySpan<float> r)
    {
        if ((uint)variation >= (uint)Variations) throw new ArgumentOutOfRangeException(nameof(variation), variation, $"the stem has {Variations} variations");
        if (offset < 0 || offset >= Length) return;
        int n = Math.Min(l.Length, Length - offset);
        l[..n].CopyTo(left[variation].AsSpan(offset));
        r[..n].CopyTo(right[variation].AsSpan(offset));
        var spans = pending[variation];
        spans.Add((offset, n));
        int prefix = Volatile.Read(ref available[variation]);
        bool grew;
        do
        {
            grew = false;
            foreach (var (at, count) in spans)
                if (at <= prefix && at + count > prefix) { prefix = at + count; grew = true; }
        } while (grew);
        spans.RemoveAll(span => span.At + span.Count <= prefix);
        Volatile.Write(ref available[variation], prefix);
    }

    /// <summary>Writer side: marks a whole variation as ready (after loading it from a WAV).</summary>
    public void Fill(int variation, ReadOnlySpan<float> l, ReadOnlySpan<float> r)
    {
        int n = Math.Min(Length, l.Length);
        l[..n].CopyTo(left[variation]);
        r[..n].CopyTo(right[variation]);
        Volatile.Write(ref available[variation], n);
    }
}

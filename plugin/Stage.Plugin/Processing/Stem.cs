namespace Stage.Plugin.Processing;

/// <summary>
/// A generated stem and where it belongs: its variations (stereo, at the host rate of the request) and
/// the musical region it was generated for. The engine link fills it while the audio thread plays it:
/// each variation publishes how many leading samples are valid, so the audio thread never reads a
/// sample before it has been written. A stem is a reusable slot (<see cref="StagePlugin.NewStem"/>):
/// its buffers outlive one request, so streaming a stem allocates nothing.
/// </summary>
public sealed class Stem
{
    float[][] left = [], right = [];
    int[] available = [];
    List<(int At, int Count)>[] pending = [];   // writer-only: chunks not yet joined to the prefix

    public Stem(int variations, int length, double startPpq, double lengthQuarters, double sampleRate) =>
        Reset(variations, length, startPpq, lengthQuarters, sampleRate);

    public int Variations { get; private set; }
    public int Length { get; private set; }
    public double StartPpq { get; private set; }
    public double LengthQuarters { get; private set; }
    public double SampleRate { get; private set; }

    /// <summary>Whether <see cref="Reset"/> can take a request of this size without allocating.</summary>
    public bool Holds(int variations, int length) => variations <= left.Length && left.Length > 0 && length <= left[0].Length;

    /// <summary>
    /// Writer side, while the audio thread does not play this stem: empties it for a new request, growing
    /// the buffers only when the request is larger than any before.
    /// </summary>
    public void Reset(int variations, int length, double startPpq, double lengthQuarters, double sampleRate)
    {
        if (variations < 1) throw new ArgumentOutOfRangeException(nameof(variations), variations, "a stem has at least one variation");
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "a stem has at least one sample");
        if (!(lengthQuarters > 0)) throw new ArgumentOutOfRangeException(nameof(lengthQuarters), lengthQuarters, "a stem spans a positive number of quarters");
        if (!Holds(variations, length))
        {
            int capacity = Math.Max(length, left.Length > 0 ? left[0].Length : 0);
            int count = Math.Max(variations, left.Length);
            left = new float[count][];
            right = new float[count][];
            for (int v = 0; v < count; v++) { left[v] = new float[capacity]; right[v] = new float[capacity]; }
            available = new int[count];
            pending = new List<(int At, int Count)>[count];
            for (int v = 0; v < count; v++) pending[v] = new(16);
        }
        for (int v = 0; v < available.Length; v++) { Volatile.Write(ref available[v], 0); pending[v].Clear(); }
        Variations = variations;
        Length = length;
        StartPpq = startPpq;
        LengthQuarters = lengthQuarters;
        SampleRate = sampleRate;
    }

    /// <summary>Samples of <paramref name="variation"/> that are ready to play, from sample 0.</summary>
    public int Available(int variation) => Volatile.Read(ref available[variation]);

    public ReadOnlySpan<float> Left(int variation) => left[variation].AsSpan(0, Length);
    public ReadOnlySpan<float> Right(int variation) => right[variation].AsSpan(0, Length);

    /// <summary>
    /// Writer side: stores samples at <paramref name="offset"/> and publishes the valid prefix. Chunks may
    /// arrive in any order; the prefix grows over whatever is contiguous from 0.
    /// </summary>
    public void Write(int variation, int offset, ReadOnlySpan<float> l, ReadOnlySpan<float> r)
    {
        CheckVariation(variation);
        if (offset < 0 || offset >= Length) return;
        int n = Math.Min(l.Length, Length - offset);
        l[..n].CopyTo(left[variation].AsSpan(offset));
        r[..n].CopyTo(right[variation].AsSpan(offset));
        Published(variation, offset, n);
    }

    /// <summary>Writer side: as <see cref="Write"/>, from interleaved frames of <paramref name="channels"/> (mono plays on both sides).</summary>
    public void WriteInterleaved(int variation, int offset, ReadOnlySpan<float> frames, int channels)
    {
        CheckVariation(variation);
        if (offset < 0 || offset >= Length || channels < 1) return;
        int n = Math.Min(frames.Length / channels, Length - offset);
        var l = left[variation].AsSpan(offset, n);
        var r = right[variation].AsSpan(offset, n);
        int second = channels > 1 ? 1 : 0;
        for (int i = 0; i < n; i++)
        {
            l[i] = frames[i * channels];
            r[i] = frames[i * channels + second];
        }
        Published(variation, offset, n);
    }

    void Published(int variation, int offset, int n)
    {
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
        for (int i = spans.Count - 1; i >= 0; i--)
            if (spans[i].At + spans[i].Count <= prefix) spans.RemoveAt(i);
        Volatile.Write(ref available[variation], prefix);
    }

    void CheckVariation(int variation)
    {
        if ((uint)variation >= (uint)Variations) throw new ArgumentOutOfRangeException(nameof(variation), variation, $"the stem has {Variations} variations");
    }

    /// <summary>Writer side: marks a whole variation as ready (after loading it from a WAV).</summary>
    public void Fill(int variation, ReadOnlySpan<float> l, ReadOnlySpan<float> r)
    {
        CheckVariation(variation);
        int n = Math.Min(Length, l.Length);
        l[..n].CopyTo(left[variation]);
        r[..n].CopyTo(right[variation]);
        Volatile.Write(ref available[variation], n);
    }
}

using Stage.Shared.Audio;
using Stage.Shared.Music;

namespace Stage.Plugin.Processing;

/// <summary>
/// What the plugin heard, stored by musical position: sample n of the musical axis lives at ring index
/// n mod Capacity. Only the current <i>run</i> counts — the span written contiguously at one tempo and
/// meter; a locate, a host loop jump or a tempo change starts a new run. The audio thread writes; the
/// engine link reads a region of the run described by a <see cref="CaptureRun"/> snapshot.
/// </summary>
public sealed class CaptureBuffer
{
    readonly float[] left, right;
    long runStart, writeEnd, written, runs;
    BarGrid grid;
    bool hasRun;

    public CaptureBuffer(int capacity)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capture capacity must be positive");
        left = new float[capacity];
        right = new float[capacity];
    }

    public int Capacity => left.Length;

    /// <summary>Samples written since the ring was made, wherever they went: a reader that notes it before and
    /// after copying knows whether the audio thread could have overwritten what it copied.</summary>
    public long Written => Volatile.Read(ref written);

    /// <summary>Runs started since the ring was made: a reader that notes it before copying knows whether a
    /// locate (or loop jump) since then may have written over the region it copies, whatever the slots.</summary>
    public long Runs => Volatile.Read(ref runs);

    /// <summary>The current run (clipped to what the ring still holds); Length 0 when nothing was captured.</summary>
    public CaptureRun Run => hasRun
        ? new CaptureRun(Math.Max(runStart, writeEnd - Capacity), writeEnd, grid)
        : default;

    /// <summary>Audio thread: stores one block whose first sample is at <paramref name="musicalSample"/>.</summary>
    public void Write(long musicalSample, in BarGrid blockGrid, ReadOnlySpan<float> l, ReadOnlySpan<float> r)
    {
        // Rounding PPQ to samples may disagree with the running count by one sample: that is continuity.
        bool continues = hasRun && grid == blockGrid && Math.Abs(musicalSample - writeEnd) <= 1;
        if (continues) musicalSample = writeEnd;
        else
        {
            runStart = musicalSample; grid = blockGrid; hasRun = true;
            Volatile.Write(ref runs, runs + 1);   // before any sample of the new run lands
        }

        int n = l.Length;
        int at = (int)Mod(musicalSample, Capacity);
        int first = Math.Min(n, Capacity - at);
        l[..first].CopyTo(left.AsSpan(at));
        r[..first].CopyTo(right.AsSpan(at));
        if (first < n)
        {
            l[first..].CopyTo(left);
            r[first..].CopyTo(right);
        }
        writeEnd = musicalSample + n;
        Volatile.Write(ref written, written + n);
    }

    /// <summary>
    /// Whether [<paramref name="start"/>, <paramref name="runEnd"/>) of a run taken when <see cref="Written"/> was
    /// <paramref name="writtenThen"/> is still in the ring: all written since cannot have reached its slots.
    /// Call it after copying, to know the copy is what was heard.
    /// </summary>
    public bool Holds(long start, long runEnd, long writtenThen) => Written - writtenThen + (runEnd - start) <= Capacity;

    /// <summary>Copies [start, start + destination length) of the musical axis out of the ring.</summary>
    public void CopyOut(long start, Span<float> l, Span<float> r)
    {
        int n = l.Length;
        if (n > Capacity) throw new ArgumentException($"cannot copy {n} samples out of a {Capacity}-sample capture");
        int at = (int)Mod(start, Capacity);
        int first = Math.Min(n, Capacity - at);
        left.AsSpan(at, first).CopyTo(l);
        right.AsSpan(at, first).CopyTo(r);
        if (first < n)
        {
            left.AsSpan(0, n - first).CopyTo(l[first..]);
            right.AsSpan(0, n - first).CopyTo(r[first..]);
        }
    }

    /// <summary>Copies [start, start + destination length / 2) of the musical axis out of the ring, interleaved stereo.</summary>
    public void CopyOutInterleaved(long start, Span<float> destination)
    {
        int n = destination.Length / 2;
        if (n > Capacity) throw new ArgumentException($"cannot copy {n} samples out of a {Capacity}-sample capture");
        int at = (int)Mod(start, Capacity);
        int first = Math.Min(n, Capacity - at);
        Interleaving.Interleave(left.AsSpan(at, first), right.AsSpan(at, first), destination[..(first * 2)]);
        if (first < n) Interleaving.Interleave(left.AsSpan(0, n - first), right.AsSpan(0, n - first), destination[(first * 2)..(n * 2)]);
    }

    static long Mod(long a, long m) { long r = a % m; return r < 0 ? r + m : r; }
}

/// <summary>A contiguous captured span [Start, End) of the musical sample axis at one grid.</summary>
public readonly record struct CaptureRun(long Start, long End, BarGrid Grid)
{
    public long Length => End - Start;

    /// <summary>
    /// The last <paramref name="bars"/> whole bars of the run: they end at the last bar line at or before
    /// End. Null when the run holds fewer whole bars; <paramref name="wholeBars"/> says how many it holds.
    /// </summary>
    public CaptureRegion? LastBars(int bars, out long wholeBars)
    {
        wholeBars = 0;
        if (Length <= 0) return null;
        long lastLine = Grid.BarAtOrBefore(End);
        long firstLine = Grid.BarAtOrAfter(Start);
        wholeBars = Math.Max(0, lastLine - firstLine);
        if (wholeBars < bars) return null;
        long firstBar = lastLine - bars;
        return new CaptureRegion(firstBar, bars, Grid.BarStartSample(firstBar), Grid.BarsToSampleCount(bars), Grid);
    }
}

/// <summary>Whole bars [FirstBar, FirstBar + Bars): Start on the musical axis, Length by the grid's stem-length rule.</summary>
public readonly record struct CaptureRegion(long FirstBar, int Bars, long Start, long Length, BarGrid Grid)
{
    public double StartPpq => Grid.BarStartQuarterNotes(FirstBar);
    public double LengthQuarters => Grid.BarsToQuarterNotes(Bars);
}

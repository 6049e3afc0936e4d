namespace Stage.Shared.Music;

/// <summary>
/// Musical time at one tempo, one meter and one sample rate: conversions between quarter notes (PPQ, as VST3's
/// <c>projectTimeMusic</c>), seconds, samples and bars/beats, and the bar arithmetic the plugin's capture and
/// playback and the engine's stem trimming share.
/// </summary>
/// <remarks>
/// <para>Bar lines fall at <see cref="BarOriginQuarterNotes"/> + k × <see cref="TimeSignature.QuarterNotesPerBar"/>
/// for every integer k (negative k in pre-roll). The origin is 0 for a project whose meter does not change; a host
/// that reports a trustworthy bar position can move it.</para>
/// <para><b>Rounding rule (the one place sample counts are made):</b> an exact, fractional sample position or length
/// becomes a whole sample count by <see cref="RoundToSample"/>, round half up: ⌊x + 0.5⌋. A stem of N bars is
/// <see cref="BarsToSampleCount"/>(N) = RoundToSample(N × QuarterNotesPerBar × SamplesPerQuarterNote) samples long;
/// stem sample i plays at region-relative offset i, where the offset of a host position p inside a region starting at
/// PPQ s is RoundToSample((p − s) × SamplesPerQuarterNote) (<see cref="QuarterNotesToSampleCount"/>). Both sides
/// compute with the same expressions, so at the region's end the offset equals the stem length sample for sample.</para>
/// <para>Host PPQ is a double that may land a hair before a bar line (7.9999999999 for 8). Positions less than
/// <see cref="BarLineTolerance"/> quarter notes before a bar line count as on it (1e-6 quarter notes is
/// 0.01 samples even at 300 BPM and 192 kHz).</para>
/// </remarks>
public readonly record struct BarGrid
{
    /// <summary>How far before a bar line (in quarter notes) a position still counts as on it.</summary>
    public const double BarLineTolerance = 1e-6;

    public BarGrid(Tempo tempo, TimeSignature meter, double sampleRate, double barOriginQuarterNotes = 0)
    {
        if (tempo.BeatsPerMinute <= 0)
            throw new ArgumentException("Tempo is unset (default Tempo); construct it with a BPM.", nameof(tempo));
        if (meter.Numerator < 1)
            throw new ArgumentException("Time signature is unset (default TimeSignature); construct it with numerator/denominator.", nameof(meter));
        if (!double.IsFinite(sampleRate) || sampleRate <= 0 || sampleRate > 10_000_000)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "Sample rate must be finite, positive and at most 10 MHz.");
        if (!double.IsFinite(barOriginQuarterNotes))
            throw new ArgumentOutOfRangeException(nameof(barOriginQuarterNotes), barOriginQuarterNotes, "Bar origin must be finite.");
        Tempo = tempo;
        Meter = meter;
        SampleRate = sampleRate;
        BarOriginQuarterNotes = barOriginQuarterNotes;
    }

    /// <summary>A grid from the host's raw numbers (BPM, numerator, denominator, sample rate).</summary>
    public BarGrid(double beatsPerMinute, int numerator, int denominator, double sampleRate)
        : this(new Tempo(beatsPerMinute), new TimeSignature(numerator, denominator), sampleRate)
    {
    }

    public Tempo Tempo { get; }

    public TimeSignature Meter { get; }

    /// <summary>Samples per second.</summary>
    public double SampleRate { get; }

    /// <summary>The PPQ position of the start of bar 0.</summary>
    public double BarOriginQuarterNotes { get; }

    public double SamplesPerQuarterNote => 60.0 * SampleRate / Tempo.BeatsPerMinute;

    public double QuarterNotesPerBar => Meter.QuarterNotesPerBar;

    /// <summary>Exact (fractional) samples in one bar.</summary>
    public double SamplesPerBar => Meter.QuarterNotesPerBar * SamplesPerQuarterNote;

    public double SecondsPerBar => Tempo.QuarterNotesToSeconds(Meter.QuarterNotesPerBar);

    // --- Quarter notes, seconds and samples. Positions are relative to PPQ 0 = second 0 = sample 0. ---

    public double QuarterNotesToSeconds(double quarterNotes) => Tempo.QuarterNotesToSeconds(quarterNotes);

    public double SecondsToQuarterNotes(double seconds) => Tempo.SecondsToQuarterNotes(seconds);

    /// <summary>Exact (fractional) samples for a quarter-note position or length.</summary>
    public double QuarterNotesToSamples(double quarterNotes) => quarterNotes * SamplesPerQuarterNote;

    /// <summary>Whole samples for a quarter-note position or length, by the grid's rounding rule.</summary>
    public long QuarterNotesToSampleCount(double quarterNotes) => RoundToSample(QuarterNotesToSamples(quarterNotes));

    public double SamplesToQuarterNotes(double samples) => samples / SamplesPerQuarterNote;

    public double SecondsToSamples(double seconds) => seconds * SampleRate;

    public double SamplesToSeconds(double samples) => samples / SampleRate;

    // --- Bars ---

    /// <summary>Quarter notes in <paramref name="bars"/> bars (a length, not a position).</summary>
    public double BarsToQuarterNotes(double bars) => bars * Meter.QuarterNotesPerBar;

    /// <summary>Exact (fractional) samples in <paramref name="bars"/> bars.</summary>
    public double BarsToSamples(double bars) => QuarterNotesToSamples(BarsToQuarterNotes(bars));

    public double BarsToSeconds(double bars) => QuarterNotesToSeconds(BarsToQuarterNotes(bars));

    /// <summary>The length in whole samples of a stem of <paramref name="bars"/> bars: RoundToSample(exact length).
    /// The engine trims stems to this and the plugin's grid uses it; see the type's remarks.</summary>
    public long BarsToSampleCount(int bars)
    {
        if (bars < 0)
            throw new ArgumentOutOfRangeException(nameof(bars), bars, "Bar count cannot be negative.");
        return QuarterNotesToSampleCount(BarsToQuarterNotes(bars));
    }

    /// <summary>The index of the bar containing <paramref name="quarterNotes"/> (negative before the origin).</summary>
    public long BarIndexAt(double quarterNotes)
    {
        if (!double.IsFinite(quarterNotes))
            throw new ArgumentOutOfRangeException(nameof(quarterNotes), quarterNotes, "Position must be finite.");
        var bars = (quarterNotes - BarOriginQuarterNotes) / Meter.QuarterNotesPerBar;
        return (long)Math.Floor(bars + BarLineTolerance / Meter.QuarterNotesPerBar);
    }

    /// <summary>The PPQ position where bar <paramref name="bar"/> starts.</summary>
    public double BarStartQuarterNotes(long bar) => BarOriginQuarterNotes + bar * Meter.QuarterNotesPerBar;

    /// <summary>The PPQ position where the bar containing <paramref name="quarterNotes"/> starts.</summary>
    public double BarStartAt(double quarterNotes) => BarStartQuarterNotes(BarIndexAt(quarterNotes));

    /// <summary>Bar and beat (both from zero) of a PPQ position.</summary>
    public BarBeat ToBarBeat(double quarterNotes)
    {
        var bar = BarIndexAt(quarterNotes);
        var beat = (quarterNotes - BarStartQuarterNotes(bar)) / Meter.QuarterNotesPerBeat;
        return new BarBeat(bar, Math.Max(0, beat));
    }

    public double ToQuarterNotes(BarBeat position) =>
        BarStartQuarterNotes(position.Bar) + position.Beat * Meter.QuarterNotesPerBeat;

    /// <summary>
    /// The last <paramref name="bars"/> whole bars that end at or before <paramref name="quarterNotes"/>: the bar
    /// containing the position is unfinished and excluded, unless the position sits exactly on its bar line, in which
    /// case the span ends there. At PPQ 17 in 4/4 the last 2 whole bars are bars 2 and 3 (PPQ 8 to 16).
    /// </summary>
    public BarSpan LastWholeBars(double quarterNotes, int bars) => new(BarIndexAt(quarterNotes) - bars, bars);

    public double StartQuarterNotes(BarSpan span) => BarStartQuarterNotes(span.FirstBar);

    public double EndQuarterNotes(BarSpan span) => BarStartQuarterNotes(span.EndBar);

    /// <summary>The largest |sample position| <see cref="RoundToSample"/> takes (doubles stop being exact past it).</summary>
    public const double MaxSamplePosition = 9e15;

    /// <summary>Rounds an exact sample position or length to whole samples: round half up, ⌊x + 0.5⌋.</summary>
    public static long RoundToSample(double exactSamples)
    {
        if (!double.IsFinite(exactSamples) || Math.Abs(exactSamples) > MaxSamplePosition)
            throw new ArgumentOutOfRangeException(nameof(exactSamples), exactSamples, "Sample position is not finite or too large.");
        return (long)Math.Floor(exactSamples + 0.5);
    }

    public override string ToString() => $"{Tempo}, {Meter}, {SampleRate:0.###} Hz";
}

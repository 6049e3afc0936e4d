using Stage.Shared.Music;

namespace Stage.Plugin.Processing;

/// <summary>
/// The host's transport at the first sample of a block, in musical terms. Positions are derived from the
/// PPQ position (projectTimeMusic) and the time signature only: Ardour 7's barPositionMusic is wrong, and
/// the bar grid is assumed to start at PPQ 0 with one meter.
/// </summary>
public readonly struct Transport
{
    public bool IsPlaying { get; init; }
    /// <summary>False when the host gave no process context or no tempo: nothing can be placed in time.</summary>
    public bool HasPosition { get; init; }
    public double SampleRate { get; init; }
    public double Tempo { get; init; }
    public int Numerator { get; init; }
    public int Denominator { get; init; }
    /// <summary>Quarter notes from the song start; negative during pre-roll.</summary>
    public double Ppq { get; init; }

    public static Transport None(double sampleRate) => new() { SampleRate = sampleRate, Numerator = 4, Denominator = 4 };

    /// <summary>
    /// Builds the transport from the host's fields. Without a valid PPQ the position is computed from
    /// projectTimeSamples (always valid); without a valid meter 4/4 is assumed; without a tempo there is
    /// no musical position.
    /// </summary>
    /// <summary>Tempos outside this range (BPM) are treated as no tempo: no DAW offers them, and a bar at 1e-300 BPM
    /// has no length in samples.</summary>
    public const double MinTempo = 1, MaxTempo = 10_000;

    /// <summary>The coarsest PPQ rounding seen from a host (Ardour 7: 1/1920 quarter note).</summary>
    public const double HostPpqResolution = 1.0 / 1920;

    public static Transport FromHost(bool playing, double sampleRate, long projectTimeSamples, bool ppqValid, double ppq,
                                     bool tempoValid, double tempo, bool meterValid, int numerator, int denominator)
    {
        if (!tempoValid || !(tempo >= MinTempo && tempo <= MaxTempo) || !(sampleRate > 0))
            return None(sampleRate) with { IsPlaying = playing };
        if (!meterValid || numerator < 1 || numerator > 256 || denominator < 1 || denominator > 256 || (denominator & (denominator - 1)) != 0)
        { numerator = 4; denominator = 4; }
        if (!(sampleRate <= 10_000_000)) return None(sampleRate) with { IsPlaying = playing };
        // Hosts round the PPQ they report (Ardour 7 to 1/1920 of a quarter: 12.5 samples at 120 BPM and
        // 48 kHz), which would jitter capture and playback by several samples per block. Where the host's
        // PPQ agrees with the sample position at constant tempo within that resolution, the sample-exact
        // value is the same position without the rounding; where it does not (tempo changes earlier in
        // the song), the host's PPQ is the truth.
        double fromSamples = projectTimeSamples / sampleRate * tempo / 60.0;
        if (!ppqValid || double.IsNaN(ppq) || double.IsInfinity(ppq) || Math.Abs(ppq - fromSamples) <= HostPpqResolution)
            ppq = fromSamples;
        // A position the bar grid cannot put on whole samples (a broken host's PPQ) is no position: the
        // audio thread must never meet a value it cannot handle.
        if (!(Math.Abs(ppq * 60.0 * sampleRate / tempo) <= BarGrid.MaxSamplePosition / 2))
            return None(sampleRate) with { IsPlaying = playing };
        return new Transport
        {
            IsPlaying = playing, HasPosition = true, SampleRate = sampleRate, Tempo = tempo,
            Numerator = numerator, Denominator = denominator, Ppq = ppq,
        };
    }

    /// <summary>The transport <paramref name="samples"/> later in the same block (tempo and meter unchanged).</summary>
    public Transport Advance(int samples) =>
        HasPosition && samples != 0 ? this with { Ppq = Ppq + samples * Tempo / (60.0 * SampleRate) } : this;

    /// <summary>The bar grid at this block's tempo and meter; only meaningful when <see cref="HasPosition"/>.</summary>
    public BarGrid Grid => new(Tempo, Numerator, Denominator, SampleRate);

    /// <summary>The block's first sample on the musical sample axis (PPQ × samples per quarter, rounded).</summary>
    public long MusicalSample => Grid.QuarterNotesToSampleCount(Ppq);
}

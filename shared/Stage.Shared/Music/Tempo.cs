namespace Stage.Shared.Music;

/// <summary>A constant tempo in quarter notes per minute (the host's BPM; VST3 <c>ProcessContext.tempo</c>
/// is always quarter notes per minute, whatever the time signature's denominator).</summary>
public readonly record struct Tempo
{
    public Tempo(double beatsPerMinute)
    {
        if (!double.IsFinite(beatsPerMinute) || beatsPerMinute <= 0)
            throw new ArgumentOutOfRangeException(nameof(beatsPerMinute), beatsPerMinute, "Tempo must be a finite, positive number of BPM.");
        BeatsPerMinute = beatsPerMinute;
    }

    /// <summary>Quarter notes per minute.</summary>
    public double BeatsPerMinute { get; }

    public double SecondsPerQuarterNote => 60.0 / BeatsPerMinute;

    public double QuarterNotesPerSecond => BeatsPerMinute / 60.0;

    public double QuarterNotesToSeconds(double quarterNotes) => quarterNotes * 60.0 / BeatsPerMinute;

    public double SecondsToQuarterNotes(double seconds) => seconds * BeatsPerMinute / 60.0;

    public override string ToString() => $"{BeatsPerMinute:0.###} BPM";
}

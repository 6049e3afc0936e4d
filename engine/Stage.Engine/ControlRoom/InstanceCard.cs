using Stage.Shared.Protocol;

namespace Stage.Engine.ControlRoom;

/// <summary>
/// One plugin instance as the control room shows it: what the plugin last reported, its latest request
/// (progress, waveforms of the context and of each variation as they stream) and its earlier stems.
/// Every member is read and written under <see cref="Gate"/>; the room bumps <see cref="Version"/> on change.
/// </summary>
sealed class InstanceCard(string id)
{
    const int MaxHistory = 50;

    public readonly Lock Gate = new();
    public string Id { get; } = id;
    public long Version;

    /// <summary>The plugin's latest report; null until its control connection said who it is.</summary>
    public InstanceInfo? Info;
    /// <summary>The plugin's control connection, or null while it is not connected.</summary>
    public Func<ProtocolMessage, CancellationToken, ValueTask>? Send;

    // ---- the latest request ----
    public long RequestId;
    public JobState State;
    public double Fraction;
    public string Step = "";
    public double? EtaSeconds;
    public string Message = "";
    public DateTimeOffset StartedAt;
    public double? FirstAudioSeconds, TotalSeconds;
    public GenerateRequest? Request;
    public Waveform? Context;
    public Waveform[] Variations = [];
    public IReadOnlyList<string> WavPaths = [];

    public readonly List<HistoryEntry> History = [];
    long nextHistoryNumber;

    /// <summary>Quarter notes per bar in the request's meter.</summary>
    public static double QuartersPerBar(TimeSignature meter) => new Stage.Shared.Music.TimeSignature(meter.Numerator, meter.Denominator).QuarterNotesPerBar;

    /// <summary>The stem's length a request asks for, in quarter notes at its tempo and meter.</summary>
    public static double LengthQuarters(GenerateRequest r) =>
        r.Length.InBars ? r.Length.Value * QuartersPerBar(r.TimeSignature) : r.Length.Value * r.TempoBpm / 60;

    /// <summary>The stem's length a request asks for, in bars (fractional when it was asked in seconds).</summary>
    public static double LengthBars(GenerateRequest r) => r.Length.InBars ? r.Length.Value : LengthQuarters(r) / QuartersPerBar(r.TimeSignature);

    public void Start(GenerateRequest request, long stemFrames)
    {
        Request = request;
        RequestId = request.RequestId;
        State = JobState.Generating;
        Fraction = 0;
        Step = "starting";
        EtaSeconds = null;
        Message = "";
        StartedAt = DateTimeOffset.UtcNow;
        FirstAudioSeconds = TotalSeconds = null;
        WavPaths = [];
        var context = request.Context;
        Context = context.Samples.IsEmpty ? null : new Waveform(context.Samples.Length / Math.Max(1, context.Channels));
        Context?.Add(context.Samples.Span, context.Channels, 0);
        // Drawn; the card keeps the request's settings, not its audio (the history holds fifty of them).
        Request = request with { Context = new PcmAudio(ReadOnlyMemory<float>.Empty, context.SampleRate, context.Channels) };
        Variations = new Waveform[request.Variations];
        for (int v = 0; v < Variations.Length; v++) Variations[v] = new Waveform(stemFrames);
    }

    public void Complete(Completed done)
    {
        State = JobState.Done;
        Fraction = 1;
        Step = "done";
        EtaSeconds = null;
        WavPaths = done.WavPaths;
        TotalSeconds = (DateTimeOffset.UtcNow - StartedAt).TotalSeconds;
        if (Request is not { } r || done.WavPaths.Count == 0) return;
        History.Insert(0, new HistoryEntry(++nextHistoryNumber, DateTimeOffset.UtcNow, done.WavPaths, r, Context, Variations));
        if (History.Count > MaxHistory) History.RemoveAt(History.Count - 1);
    }

    public void Fail(Failed failed)
    {
        State = failed.Code == FailureCode.Cancelled ? JobState.Cancelled : JobState.Failed;
        Message = failed.Message;
        EtaSeconds = null;
        TotalSeconds = (DateTimeOffset.UtcNow - StartedAt).TotalSeconds;
        // The plugin keeps playing the last stem it had: show that one, not the half-drawn one.
        if (History.Count > 0) Show(History[0]);
    }

    /// <summary>The card shows <paramref name="entry"/> as the stem at hand (after a failure, or restored).</summary>
    public void Show(HistoryEntry entry)
    {
        Request = entry.Request;
        Context = entry.Context;
        Variations = entry.Drawings;
        WavPaths = entry.WavPaths;
    }
}

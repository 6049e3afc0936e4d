using Stage.Shared.Music;

namespace Stage.Plugin.Processing;

/// <summary>
/// Stage's audio logic, free of any host: parameters, capture of what the plugin hears by musical
/// position, and playback of the generated stem locked to the transport. <see cref="Process"/> runs
/// on the audio thread and never allocates, locks or blocks; everything slow (allocating the capture
/// ring, talking to the engine, files) happens on the engine link's thread through the members marked
/// "worker side".
/// </summary>
public sealed class StagePlugin
{
    /// <summary>The capture ring holds the largest Bars choice with this much room to spare.</summary>
    const double CaptureHeadroom = 1.25;
    const int MaxCaptureSamples = 1 << 24;

    CaptureBuffer? capture;
    double hostSampleRate;
    Stem? stem;
    readonly StemPlayer player = new();
    readonly Stem?[] stemSlots = new Stem?[2];
    Stem? retired;
    long blocksDone, retiredAtBlock;
    StatusReport status = StatusReport.Initial;
    StemReference? lastStem;
    int captureSamplesWanted;
    bool generateHeld, generatePending, openHeld;
    int remoteGenerate, openPressed;
    string prompt = "";
    string instanceId = Guid.NewGuid().ToString("N");
    TrackInfo track = new(null, null);
    double lastTempo;
    int lastNumerator = 4, lastDenominator = 4, lastPlaying;

    public ParameterValues Parameters { get; } = new();

    /// <summary>Generate presses, from the audio thread to the engine link.</summary>
    public SpscRing<GenerateTicket> GenerateRequests { get; } = new(8);

    /// <summary>Audio thread: applies a host parameter change. A rising edge of Generate queues a request.</summary>
    public void SetParameter(ParameterId id, double normalized)
    {
        if (id == ParameterId.Status) return;   // read-only: only the engine link sets it
        if (id == ParameterId.OpenControlRoom)
        {
            bool pressed = normalized >= 0.5;
            if (pressed && !openHeld) Volatile.Write(ref openPressed, 1);
            openHeld = pressed;
        }
        if (id == ParameterId.Generate)
        {
            bool pressed = normalized >= 0.5;
            if (pressed && !generateHeld) generatePending = true;
            generateHeld = pressed;
        }
        Parameters[id] = normalized;
    }

    /// <summary>
    /// Audio thread: one block. Output = input × Input level + stem × Stem level; with the defaults and no
    /// stem the output is the input, bit for bit. Capture records the sidechain when it carries audio
    /// (<paramref name="sideL"/> as long as the block), else the main input. Returns true when this block
    /// posted a Generate request (the host's Generate control can then be reset).
    /// </summary>
    public bool Process(ReadOnlySpan<float> inL, ReadOnlySpan<float> inR, ReadOnlySpan<float> sideL, ReadOnlySpan<float> sideR,
                        Span<float> outL, Span<float> outR, in Transport transport)
    {
        int n = outL.Length;
        if (transport.HasPosition)
        {
            // What the control room shows as the song's tempo and meter; plain stores, read by the engine link.
            Volatile.Write(ref lastTempo, transport.Tempo);
            Volatile.Write(ref lastNumerator, transport.Numerator);
            Volatile.Write(ref lastDenominator, transport.Denominator);
        }
        Volatile.Write(ref lastPlaying, transport.IsPlaying ? 1 : 0);
        if (Volatile.Read(ref remoteGenerate) != 0 && Interlocked.Exchange(ref remoteGenerate, 0) != 0) generatePending = true;
        if (transport.IsPlaying && transport.HasPosition && Parameters.CaptureArmed)
        {
            bool useSide = sideL.Length == n && sideR.Length == n;
            Capture(useSide ? sideL : inL, useSide ? sideR : inR, transport);
        }

        float inputGain = Parameters.InputGain;
        if (inputGain == 1f)
        {
            if (!Overlaps(inL, outL)) inL.CopyTo(outL);
            if (!Overlaps(inR, outR)) inR.CopyTo(outR);
        }
        else
        {
            for (int i = 0; i < n; i++) outL[i] = inL[i] * inputGain;
            for (int i = 0; i < n; i++) outR[i] = inR[i] * inputGain;
        }

        player.Play(Volatile.Read(ref stem), Parameters.Variation - 1, transport, Parameters.Loop, Parameters.StemGain, outL, outR);
        Volatile.Write(ref blocksDone, blocksDone + 1);   // after the player's writes: the engine link reads both

        if (!generatePending) return false;
        generatePending = false;
        var ring = Volatile.Read(ref capture);
        var run = ring?.Run ?? default;
        var ticket = new GenerateTicket { Ring = ring, Run = run, Written = ring?.Written ?? 0, Runs = ring?.Runs ?? 0, HasCapture = run.Length > 0 };
        Parameters.CopyTo(ticket.Parameters);
        return GenerateRequests.TryWrite(ticket);
    }

    void Capture(ReadOnlySpan<float> l, ReadOnlySpan<float> r, in Transport transport)
    {
        var grid = transport.Grid;
        var ring = Volatile.Read(ref capture);
        // The ring must hold the longest region plus one block; it is asked for with headroom so that
        // small tempo changes do not reallocate it (a new ring starts an empty run).
        long needed = Math.Min(MaxCaptureSamples, (long)Math.Ceiling(StageParameters.BarChoices[^1] * grid.SamplesPerBar) + l.Length);
        if (ring == null || ring.Capacity < needed)
        {
            Volatile.Write(ref captureSamplesWanted, (int)Math.Min(MaxCaptureSamples, needed * CaptureHeadroom));
            if (ring == null || ring.Capacity < l.Length) return;   // the engine link allocates a bigger one
        }
        ring.Write(grid.QuarterNotesToSampleCount(transport.Ppq), grid, l, r);
    }

    static bool Overlaps(ReadOnlySpan<float> a, Span<float> b) => a.Overlaps(b);

    // ---- worker side ----

    /// <summary>A Generate press from the control room: the next block takes it as it takes the parameter's.</summary>
    public void PressGenerate() => Volatile.Write(ref remoteGenerate, 1);

    /// <summary>True once per press of "Open control room" (the engine link takes it).</summary>
    public bool TakeOpenPress() => Volatile.Read(ref openPressed) != 0 && Interlocked.Exchange(ref openPressed, 0) != 0;

    /// <summary>The text prompt sent with every request; saved with the project.</summary>
    public string Prompt
    {
        get => Volatile.Read(ref prompt);
        set => Volatile.Write(ref prompt, value);
    }

    /// <summary>This instance's id for the control room; saved with the project, so a reopened project keeps its card.</summary>
    public string InstanceId
    {
        get => Volatile.Read(ref instanceId);
        set => Volatile.Write(ref instanceId, value);
    }

    /// <summary>The track the host says the plugin sits on (VST3 channel context), for the control room.</summary>
    public TrackInfo Track
    {
        get => Volatile.Read(ref track);
        set => Volatile.Write(ref track, value);
    }

    /// <summary>The transport as the last block saw it: tempo (0 until known), meter, whether it plays.</summary>
    public (double Tempo, int Numerator, int Denominator, bool Playing) LastTransport =>
        (Volatile.Read(ref lastTempo), Volatile.Read(ref lastNumerator), Volatile.Read(ref lastDenominator), Volatile.Read(ref lastPlaying) != 0);

    /// <summary>
    /// Set by the edit controller: tells the host a parameter changed outside its own controls (VST3 performEdit),
    /// so automation, undo and the host's generic UI follow a change made on the control room.
    /// </summary>
    public Action<ParameterId, double>? HostEdit { get; set; }

    /// <summary>Worker side: a parameter changed on the control room; the processor plays it at once and the host is told.</summary>
    public void EditFromControlRoom(ParameterId id, double normalized)
    {
        if (Math.Abs(Parameters[id] - normalized) < 1e-12) return;
        Parameters[id] = normalized;
        HostEdit?.Invoke(id, normalized);
    }

    /// <summary>The ring the audio thread captures into (null until the transport first plays armed).</summary>
    public CaptureBuffer? CaptureBuffer => Volatile.Read(ref capture);

    /// <summary>
    /// Host thread, before processing: allocates a capture ring for 16 bars of 4/4 at 60 BPM, so capture
    /// starts with the first block even when the host renders faster than real time. Slower songs grow
    /// the ring on the worker. Skipped for rates above 192 kHz, where the ring would be huge.
    /// </summary>
    public void PrepareCapture(double sampleRate)
    {
        if (!(sampleRate > 0) || sampleRate > 192_000) return;
        var grid = new BarGrid(60, 4, 4, sampleRate);
        int wanted = (int)Math.Min(MaxCaptureSamples, Math.Ceiling(StageParameters.BarChoices[^1] * grid.SamplesPerBar * CaptureHeadroom));
        if ((Volatile.Read(ref capture)?.Capacity ?? 0) < wanted) Volatile.Write(ref capture, new CaptureBuffer(wanted));
    }

    /// <summary>Worker side: allocates the capture ring the audio thread asked for. True if it changed.</summary>
    public bool ProvideCaptureBuffer()
    {
        int wanted = Volatile.Read(ref captureSamplesWanted);
        var ring = Volatile.Read(ref capture);
        if (wanted <= (ring?.Capacity ?? 0)) return false;
        Volatile.Write(ref capture, new CaptureBuffer(wanted));
        return true;
    }

    /// <summary>The host's sample rate from its processing setup (0 until known).</summary>
    public double HostSampleRate
    {
        get => Volatile.Read(ref hostSampleRate);
        set => Volatile.Write(ref hostSampleRate, value);
    }

    /// <summary>The stem being played, if any.</summary>
    public Stem? Stem => Volatile.Read(ref stem);

    /// <summary>Worker side: makes <paramref name="next"/> the stem the audio thread plays (null: none).</summary>
    public void PublishStem(Stem? next)
    {
        var old = Volatile.Read(ref stem);
        Volatile.Write(ref stem, next);
        if (old != null && old != next)
        {
            retired = old;
            retiredAtBlock = Volatile.Read(ref blocksDone);
        }
    }

    /// <summary>
    /// Worker side: an empty stem for a new request, from the one of two slots the audio thread is not
    /// playing. A slot keeps its buffers, so a stem no larger than an earlier one allocates nothing (a
    /// collection while a stem streams would stall the audio thread). Not thread-safe: the engine link's
    /// one writer calls it.
    /// </summary>
    public Stem NewStem(int variations, int length, double startPpq, double lengthQuarters, double sampleRate)
    {
        int slot = stemSlots[0] != null && stemSlots[0] == Stem ? 1 : 0;
        var free = stemSlots[slot];
        if (free == null) return stemSlots[slot] = new Stem(variations, length, startPpq, lengthQuarters, sampleRate);
        if (free == retired) AwaitBlockAfterRetirement();
        free.Reset(variations, length, startPpq, lengthQuarters, sampleRate);
        return free;
    }

    /// <summary>
    /// The retired stem may still be heard: by a block that was running when it was replaced, and by the fade-out
    /// the next block starts from it. Wait for both to end (two blocks, then the fade). A host that has stopped
    /// calling process() reads nothing, hence the bound.
    /// </summary>
    void AwaitBlockAfterRetirement()
    {
        var free = retired;
        var deadline = Environment.TickCount64 + 200;
        while ((Volatile.Read(ref blocksDone) <= retiredAtBlock + 1 || player.FadingStem == free) && Environment.TickCount64 < deadline)
            Thread.Sleep(1);
        retired = null;
    }

    public StatusReport Status
    {
        get => Volatile.Read(ref status);
        set => Volatile.Write(ref status, value);
    }

    /// <summary>The last stem's files and placement, saved with the project.</summary>
    public StemReference? LastStem
    {
        get => Volatile.Read(ref lastStem);
        set => Volatile.Write(ref lastStem, value);
    }
}

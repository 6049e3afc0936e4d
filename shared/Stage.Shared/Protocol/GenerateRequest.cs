namespace Stage.Shared.Protocol;

/// <summary>
/// Asks the engine for a stem that fits the session. The engine replies with <see cref="Progress"/> and
/// <see cref="StemChunk"/> messages, then exactly one <see cref="Completed"/> or <see cref="Failed"/>.
/// Requests on one connection run one after another, in the order sent.
/// <para>Keys on the wire: type "generate", requestId, instrument ("drums"|"bass"), context (see
/// <see cref="PcmAudio"/>), tempoBpm, timeSignature [n, d], lengthBars or lengthSeconds, contextMode
/// ("mixture"|"click"|"both"), and the optional clickOffsetSeconds, prompt, temperature, topK, guidance,
/// seed (nil = engine picks), variations, outputSampleRate, outputChannels, writeWav, wavDirectory
/// (nil = the user's stems folder), instanceId (the plugin instance's id for the control room; nil = none), stemStartPpq (where the stem
/// goes on the host's timeline, in quarter notes; nil = not placed). Absent optional keys take the defaults below.</para>
/// </summary>
public sealed record GenerateRequest : ProtocolMessage
{
    public const string TypeName = "generate";
    public override string Type => TypeName;

    public const double DefaultTemperature = 1.0;
    public const int DefaultTopK = 250;
    public const double DefaultGuidance = 3.0;
    public const int DefaultOutputSampleRate = 48_000;
    public const int DefaultOutputChannels = 2;

    /// <summary>Chosen by the client, unique on its connection, at least 1.</summary>
    public required long RequestId { get; init; }
    public required Instrument Instrument { get; init; }
    /// <summary>The session audio the stem must fit (interleaved). May be empty in click mode.</summary>
    public required PcmAudio Context { get; init; }
    public required double TempoBpm { get; init; }
    public required TimeSignature TimeSignature { get; init; }
    public required StemLength Length { get; init; }
    public required ContextMode ContextMode { get; init; }
    /// <summary>Where beat 1 of a bar falls in the context audio, in seconds from its start.</summary>
    public double ClickOffsetSeconds { get; init; }
    /// <summary>The text prompt that steers style, e.g. "funk drums, tight hi-hats".</summary>
    public string Prompt { get; init; } = "";
    public double Temperature { get; init; } = DefaultTemperature;
    /// <summary>Sample among the k most likely tokens; 0 disables top-k.</summary>
    public int TopK { get; init; } = DefaultTopK;
    /// <summary>Classifier-free guidance scale; 1 means no guidance.</summary>
    public double Guidance { get; init; } = DefaultGuidance;
    /// <summary>Null lets the engine pick (and variations then differ run to run).</summary>
    public long? Seed { get; init; }
    public int Variations { get; init; } = 1;
    public int OutputSampleRate { get; init; } = DefaultOutputSampleRate;
    public int OutputChannels { get; init; } = DefaultOutputChannels;
    public bool WriteWav { get; init; } = true;
    /// <summary>Folder for the WAVs; null means the user's stems folder.</summary>
    public string? WavDirectory { get; init; }
    /// <summary>The sending plugin instance's <see cref="InstanceInfo.InstanceId"/>, so the control room shows the
    /// request on its card; null for other clients.</summary>
    public string? InstanceId { get; init; }
    /// <summary>Where the stem starts on the host's timeline in quarter notes (the control room draws bar
    /// numbers from it and restores earlier stems there); null when the client does not place it.</summary>
    public double? StemStartPpq { get; init; }

    /// <summary>
    /// Why the engine cannot serve this request as asked, or null when the values are usable. Checks only
    /// what any generator needs; a generator may refuse more (e.g. a length its model cannot reach).
    /// </summary>
    public string? Problem()
    {
        if (RequestId < 1) return $"requestId {RequestId} must be 1 or more";
        if (!Enum.IsDefined(Instrument)) return $"instrument {(int)Instrument} is unknown";
        if (!Enum.IsDefined(ContextMode)) return $"context mode {(int)ContextMode} is unknown";
        if (Context.Problem() is { } audio) return $"context audio: {audio}";
        if (ContextMode != ContextMode.Click && Context.Samples.IsEmpty)
            return $"context mode '{ContextModeName.Of(ContextMode)}' needs context audio, but none was sent";
        if (!double.IsFinite(TempoBpm) || TempoBpm is < 20 or > 400) return $"tempo {TempoBpm} BPM is outside 20..400";
        if (TimeSignature.Problem() is { } meter) return meter;
        if (Length.Problem() is { } length) return length;
        if (!double.IsFinite(ClickOffsetSeconds) || ClickOffsetSeconds < 0)
            return $"click offset {ClickOffsetSeconds} s must be 0 or more";
        if (!double.IsFinite(Temperature) || Temperature <= 0) return $"temperature {Temperature} must be above 0";
        if (TopK < 0) return $"top-k {TopK} must be 0 (off) or more";
        if (!double.IsFinite(Guidance) || Guidance < 0) return $"guidance {Guidance} must be 0 or more";
        if (Variations is < 1 or > 16) return $"{Variations} variations is outside 1..16";
        if (OutputSampleRate is < 8_000 or > 384_000) return $"output sample rate {OutputSampleRate} Hz is outside 8000..384000";
        if (InstanceId is { Length: 0 or > 64 }) return $"instance id of {InstanceId.Length} characters must have 1 to 64";
        if (StemStartPpq is { } ppq && !double.IsFinite(ppq)) return $"stem start {ppq} PPQ is not a finite number";
        if (Prompt.Length > InstanceInfo.MaxPromptLength) return $"the prompt is {Prompt.Length} characters; at most {InstanceInfo.MaxPromptLength}";
        if (OutputChannels is < 1 or > 2) return $"output channel count {OutputChannels} is not 1 or 2";
        return null;
    }

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(21);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("generate"u8);
        writer.WriteUtf8("requestId"u8);
        writer.Write(RequestId);
        writer.WriteUtf8("instrument"u8);
        writer.Write(InstrumentName.Of(Instrument));
        writer.WriteUtf8("context"u8);
        Context.Write(ref writer);
        writer.WriteUtf8("tempoBpm"u8);
        writer.Write(TempoBpm);
        writer.WriteUtf8("timeSignature"u8);
        writer.WriteArrayHeader(2);
        writer.Write(TimeSignature.Numerator);
        writer.Write(TimeSignature.Denominator);
        writer.WriteUtf8(Length.InBars ? "lengthBars"u8 : "lengthSeconds"u8);
        writer.Write(Length.Value);
        writer.WriteUtf8("contextMode"u8);
        writer.Write(ContextModeName.Of(ContextMode));
        writer.WriteUtf8("clickOffsetSeconds"u8);
        writer.Write(ClickOffsetSeconds);
        writer.WriteUtf8("prompt"u8);
        writer.Write(Prompt);
        writer.WriteUtf8("temperature"u8);
        writer.Write(Temperature);
        writer.WriteUtf8("topK"u8);
        writer.Write(TopK);
        writer.WriteUtf8("guidance"u8);
        writer.Write(Guidance);
        writer.WriteUtf8("seed"u8);
        if (Seed is { } seed) writer.Write(seed); else writer.WriteNil();
        writer.WriteUtf8("variations"u8);
        writer.Write(Variations);
        writer.WriteUtf8("outputSampleRate"u8);
        writer.Write(OutputSampleRate);
        writer.WriteUtf8("outputChannels"u8);
        writer.Write(OutputChannels);
        writer.WriteUtf8("writeWav"u8);
        writer.Write(WriteWav);
        writer.WriteUtf8("wavDirectory"u8);
        writer.Write(WavDirectory);
        writer.WriteUtf8("instanceId"u8);
        writer.Write(InstanceId);
        writer.WriteUtf8("stemStartPpq"u8);
        if (StemStartPpq is { } start) writer.Write(start); else writer.WriteNil();
    }

    internal static GenerateRequest Read(ref MessageFields fields)
    {
        long? requestId = null, seed = null;
        Instrument? instrument = null;
        PcmAudio? context = null;
        double? tempo = null, bars = null, seconds = null;
        (int, int)? meter = null;
        ContextMode? mode = null;
        var defaults = new Optional();
        while (fields.Next())
        {
            if (fields.Is("requestId"u8)) requestId = fields.ReadInt64();
            else if (fields.Is("instrument"u8)) instrument = fields.ReadInstrument("instrument");
            else if (fields.Is("context"u8)) context = fields.ReadPcm();
            else if (fields.Is("tempoBpm"u8)) tempo = fields.ReadDouble();
            else if (fields.Is("timeSignature"u8)) meter = fields.ReadIntPair();
            else if (fields.Is("lengthBars"u8)) bars = fields.ReadDouble();
            else if (fields.Is("lengthSeconds"u8)) seconds = fields.ReadDouble();
            else if (fields.Is("contextMode"u8)) mode = fields.ReadContextMode("contextMode");
            else if (fields.Is("clickOffsetSeconds"u8)) defaults.ClickOffsetSeconds = fields.ReadDouble();
            else if (fields.Is("prompt"u8)) defaults.Prompt = fields.ReadString();
            else if (fields.Is("temperature"u8)) defaults.Temperature = fields.ReadDouble();
            else if (fields.Is("topK"u8)) defaults.TopK = fields.ReadInt32();
            else if (fields.Is("guidance"u8)) defaults.Guidance = fields.ReadDouble();
            else if (fields.Is("seed"u8)) seed = fields.ReadNullableInt64();
            else if (fields.Is("variations"u8)) defaults.Variations = fields.ReadInt32();
            else if (fields.Is("outputSampleRate"u8)) defaults.OutputSampleRate = fields.ReadInt32();
            else if (fields.Is("outputChannels"u8)) defaults.OutputChannels = fields.ReadInt32();
            else if (fields.Is("writeWav"u8)) defaults.WriteWav = fields.ReadBoolean();
            else if (fields.Is("wavDirectory"u8)) defaults.WavDirectory = fields.ReadNullableString();
            else if (fields.Is("instanceId"u8)) defaults.InstanceId = fields.ReadNullableString();
            else if (fields.Is("stemStartPpq"u8)) defaults.StemStartPpq = fields.ReadNullableDouble();
            else fields.Skip();
        }
        if (bars is not null && seconds is not null)
            throw fields.Invalid("lengthBars", "both lengthBars and lengthSeconds were sent; send one");
        var (numerator, denominator) = fields.Required(meter, "timeSignature");
        return new GenerateRequest
        {
            RequestId = fields.Required(requestId, "requestId"),
            Instrument = fields.Required(instrument, "instrument"),
            Context = fields.Required(context, "context"),
            TempoBpm = fields.Required(tempo, "tempoBpm"),
            TimeSignature = new TimeSignature(numerator, denominator),
            Length = bars is { } b ? StemLength.Bars(b) : StemLength.Seconds(fields.Required(seconds, "lengthBars' or 'lengthSeconds")),
            ContextMode = fields.Required(mode, "contextMode"),
            ClickOffsetSeconds = defaults.ClickOffsetSeconds,
            Prompt = defaults.Prompt,
            Temperature = defaults.Temperature,
            TopK = defaults.TopK,
            Guidance = defaults.Guidance,
            Seed = seed,
            Variations = defaults.Variations,
            OutputSampleRate = defaults.OutputSampleRate,
            OutputChannels = defaults.OutputChannels,
            WriteWav = defaults.WriteWav,
            WavDirectory = defaults.WavDirectory,
            InstanceId = defaults.InstanceId,
            StemStartPpq = defaults.StemStartPpq,
        };
    }

    /// <summary>The optional fields with their defaults, filled while reading.</summary>
    sealed class Optional
    {
        public double ClickOffsetSeconds;
        public string Prompt = "";
        public double Temperature = DefaultTemperature;
        public int TopK = DefaultTopK;
        public double Guidance = DefaultGuidance;
        public int Variations = 1;
        public int OutputSampleRate = DefaultOutputSampleRate;
        public int OutputChannels = DefaultOutputChannels;
        public bool WriteWav = true;
        public string? WavDirectory;
        public string? InstanceId;
        public double? StemStartPpq;
    }
}

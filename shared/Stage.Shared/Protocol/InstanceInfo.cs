namespace Stage.Shared.Protocol;

/// <summary>
/// What a plugin instance tells the engine about itself for the control room: the track it sits on, its
/// settings, what the host's transport says and what it has captured. Sent on its control connection
/// after the handshake and again whenever something in it changes; the latest one replaces the earlier.
/// <para>Keys on the wire: type "instance", instanceId, trackName (nil = the host did not say), trackColour
/// (0xAARRGGBB or nil), instrument, contextMode, bars, tempoBpm (0 = unknown), timeSignature [n, d],
/// sampleRate (0 = unknown), capturedBars, capturedFirstBar (0-based; -1 = none), playing, prompt,
/// temperature, topK, guidance, seed, variations, variation (1-based, the one the plugin plays), status,
/// stemWavPaths (the stem the plugin holds, one per variation).</para>
/// </summary>
public sealed record InstanceInfo : ProtocolMessage
{
    public const string TypeName = "instance";
    public override string Type => TypeName;

    /// <summary>Longest prompt a plugin or the page may set, in UTF-16 characters.</summary>
    public const int MaxPromptLength = 2000;

    /// <summary>Stable across project reloads (saved with the plugin's state).</summary>
    public required string InstanceId { get; init; }
    public string? TrackName { get; init; }
    public uint? TrackColour { get; init; }
    public Instrument Instrument { get; init; }
    public ContextMode ContextMode { get; init; }
    public int Bars { get; init; }
    public double TempoBpm { get; init; }
    public TimeSignature TimeSignature { get; init; } = new(4, 4);
    public double SampleRate { get; init; }
    public int CapturedBars { get; init; }
    public long CapturedFirstBar { get; init; } = -1;
    public bool Playing { get; init; }
    public string Prompt { get; init; } = "";
    public double Temperature { get; init; } = GenerateRequest.DefaultTemperature;
    public int TopK { get; init; } = GenerateRequest.DefaultTopK;
    public double Guidance { get; init; } = GenerateRequest.DefaultGuidance;
    public long Seed { get; init; }
    public int Variations { get; init; } = 1;
    public int Variation { get; init; } = 1;
    public string Status { get; init; } = "";
    public IReadOnlyList<string> StemWavPaths { get; init; } = [];

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(22);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("instance"u8);
        writer.WriteUtf8("instanceId"u8);
        writer.Write(InstanceId);
        writer.WriteUtf8("trackName"u8);
        writer.Write(TrackName);
        writer.WriteUtf8("trackColour"u8);
        if (TrackColour is { } colour) writer.Write((long)colour); else writer.WriteNil();
        writer.WriteUtf8("instrument"u8);
        writer.Write(InstrumentName.Of(Instrument));
        writer.WriteUtf8("contextMode"u8);
        writer.Write(ContextModeName.Of(ContextMode));
        writer.WriteUtf8("bars"u8);
        writer.Write(Bars);
        writer.WriteUtf8("tempoBpm"u8);
        writer.Write(TempoBpm);
        writer.WriteUtf8("timeSignature"u8);
        writer.WriteArrayHeader(2);
        writer.Write(TimeSignature.Numerator);
        writer.Write(TimeSignature.Denominator);
        writer.WriteUtf8("sampleRate"u8);
        writer.Write(SampleRate);
        writer.WriteUtf8("capturedBars"u8);
        writer.Write(CapturedBars);
        writer.WriteUtf8("capturedFirstBar"u8);
        writer.Write(CapturedFirstBar);
        writer.WriteUtf8("playing"u8);
        writer.Write(Playing);
        writer.WriteUtf8("prompt"u8);
        writer.Write(Prompt);
        writer.WriteUtf8("temperature"u8);
        writer.Write(Temperature);
        writer.WriteUtf8("topK"u8);
        writer.Write(TopK);
        writer.WriteUtf8("guidance"u8);
        writer.Write(Guidance);
        writer.WriteUtf8("seed"u8);
        writer.Write(Seed);
        writer.WriteUtf8("variations"u8);
        writer.Write(Variations);
        writer.WriteUtf8("variation"u8);
        writer.Write(Variation);
        writer.WriteUtf8("status"u8);
        writer.Write(Status);
        writer.WriteUtf8("stemWavPaths"u8);
        writer.WriteArrayHeader(StemWavPaths.Count);
        foreach (var path in StemWavPaths) writer.Write(path);
    }

    internal static InstanceInfo Read(ref MessageFields fields)
    {
        string? id = null;
        var info = new InstanceInfo { InstanceId = "" };
        while (fields.Next())
        {
            if (fields.Is("instanceId"u8)) id = fields.ReadString();
            else if (fields.Is("trackName"u8)) info = info with { TrackName = fields.ReadNullableString() };
            else if (fields.Is("trackColour"u8)) info = info with { TrackColour = fields.ReadNullableInt64() is { } c ? (uint)c : null };
            else if (fields.Is("instrument"u8)) info = info with { Instrument = fields.ReadInstrument("instrument") };
            else if (fields.Is("contextMode"u8)) info = info with { ContextMode = fields.ReadContextMode("contextMode") };
            else if (fields.Is("bars"u8)) info = info with { Bars = fields.ReadInt32() };
            else if (fields.Is("tempoBpm"u8)) info = info with { TempoBpm = fields.ReadDouble() };
            else if (fields.Is("timeSignature"u8)) { var (n, d) = fields.ReadIntPair(); info = info with { TimeSignature = new TimeSignature(n, d) }; }
            else if (fields.Is("sampleRate"u8)) info = info with { SampleRate = fields.ReadDouble() };
            else if (fields.Is("capturedBars"u8)) info = info with { CapturedBars = fields.ReadInt32() };
            else if (fields.Is("capturedFirstBar"u8)) info = info with { CapturedFirstBar = fields.ReadInt64() };
            else if (fields.Is("playing"u8)) info = info with { Playing = fields.ReadBoolean() };
            else if (fields.Is("prompt"u8)) info = info with { Prompt = fields.ReadString() };
            else if (fields.Is("temperature"u8)) info = info with { Temperature = fields.ReadDouble() };
            else if (fields.Is("topK"u8)) info = info with { TopK = fields.ReadInt32() };
            else if (fields.Is("guidance"u8)) info = info with { Guidance = fields.ReadDouble() };
            else if (fields.Is("seed"u8)) info = info with { Seed = fields.ReadInt64() };
            else if (fields.Is("variations"u8)) info = info with { Variations = fields.ReadInt32() };
            else if (fields.Is("variation"u8)) info = info with { Variation = fields.ReadInt32() };
            else if (fields.Is("status"u8)) info = info with { Status = fields.ReadString() };
            else if (fields.Is("stemWavPaths"u8)) info = info with { StemWavPaths = fields.ReadStringArray() };
            else fields.Skip();
        }
        id = fields.Required(id, "instanceId");
        if (id.Length is 0 or > 64) throw fields.Invalid("instanceId", $"must be 1 to 64 characters, not {id.Length}");
        if (info.Prompt.Length > MaxPromptLength) throw fields.Invalid("prompt", $"is {info.Prompt.Length} characters; at most {MaxPromptLength}");
        return info with { InstanceId = id };
    }
}

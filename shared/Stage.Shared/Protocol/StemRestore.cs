namespace Stage.Shared.Protocol;

/// <summary>
/// Puts an earlier stem back into the instance (engine to plugin): its WAVs (one per variation), played
/// from <see cref="StartPpq"/> for <see cref="LengthQuarters"/>, as a project reload does.
/// <para>Keys on the wire: type "restore", wavPaths, startPpq, lengthQuarters, sampleRate.</para>
/// </summary>
public sealed record StemRestore(IReadOnlyList<string> WavPaths, double StartPpq, double LengthQuarters, double SampleRate) : ProtocolMessage
{
    public const string TypeName = "restore";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(5);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("restore"u8);
        writer.WriteUtf8("wavPaths"u8);
        writer.WriteArrayHeader(WavPaths.Count);
        foreach (var path in WavPaths) writer.Write(path);
        writer.WriteUtf8("startPpq"u8);
        writer.Write(StartPpq);
        writer.WriteUtf8("lengthQuarters"u8);
        writer.Write(LengthQuarters);
        writer.WriteUtf8("sampleRate"u8);
        writer.Write(SampleRate);
    }

    internal static StemRestore Read(ref MessageFields fields)
    {
        string[]? paths = null;
        double? start = null, quarters = null, rate = null;
        while (fields.Next())
        {
            if (fields.Is("wavPaths"u8)) paths = fields.ReadStringArray();
            else if (fields.Is("startPpq"u8)) start = fields.ReadDouble();
            else if (fields.Is("lengthQuarters"u8)) quarters = fields.ReadDouble();
            else if (fields.Is("sampleRate"u8)) rate = fields.ReadDouble();
            else fields.Skip();
        }
        var restore = new StemRestore(fields.Required(paths, "wavPaths"), fields.Required(start, "startPpq"),
            fields.Required(quarters, "lengthQuarters"), fields.Required(rate, "sampleRate"));
        if (restore.WavPaths.Count is < 1 or > 16) throw fields.Invalid("wavPaths", $"lists {restore.WavPaths.Count} files; 1 to 16");
        if (!(restore.LengthQuarters > 0) || !(restore.SampleRate > 0) || !double.IsFinite(restore.StartPpq))
            throw fields.Invalid("lengthQuarters", "a stem needs a finite start, a length and a sample rate above 0");
        return restore;
    }
}

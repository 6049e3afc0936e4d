namespace Stage.Shared.Protocol;

/// <summary>
/// A request finished: <see cref="Variations"/> stems of <see cref="TotalSamples"/> sample frames each
/// were streamed, and <see cref="WavPaths"/> holds one path per variation when WAVs were written (else empty).
/// </summary>
public sealed record Completed(long RequestId, int Variations, long TotalSamples, IReadOnlyList<string> WavPaths) : ProtocolMessage
{
    public const string TypeName = "completed";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(5);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("completed"u8);
        writer.WriteUtf8("requestId"u8);
        writer.Write(RequestId);
        writer.WriteUtf8("variations"u8);
        writer.Write(Variations);
        writer.WriteUtf8("totalSamples"u8);
        writer.Write(TotalSamples);
        writer.WriteUtf8("wavPaths"u8);
        writer.WriteArrayHeader(WavPaths.Count);
        foreach (var path in WavPaths) writer.Write(path);
    }

    internal static Completed Read(ref MessageFields fields)
    {
        long? requestId = null, total = null;
        int? variations = null;
        string[]? paths = null;
        while (fields.Next())
        {
            if (fields.Is("requestId"u8)) requestId = fields.ReadInt64();
            else if (fields.Is("variations"u8)) variations = fields.ReadInt32();
            else if (fields.Is("totalSamples"u8)) total = fields.ReadInt64();
            else if (fields.Is("wavPaths"u8)) paths = fields.ReadStringArray();
            else fields.Skip();
        }
        return new Completed(
            fields.Required(requestId, "requestId"),
            fields.Required(variations, "variations"),
            fields.Required(total, "totalSamples"),
            paths ?? []);
    }
}

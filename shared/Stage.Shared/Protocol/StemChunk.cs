namespace Stage.Shared.Protocol;

/// <summary>
/// A piece of a generated stem. <see cref="SampleOffset"/> counts sample frames from the start of the
/// stem (variation <see cref="Variation"/>, 0-based); chunks of one variation arrive in order.
/// </summary>
public sealed record StemChunk(long RequestId, int Variation, long SampleOffset, PcmAudio Audio) : ProtocolMessage
{
    public const string TypeName = "stem_chunk";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(5);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("stem_chunk"u8);
        writer.WriteUtf8("requestId"u8);
        writer.Write(RequestId);
        writer.WriteUtf8("variation"u8);
        writer.Write(Variation);
        writer.WriteUtf8("sampleOffset"u8);
        writer.Write(SampleOffset);
        writer.WriteUtf8("audio"u8);
        Audio.Write(ref writer);
    }

    internal static StemChunk Read(ref MessageFields fields)
    {
        long? requestId = null, offset = null;
        int? variation = null;
        PcmAudio? audio = null;
        while (fields.Next())
        {
            if (fields.Is("requestId"u8)) requestId = fields.ReadInt64();
            else if (fields.Is("variation"u8)) variation = fields.ReadInt32();
            else if (fields.Is("sampleOffset"u8)) offset = fields.ReadInt64();
            else if (fields.Is("audio"u8)) audio = fields.ReadPcm();
            else fields.Skip();
        }
        return new StemChunk(
            fields.Required(requestId, "requestId"),
            fields.Required(variation, "variation"),
            fields.Required(offset, "sampleOffset"),
            fields.Required(audio, "audio"));
    }
}

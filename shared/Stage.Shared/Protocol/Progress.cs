namespace Stage.Shared.Protocol;

/// <summary>
/// How far a request has come. <see cref="Fraction"/> is 0..1 over the whole request; <see cref="Step"/>
/// names what the engine is doing ("encoding context", "generating", "decoding"); <see cref="EtaSeconds"/>
/// is null while unknown.
/// </summary>
public sealed record Progress(long RequestId, double Fraction, string Step, double? EtaSeconds) : ProtocolMessage
{
    public const string TypeName = "progress";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(5);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("progress"u8);
        writer.WriteUtf8("requestId"u8);
        writer.Write(RequestId);
        writer.WriteUtf8("fraction"u8);
        writer.Write(Fraction);
        writer.WriteUtf8("step"u8);
        writer.Write(Step);
        writer.WriteUtf8("etaSeconds"u8);
        if (EtaSeconds is { } eta) writer.Write(eta); else writer.WriteNil();
    }

    internal static Progress Read(ref MessageFields fields)
    {
        long? requestId = null;
        double? fraction = null, eta = null;
        string? step = null;
        while (fields.Next())
        {
            if (fields.Is("requestId"u8)) requestId = fields.ReadInt64();
            else if (fields.Is("fraction"u8)) fraction = fields.ReadDouble();
            else if (fields.Is("step"u8)) step = fields.ReadString();
            else if (fields.Is("etaSeconds"u8)) eta = fields.ReadNullableDouble();
            else fields.Skip();
        }
        return new Progress(
            fields.Required(requestId, "requestId"),
            fields.Required(fraction, "fraction"),
            fields.Required(step, "step"),
            eta);
    }
}

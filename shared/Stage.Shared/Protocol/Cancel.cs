namespace Stage.Shared.Protocol;

/// <summary>
/// Stops a running or queued request. The engine answers with that request's <see cref="Failed"/>
/// (<see cref="FailureCode.Cancelled"/>), or nothing if it had already finished.
/// </summary>
public sealed record Cancel(long RequestId) : ProtocolMessage
{
    public const string TypeName = "cancel";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(2);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("cancel"u8);
        writer.WriteUtf8("requestId"u8);
        writer.Write(RequestId);
    }

    internal static Cancel Read(ref MessageFields fields)
    {
        long? requestId = null;
        while (fields.Next())
        {
            if (fields.Is("requestId"u8)) requestId = fields.ReadInt64();
            else fields.Skip();
        }
        return new Cancel(fields.Required(requestId, "requestId"));
    }
}

namespace Stage.Shared.Protocol;

/// <summary>
/// A request, or the connection, failed. <see cref="Code"/> is a <see cref="FailureCode"/>;
/// <see cref="Message"/> says what went wrong and what to do, in words a producer can act on.
/// <see cref="RequestId"/> is 0 when the failure is about the connection rather than one request.
/// </summary>
public sealed record Failed(long RequestId, string Code, string Message) : ProtocolMessage
{
    public const string TypeName = "failed";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(4);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("failed"u8);
        writer.WriteUtf8("requestId"u8);
        writer.Write(RequestId);
        writer.WriteUtf8("code"u8);
        writer.Write(Code);
        writer.WriteUtf8("message"u8);
        writer.Write(Message);
    }

    internal static Failed Read(ref MessageFields fields)
    {
        long? requestId = null;
        string? code = null, message = null;
        while (fields.Next())
        {
            if (fields.Is("requestId"u8)) requestId = fields.ReadInt64();
            else if (fields.Is("code"u8)) code = fields.ReadString();
            else if (fields.Is("message"u8)) message = fields.ReadString();
            else fields.Skip();
        }
        return new Failed(
            fields.Required(requestId, "requestId"),
            fields.Required(code, "code"),
            fields.Required(message, "message"));
    }
}

namespace Stage.Shared.Protocol;

/// <summary>The client's first message. The engine answers <see cref="Welcome"/>, or <see cref="Failed"/>
/// with <see cref="FailureCode.UnsupportedVersion"/> and a disconnect.</summary>
public sealed record Hello(int ProtocolVersion, string ClientName, string ClientVersion) : ProtocolMessage
{
    /// <summary>Bumped on every incompatible change to the messages or framing. 2: the control room
    /// (<see cref="InstanceInfo"/>, <see cref="PromptSettings"/>, <see cref="RemotePress"/>,
    /// <see cref="VariationChoice"/>, <see cref="StemRestore"/>, <see cref="OpenControlRoom"/>, and
    /// <see cref="GenerateRequest.InstanceId"/>).</summary>
    public const int CurrentProtocolVersion = 2;

    public const string TypeName = "hello";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(4);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("hello"u8);
        writer.WriteUtf8("protocolVersion"u8);
        writer.Write(ProtocolVersion);
        writer.WriteUtf8("clientName"u8);
        writer.Write(ClientName);
        writer.WriteUtf8("clientVersion"u8);
        writer.Write(ClientVersion);
    }

    internal static Hello Read(ref MessageFields fields)
    {
        int? version = null;
        string? name = null, clientVersion = null;
        while (fields.Next())
        {
            if (fields.Is("protocolVersion"u8)) version = fields.ReadInt32();
            else if (fields.Is("clientName"u8)) name = fields.ReadString();
            else if (fields.Is("clientVersion"u8)) clientVersion = fields.ReadString();
            else fields.Skip();
        }
        return new Hello(
            fields.Required(version, "protocolVersion"),
            fields.Required(name, "clientName"),
            fields.Required(clientVersion, "clientVersion"));
    }
}

namespace Stage.Shared.Protocol;

/// <summary>Asks the peer to answer <see cref="Pong"/> with the same <see cref="Token"/>; a liveness check.</summary>
public sealed record Ping(long Token) : ProtocolMessage
{
    public const string TypeName = "ping";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(2);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("ping"u8);
        writer.WriteUtf8("token"u8);
        writer.Write(Token);
    }

    internal static Ping Read(ref MessageFields fields)
    {
        long? token = null;
        while (fields.Next())
        {
            if (fields.Is("token"u8)) token = fields.ReadInt64();
            else fields.Skip();
        }
        return new Ping(fields.Required(token, "token"));
    }
}

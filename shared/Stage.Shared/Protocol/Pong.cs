namespace Stage.Shared.Protocol;

/// <summary>The answer to <see cref="Ping"/>, carrying its <see cref="Token"/>.</summary>
public sealed record Pong(long Token) : ProtocolMessage
{
    public const string TypeName = "pong";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(2);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("pong"u8);
        writer.WriteUtf8("token"u8);
        writer.Write(Token);
    }

    internal static Pong Read(ref MessageFields fields)
    {
        long? token = null;
        while (fields.Next())
        {
            if (fields.Is("token"u8)) token = fields.ReadInt64();
            else fields.Skip();
        }
        return new Pong(fields.Required(token, "token"));
    }
}

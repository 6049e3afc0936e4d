namespace Stage.Shared.Protocol;

/// <summary>
/// Asks the engine to open its control room in the user's browser (the plugin's "Open control room"
/// parameter, `stage-engine open`). No reply: the address is in <see cref="Welcome.Capabilities"/>
/// (<see cref="EngineCapability.ControlRoomPrefix"/>), and a browser that fails to start is logged.
/// <para>Keys on the wire: type "open".</para>
/// </summary>
public sealed record OpenControlRoom : ProtocolMessage
{
    public const string TypeName = "open";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(1);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("open"u8);
    }

    internal static OpenControlRoom Read(ref MessageFields fields)
    {
        while (fields.Next()) fields.Skip();
        return new OpenControlRoom();
    }
}

namespace Stage.Shared.Protocol;

/// <summary>What the producer pressed on the control room's card of an instance.</summary>
public enum RemoteAction
{
    /// <summary>Capture the last bars and send <see cref="GenerateRequest"/>, as the Generate parameter does.</summary>
    Generate,
    /// <summary>Cancel the instance's running request.</summary>
    Cancel,
}

/// <summary>
/// A press on the control room, forwarded to the plugin instance it is for (engine to plugin): the plugin
/// acts on it as on its own parameter, so the request that follows carries its captured bars.
/// <para>Keys on the wire: type "press", action ("generate"|"cancel").</para>
/// </summary>
public sealed record RemotePress(RemoteAction Action) : ProtocolMessage
{
    public const string TypeName = "press";
    public override string Type => TypeName;

    public static string NameOf(RemoteAction action) => action == RemoteAction.Generate ? "generate" : "cancel";

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(2);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("press"u8);
        writer.WriteUtf8("action"u8);
        writer.Write(NameOf(Action));
    }

    internal static RemotePress Read(ref MessageFields fields)
    {
        RemoteAction? action = null;
        while (fields.Next())
        {
            if (fields.Is("action"u8))
            {
                var name = fields.ReadString();
                action = name switch
                {
                    "generate" => RemoteAction.Generate,
                    "cancel" => RemoteAction.Cancel,
                    _ => throw fields.Invalid("action", $"'{name}' is not \"generate\" or \"cancel\""),
                };
            }
            else fields.Skip();
        }
        return new RemotePress(fields.Required(action, "action"));
    }
}

namespace Stage.Shared.Protocol;

/// <summary>
/// The engine's answer to <see cref="Hello"/>. <see cref="Capabilities"/> lists optional features by
/// name (see <see cref="EngineCapability"/>) so a client can adapt without a protocol version bump.
/// </summary>
public sealed record Welcome(int ProtocolVersion, string EngineVersion, IReadOnlyList<string> Capabilities) : ProtocolMessage
{
    public const string TypeName = "welcome";

    /// <summary>The control room's address from <see cref="EngineCapability.ControlRoomPrefix"/>, or null when the engine serves none.</summary>
    public string? ControlRoomAddress
    {
        get
        {
            foreach (var capability in Capabilities)
                if (capability.StartsWith(EngineCapability.ControlRoomPrefix, StringComparison.Ordinal)) return capability[EngineCapability.ControlRoomPrefix.Length..];
            return null;
        }
    }
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(4);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("welcome"u8);
        writer.WriteUtf8("protocolVersion"u8);
        writer.Write(ProtocolVersion);
        writer.WriteUtf8("engineVersion"u8);
        writer.Write(EngineVersion);
        writer.WriteUtf8("capabilities"u8);
        writer.WriteArrayHeader(Capabilities.Count);
        foreach (var capability in Capabilities) writer.Write(capability);
    }

    internal static Welcome Read(ref MessageFields fields)
    {
        int? version = null;
        string? engineVersion = null;
        string[]? capabilities = null;
        while (fields.Next())
        {
            if (fields.Is("protocolVersion"u8)) version = fields.ReadInt32();
            else if (fields.Is("engineVersion"u8)) engineVersion = fields.ReadString();
            else if (fields.Is("capabilities"u8)) capabilities = fields.ReadStringArray();
            else fields.Skip();
        }
        return new Welcome(
            fields.Required(version, "protocolVersion"),
            fields.Required(engineVersion, "engineVersion"),
            fields.Required(capabilities, "capabilities"));
    }
}

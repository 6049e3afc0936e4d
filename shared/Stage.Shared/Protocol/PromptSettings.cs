namespace Stage.Shared.Protocol;

/// <summary>
/// The control room changes an instance's prompt or sampling settings (engine to plugin). Only the
/// fields that are set change; the plugin then reports them back in its next <see cref="InstanceInfo"/>.
/// <para>Keys on the wire: type "settings" and any of prompt, temperature, topK, guidance, seed, variations.</para>
/// </summary>
public sealed record PromptSettings : ProtocolMessage
{
    public const string TypeName = "settings";
    public override string Type => TypeName;

    public string? Prompt { get; init; }
    public double? Temperature { get; init; }
    public int? TopK { get; init; }
    public double? Guidance { get; init; }
    public long? Seed { get; init; }
    public int? Variations { get; init; }

    internal override void Write(ref PayloadWriter writer)
    {
        int count = 1 + (Prompt is null ? 0 : 1) + (Temperature is null ? 0 : 1) + (TopK is null ? 0 : 1)
                    + (Guidance is null ? 0 : 1) + (Seed is null ? 0 : 1) + (Variations is null ? 0 : 1);
        writer.WriteMapHeader(count);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("settings"u8);
        if (Prompt is { } prompt) { writer.WriteUtf8("prompt"u8); writer.Write(prompt); }
        if (Temperature is { } temperature) { writer.WriteUtf8("temperature"u8); writer.Write(temperature); }
        if (TopK is { } topK) { writer.WriteUtf8("topK"u8); writer.Write(topK); }
        if (Guidance is { } guidance) { writer.WriteUtf8("guidance"u8); writer.Write(guidance); }
        if (Seed is { } seed) { writer.WriteUtf8("seed"u8); writer.Write(seed); }
        if (Variations is { } variations) { writer.WriteUtf8("variations"u8); writer.Write(variations); }
    }

    internal static PromptSettings Read(ref MessageFields fields)
    {
        var s = new PromptSettings();
        while (fields.Next())
        {
            if (fields.Is("prompt"u8)) s = s with { Prompt = fields.ReadString() };
            else if (fields.Is("temperature"u8)) s = s with { Temperature = fields.ReadDouble() };
            else if (fields.Is("topK"u8)) s = s with { TopK = fields.ReadInt32() };
            else if (fields.Is("guidance"u8)) s = s with { Guidance = fields.ReadDouble() };
            else if (fields.Is("seed"u8)) s = s with { Seed = fields.ReadInt64() };
            else if (fields.Is("variations"u8)) s = s with { Variations = fields.ReadInt32() };
            else fields.Skip();
        }
        if (s.Prompt is { Length: > InstanceInfo.MaxPromptLength } p)
            throw fields.Invalid("prompt", $"is {p.Length} characters; at most {InstanceInfo.MaxPromptLength}");
        return s;
    }
}

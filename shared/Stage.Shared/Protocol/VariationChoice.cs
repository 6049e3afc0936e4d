namespace Stage.Shared.Protocol;

/// <summary>
/// The producer chose which variation the instance plays (engine to plugin); 1-based, as the Variation
/// parameter. <para>Keys on the wire: type "variation", variation.</para>
/// </summary>
public sealed record VariationChoice(int Variation) : ProtocolMessage
{
    public const string TypeName = "variation";
    public override string Type => TypeName;

    internal override void Write(ref PayloadWriter writer)
    {
        writer.WriteMapHeader(2);
        writer.WriteUtf8("type"u8);
        writer.WriteUtf8("variation"u8);
        writer.WriteUtf8("variation"u8);
        writer.Write(Variation);
    }

    internal static VariationChoice Read(ref MessageFields fields)
    {
        int? variation = null;
        while (fields.Next())
        {
            if (fields.Is("variation"u8)) variation = fields.ReadInt32();
            else fields.Skip();
        }
        return new VariationChoice(fields.Required(variation, "variation"));
    }
}

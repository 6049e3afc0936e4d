namespace Stage.Shared.Protocol;

/// <summary>
/// One message of the plugin⇄engine protocol. On the wire every message is one MessagePack map in one
/// frame: the key "type" names the message (e.g. "generate"), the other keys are its fields in camelCase.
/// <para>Decoding rules, the same for both sides: keys may come in any order; unknown keys are skipped
/// (so a peer may add optional fields without breaking older peers); a missing required field or a
/// field of the wrong kind is a <see cref="FailureCode.Malformed"/> error naming the field; incompatible
/// changes bump <see cref="Hello.CurrentProtocolVersion"/>.</para>
/// </summary>
public abstract record ProtocolMessage
{
    private protected ProtocolMessage() { }

    /// <summary>The value of the "type" key.</summary>
    public abstract string Type { get; }

    /// <summary>Writes the whole map, "type" first.</summary>
    internal abstract void Write(ref PayloadWriter writer);
}

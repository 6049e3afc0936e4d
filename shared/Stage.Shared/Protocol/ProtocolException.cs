namespace Stage.Shared.Protocol;

/// <summary>
/// The peer broke the protocol: a bad frame, bad MessagePack, an unknown message, a missing field.
/// <see cref="Code"/> is the <see cref="FailureCode"/> the engine replies with.
/// </summary>
public class ProtocolException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

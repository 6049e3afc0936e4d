namespace Stage.Shared.Protocol;

/// <summary>
/// Bytes that are not valid MessagePack, or not the MessagePack we expected. <see cref="Offset"/> is the
/// byte position in the payload where the problem starts.
/// </summary>
public sealed class MessagePackException(string problem, int offset)
    : ProtocolException(FailureCode.Malformed, $"{problem} (at byte {offset})")
{
    public string Problem { get; } = problem;
    public int Offset { get; } = offset;
}

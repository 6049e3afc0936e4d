using Stage.Shared.Protocol;

namespace Stage.Engine.Jobs;

/// <summary>
/// A generation that cannot go on for a reason the producer can act on; the server sends it as
/// <see cref="Failed"/> with <see cref="Code"/> (a <see cref="FailureCode"/>) and the message as is.
/// </summary>
public sealed class StemGenerationException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}

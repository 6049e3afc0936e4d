namespace Stage.Shared.Protocol;

/// <summary>
/// The machine-readable reason in a <see cref="Failed"/> message. The message text says what to do;
/// the code lets the plugin decide how to show it. New codes may be added: treat unknown ones as errors.
/// </summary>
public static class FailureCode
{
    /// <summary>A frame's payload is not valid MessagePack or lacks a required field. Connection stays open.</summary>
    public const string Malformed = "malformed";
    /// <summary>A frame's "type" is not a message this engine knows. Connection stays open.</summary>
    public const string UnknownMessage = "unknown_message";
    /// <summary>The first message was not Hello. The engine disconnects.</summary>
    public const string HandshakeRequired = "handshake_required";
    /// <summary>Hello carried a protocol version this engine does not speak. The engine disconnects.</summary>
    public const string UnsupportedVersion = "unsupported_version";
    /// <summary>A frame announced more than the maximum frame size. The engine disconnects.</summary>
    public const string FrameTooLarge = "frame_too_large";
    /// <summary>The stream ended inside a frame.</summary>
    public const string TruncatedFrame = "truncated_frame";
    /// <summary>A GenerateRequest is well formed but its values cannot be served (e.g. tempo 0).</summary>
    public const string BadRequest = "bad_request";
    /// <summary>The instrument's model folder is missing or incomplete.</summary>
    public const string ModelMissing = "model_missing";
    /// <summary>The stem's WAV could not be written (folder not writable, disk full).</summary>
    public const string OutputFailed = "output_failed";
    /// <summary>The client cancelled the request.</summary>
    public const string Cancelled = "cancelled";
    /// <summary>The engine is shutting down.</summary>
    public const string ShuttingDown = "shutting_down";
    /// <summary>A bug or an unexpected condition in the engine; the message says what happened.</summary>
    public const string Internal = "internal";
}

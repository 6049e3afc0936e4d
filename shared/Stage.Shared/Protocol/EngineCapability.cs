namespace Stage.Shared.Protocol;

/// <summary>Names the engine lists in <see cref="Welcome.Capabilities"/>.</summary>
public static class EngineCapability
{
    /// <summary>Accepts <see cref="GenerateRequest"/> (it may still fail, e.g. with no model installed).</summary>
    public const string Generate = "generate";
    /// <summary>Honours <see cref="Cancel"/> for running and queued requests.</summary>
    public const string Cancel = "cancel";
    /// <summary>Sends <see cref="Progress"/> while generating.</summary>
    public const string Progress = "progress";
    /// <summary>Streams audio as <see cref="StemChunk"/> messages.</summary>
    public const string StemChunks = "stem_chunks";
    /// <summary>Writes WAV files when asked and reports their paths in <see cref="Completed"/>.</summary>
    public const string Wav = "wav";
    /// <summary>Answers <see cref="Ping"/> with <see cref="Pong"/>.</summary>
    public const string Ping = "ping";
    /// <summary>Prefix of the capability naming where the model runs, e.g. <c>device:cuda: NVIDIA GeForce RTX 3060 (bf16)</c>
    /// or <c>device:cpu (8 threads)</c> (informational; the engine chose it at start).</summary>
    public const string DevicePrefix = "device:";
    /// <summary>Prefix of the capability giving the control room's address, secret included, e.g.
    /// <c>control-room:http://127.0.0.1:41234/s/3fA9…/</c>. Only this user can read it (the pipe is theirs).</summary>
    public const string ControlRoomPrefix = "control-room:";
}

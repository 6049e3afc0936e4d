namespace Stage.Plugin.Processing;

/// <summary>The status the producer reads: a kind (the Status parameter's value) and a sentence.</summary>
public sealed record StatusReport(StatusKind Kind, string Text)
{
    public static readonly StatusReport Initial = new(StatusKind.Ready, "Ready: arm Capture, play the song, then press Generate");
}

namespace Stage.Shared.Protocol;

/// <summary>The pipe the engine serves on and the plugin connects to.</summary>
public static class EnginePipeName
{
    /// <summary>$STAGE_PIPE if set, else "stage-engine-&lt;user name&gt;" (one engine per user).</summary>
    public static string Default =>
        Environment.GetEnvironmentVariable("STAGE_PIPE") is { Length: > 0 } name ? name : $"stage-engine-{Environment.UserName}";

    /// <summary>Where .NET puts the socket behind pipe <paramref name="name"/> on Unix: no file there, no engine serving it.</summary>
    public static string UnixSocketPath(string name) => Path.Combine(Path.GetTempPath(), $"CoreFxPipe_{name}");
}

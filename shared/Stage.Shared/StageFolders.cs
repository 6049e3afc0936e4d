namespace Stage.Shared;

/// <summary>
/// Where Stage keeps its files on this machine; the plugin and the engine both rely on these.
/// The data folder is $XDG_DATA_HOME/Stage or ~/.local/share/Stage on Linux, %LOCALAPPDATA%\Stage on Windows.
/// </summary>
public static class StageFolders
{
    public static string Data =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "Stage");

    public static string Logs => Path.Combine(Data, "logs");

    /// <summary>&lt;data&gt;/logs/engine.log.</summary>
    public static string EngineLog => Path.Combine(Logs, "engine.log");

    /// <summary>Default folder for generated WAVs: &lt;data&gt;/stems.</summary>
    public static string Stems => Path.Combine(Data, "stems");

    /// <summary>$STAGE_MODELS if set, else &lt;data&gt;/models; holds one folder per instrument (drums/, bass/).</summary>
    public static string Models =>
        Environment.GetEnvironmentVariable("STAGE_MODELS") is { Length: > 0 } root ? root : Path.Combine(Data, "models");

    /// <summary>The engine the plugin launches: $STAGE_ENGINE if set, else the installed &lt;data&gt;/engine/stage-engine.</summary>
    public static string EngineExecutable =>
        Environment.GetEnvironmentVariable("STAGE_ENGINE") is { Length: > 0 } path
            ? path
            : Path.Combine(Data, "engine", OperatingSystem.IsWindows() ? "stage-engine.exe" : "stage-engine");
}

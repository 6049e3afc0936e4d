using Stage.Shared;

namespace Stage.Plugin.EngineLink;

/// <summary>
/// The plugin's log, &lt;data&gt;/logs/plugin.log (or $STAGE_PLUGIN_LOG). Never written from the audio
/// thread: failures there are parked with <see cref="Defer"/> and written by the engine link's thread.
/// Logging never throws.
/// </summary>
static class PluginLog
{
    static readonly Lock gate = new();
    static Exception? deferred;
    static string? deferredWhere;

    public static string Path =>
        Environment.GetEnvironmentVariable("STAGE_PLUGIN_LOG") is { Length: > 0 } p ? p : System.IO.Path.Combine(StageFolders.Logs, "plugin.log");

    public static void Write(string message)
    {
        try
        {
            lock (gate)
            {
                string path = Path;
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
                File.AppendAllText(path, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss.fff} [{Environment.ProcessId}] {message}{Environment.NewLine}");
            }
        }
        catch (Exception)
        {
            // The log is best effort: a read-only disk must not take the host down.
        }
    }

    public static void Failure(string where, Exception e) => Write($"{where} failed: {e}");

    /// <summary>Audio thread: remembers a failure without I/O (the latest one wins).</summary>
    public static void Defer(string where, Exception e)
    {
        deferredWhere = where;
        Volatile.Write(ref deferred, e);
    }

    /// <summary>Writes a deferred failure, if any.</summary>
    public static void FlushDeferred()
    {
        var e = Interlocked.Exchange(ref deferred, null);
        if (e != null) Failure(deferredWhere ?? "process", e);
    }
}

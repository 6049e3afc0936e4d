namespace Stage.Engine.Logging;

/// <summary>
/// The engine's log: timestamped lines to stderr (or any writer) and appended to a log file, from any
/// thread. A log that cannot write (disk full, file locked) never takes the engine down.
/// </summary>
public sealed class EngineLog : IDisposable
{
    readonly Lock _gate = new();
    readonly TextWriter? _console;
    readonly StreamWriter? _file;

    public EngineLog(TextWriter? console, string? filePath = null)
    {
        _console = console;
        if (filePath is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(filePath))!);
        var stream = new FileStream(filePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _file = new StreamWriter(stream) { AutoFlush = true };
        FilePath = Path.GetFullPath(filePath);
    }

    /// <summary>The log file, if any; named in error messages so producers know where to look.</summary>
    public string? FilePath { get; }

    public void Info(string message) => Write("info ", message);
    public void Warn(string message) => Write("warn ", message);
    public void Error(string message, Exception? exception = null) =>
        Write("error", exception is null ? message : $"{message}{Environment.NewLine}{exception}");

    void Write(string level, string message)
    {
        string line = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level} {message}";
        lock (_gate)
        {
            try { _console?.WriteLine(line); } catch (IOException) { }
            try { _file?.WriteLine(line); } catch (IOException) { }
        }
    }

    public void Dispose()
    {
        lock (_gate) _file?.Dispose();
    }
}

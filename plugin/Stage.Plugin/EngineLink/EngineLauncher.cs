using System.Diagnostics;
using Stage.Shared;

namespace Stage.Plugin.EngineLink;

/// <summary>
/// Starts `stage-engine serve` when no engine answers on the pipe: the executable is $STAGE_ENGINE,
/// else the installed &lt;data&gt;/engine/stage-engine. The engine outlives the plugin (it serves every
/// instance of the user); its own log is &lt;data&gt;/logs/engine.log.
/// </summary>
static class EngineLauncher
{
    /// <summary>Starts the engine; returns null on success, else a sentence saying what is wrong.</summary>
    public static string? TryStart(string pipeName)
    {
        string path = StageFolders.EngineExecutable;
        if (!File.Exists(path))
            return $"No engine at {path}: install Stage, or set STAGE_ENGINE to the stage-engine executable";
        try
        {
            var start = new ProcessStartInfo(path)
            {
                UseShellExecute = false,
                RedirectStandardInput = false,
                RedirectStandardOutput = false,
                RedirectStandardError = false,
                CreateNoWindow = true,
            };
            start.ArgumentList.Add("serve");
            start.ArgumentList.Add("--pipe");
            start.ArgumentList.Add(pipeName);
            using var process = Process.Start(start);
            if (process == null) return $"Could not start the engine at {path}";
            PluginLog.Write($"started engine {path} (pid {process.Id}) on pipe '{pipeName}'");
            return null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
        {
            return $"Could not start the engine at {path}: {e.Message}";
        }
    }
}

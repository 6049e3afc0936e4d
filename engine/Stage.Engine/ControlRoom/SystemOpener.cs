using System.Diagnostics;

namespace Stage.Engine.ControlRoom;

/// <summary>
/// Opens the control room in the user's browser (as an app window where a Chromium-family browser is
/// installed) and shows a stem in the system's file manager. $STAGE_OPEN_COMMAND, when set, is run instead
/// with "page URL" or "reveal FILE" (tests use it; so can a producer with an unusual desktop).
/// </summary>
static class SystemOpener
{
    /// <summary>Starts the browser; returns null, or why it could not.</summary>
    public static string? OpenPage(string url)
    {
        if (Override() is { } command) return Run(command, ["page", url]);
        if (OperatingSystem.IsWindows())
        {
            foreach (var browser in WindowsAppBrowsers())
                if (File.Exists(browser)) return Run(browser, [$"--app={url}"]);
            return Shell(url);
        }
        if (OperatingSystem.IsMacOS()) return Run("open", ["-a", "Google Chrome", "--args", $"--app={url}"], wait: true) is null ? null : Run("open", [url]);
        foreach (var browser in (string[])["chromium", "google-chrome", "google-chrome-stable", "chromium-browser", "microsoft-edge", "brave-browser"])
            if (OnPath(browser) is { } path) return Run(path, [$"--app={url}"]);
        return Run("xdg-open", [url]);
    }

    /// <summary>Shows <paramref name="file"/> selected in the file manager (or its folder opened); null, or why not.</summary>
    public static string? Reveal(string file)
    {
        if (Override() is { } command) return Run(command, ["reveal", file]);
        if (OperatingSystem.IsWindows()) return Run("explorer.exe", [$"/select,{file}"]);
        if (OperatingSystem.IsMacOS()) return Run("open", ["-R", file]);
        // The freedesktop file-manager interface selects the file; without it, open the folder.
        if (OnPath("dbus-send") is { } dbus && Run(dbus, ["--session", "--dest=org.freedesktop.FileManager1", "--type=method_call",
                "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1.ShowItems", $"array:string:{new Uri(file).AbsoluteUri}", "string:"], wait: true) is null)
            return null;
        return Run("xdg-open", [Path.GetDirectoryName(file)!]);
    }

    static string? Override() => Environment.GetEnvironmentVariable("STAGE_OPEN_COMMAND") is { Length: > 0 } c ? c : null;

    static IEnumerable<string> WindowsAppBrowsers()
    {
        foreach (var root in (string?[])[Environment.GetEnvironmentVariable("ProgramFiles(x86)"), Environment.GetEnvironmentVariable("ProgramFiles"),
                     Environment.GetEnvironmentVariable("LOCALAPPDATA")])
        {
            if (root is null) continue;
            yield return Path.Combine(root, "Microsoft", "Edge", "Application", "msedge.exe");
            yield return Path.Combine(root, "Google", "Chrome", "Application", "chrome.exe");
        }
    }

    static string? OnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    static string? Run(string program, string[] arguments, bool wait = false)
    {
        try
        {
            var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in arguments) start.ArgumentList.Add(a);
            using var process = Process.Start(start);
            if (process == null) return $"{program} did not start";
            if (!wait) return null;
            if (!process.WaitForExit(5000)) return $"{program} did not finish";
            return process.ExitCode == 0 ? null : $"{program} exited with {process.ExitCode}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"cannot run {program}: {e.Message}";
        }
    }

    static string? Shell(string target)
    {
        try
        {
            using var _ = Process.Start(new ProcessStartInfo(target) { UseShellExecute = true });
            return null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"cannot open {target}: {e.Message}";
        }
    }
}

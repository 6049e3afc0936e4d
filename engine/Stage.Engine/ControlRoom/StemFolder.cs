namespace Stage.Engine.ControlRoom;

/// <summary>
/// The one folder the page may reach files in: the stems folder. A path from the page is taken only if,
/// fully resolved (links followed), it is a WAV file inside it.
/// </summary>
sealed class StemFolder(string root)
{
    public string Root { get; } = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

    /// <summary>The file's full path, or throws <see cref="RoomException"/> naming why it is refused.</summary>
    public string Resolve(string? requested)
    {
        if (string.IsNullOrWhiteSpace(requested)) throw new RoomException(400, "no file path was given");
        if (requested.Length > 4096 || requested.Contains('\0')) throw new RoomException(400, "the file path is not a usable path");
        string full = Path.GetFullPath(requested);
        if (!Inside(full)) throw new RoomException(403, $"'{requested}' is outside the stems folder {Root}; the control room only serves stems");
        if (!string.Equals(Path.GetExtension(full), ".wav", StringComparison.OrdinalIgnoreCase))
            throw new RoomException(403, $"'{requested}' is not a WAV file; the control room only serves stems");
        var file = new FileInfo(full);
        if (!file.Exists) throw new RoomException(404, $"the stem {full} no longer exists");
        // A link inside the folder must not lead out of it.
        if (file.ResolveLinkTarget(returnFinalTarget: true) is { } target && !Inside(Path.GetFullPath(target.FullName)))
            throw new RoomException(403, $"'{requested}' links outside the stems folder {Root}");
        return full;
    }

    bool Inside(string full)
    {
        var comparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        return full.StartsWith(Root + Path.DirectorySeparatorChar, comparison);
    }
}

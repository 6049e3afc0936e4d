namespace Stage.Shared.Audio;

/// <summary>A file that is not a WAV, is corrupt or truncated, or uses an encoding Stage does not read. The message
/// names the file and the problem.</summary>
public sealed class WavFormatException : Exception
{
    public WavFormatException(string fileName, string problem)
        : base($"{fileName}: {problem}")
    {
        FileName = fileName;
        Problem = problem;
    }

    /// <summary>The file's path (or the name given for a stream).</summary>
    public string FileName { get; }

    /// <summary>The problem alone, without the file name.</summary>
    public string Problem { get; }
}

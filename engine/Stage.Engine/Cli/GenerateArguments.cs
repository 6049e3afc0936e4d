using Stage.Engine.Jobs;

namespace Stage.Engine.Cli;

/// <summary>The parsed command line of <c>stage-engine generate</c>: the request, and the files the command
/// itself reads and writes. The context WAV is not read here (see <see cref="ContextPath"/>).</summary>
public sealed record GenerateArguments(StemRequest Request, string? ContextPath, string? CodesPath)
{
    /// <summary>Parses a <c>generate</c> command line (the options alone, without the command's name);
    /// a malformed one throws <see cref="UsageException"/> with the same words the command prints.</summary>
    public static GenerateArguments Parse(string[] args)
    {
        var command = new GenerateCommand();
        var result = command.Parse(args);
        if (result.Errors.Count > 0)
            throw new UsageException(string.Join("; ", UsageErrors.Describe(result)));
        return command.ToArguments(result);
    }
}

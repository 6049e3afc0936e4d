namespace Stage.Engine.Cli;

/// <summary>One `stage-engine` subcommand. Run returns the process exit code.</summary>
public sealed record Command(
    string Name,
    string Summary,
    string Usage,
    string Help,
    Func<string[], TextWriter, TextWriter, CancellationToken, int> Run);

/// <summary>Thrown for a malformed command line; the dispatcher prints it with the usage line.</summary>
public sealed class UsageException(string message) : Exception(message);

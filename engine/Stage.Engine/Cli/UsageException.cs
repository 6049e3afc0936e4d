namespace Stage.Engine.Cli;

/// <summary>A malformed command line found after parsing (a combination of options, say); reported like a
/// parse error, with the usage line, and exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

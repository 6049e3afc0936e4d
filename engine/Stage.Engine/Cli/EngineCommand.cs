using System.CommandLine;

namespace Stage.Engine.Cli;

/// <summary>
/// A <c>stage-engine</c> command that runs (a leaf of the command tree). Subclasses add their options and
/// arguments in their constructor and implement <see cref="Run"/>, which returns the process exit code
/// (0 ok, 1 failure, 2 bad input, 130 cancelled). Command groups such as <c>codec</c> are plain
/// <see cref="Command"/>s holding these.
/// </summary>
public abstract class EngineCommand : Command
{
    protected EngineCommand(string name, string description) : base(name, description)
    {
        // The asynchronous overload is the one that hands the action a cancellation token; the work itself
        // runs on the calling thread, and its exceptions reach EngineCommandLine.Run unchanged.
        SetAction((result, cancel) => Task.FromResult(
            Run(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, cancel)));
    }

    /// <summary>What <c>--help</c> shows after the options: the paragraph that does not fit the one-line description.</summary>
    public string? Details { get; init; }

    protected abstract int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel);
}

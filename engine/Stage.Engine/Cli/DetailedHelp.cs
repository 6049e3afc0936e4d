using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Stage.Engine.Cli;

/// <summary>
/// <c>--help</c>: System.CommandLine's help (description, usage, arguments, options with their defaults,
/// subcommands), then the command's details, if it has any. A command's description is also its line in its
/// parent's list of commands, so what takes a paragraph goes in the details.
/// </summary>
public sealed class DetailedHelp(Func<Command, string?> detailsOf) : SynchronousCommandLineAction
{
    readonly HelpAction _help = new();

    // Like HelpAction: `generate --help` shows help even without generate's required options.
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        int exit = _help.Invoke(parseResult);
        if (detailsOf(parseResult.CommandResult.Command) is { } details)
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(details.TrimEnd());
            output.WriteLine();
        }
        return exit;
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Stage.Engine.Cli;

/// <summary>
/// The <c>stage-engine</c> command tree on System.CommandLine: help (<c>--help</c> on every command), validation,
/// "did you mean" suggestions, response files (<c>@FILE</c>, one or more arguments per line), and the exit codes
/// 0 ok, 1 failure, 2 bad command line or input, 130 cancelled.
/// </summary>
public static class EngineCommandLine
{
    public const string Name = "stage-engine";
    public const int Cancelled = 130;

    /// <summary>A new command tree (each run builds its own).</summary>
    public static Command Create()
    {
        // A RootCommand would name itself after the host process (testhost, dotnet), so the root is built here.
        var root = new Command(Name, $"{Name} {EngineVersion.Text}: the Stage inference engine");
        root.Add(new HelpOption { Action = new DetailedHelp(command => command == root ? RootDetails : (command as EngineCommand)?.Details) });
        root.Add(new VersionOption { Action = new VersionAction() });
        foreach (var command in Commands()) root.Add(command);
        return root;
    }

    const string RootDetails =
        """
        Every command: --help for its options; @FILE reads more arguments from FILE (one or more a line).
        Exit codes: 0 ok, 1 failure, 2 bad command line or input, 130 cancelled (Ctrl+C, SIGTERM).
        """;

    /// <summary>One line per command or command group; each lives in its own file.</summary>
    static Command[] Commands() =>
        [
        new ServeCommand(),
        new CodecCommand(),
        new TokenizeCommand(),
        new GenerateCommand(),
        new DevicesCommand(),
        new ModelsCommand(),
        new OpenCommand(),
        ];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var result = Create().Parse(args);
        if (result.Action is ParseErrorAction) return UsageErrors.Report(result, stderr);
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // Exceptions are ours to word; Ctrl+C and SIGTERM arrive through `cancel` (see Shutdown).
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };
        try
        {
            return result.InvokeAsync(invocation, cancel).GetAwaiter().GetResult();
        }
        catch (UsageException e)
        {
            return UsageErrors.Report(result, e, stderr);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            stderr.WriteLine($"{UsageErrors.CommandPath(result.CommandResult)}: cancelled");
            return Cancelled;
        }
    }

    /// <summary>Prints the engine's version without the source revision System.CommandLine's default adds.</summary>
    sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(EngineVersion.Text);
            return 0;
        }
    }
}

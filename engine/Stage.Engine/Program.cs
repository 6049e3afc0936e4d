using Stage.Engine.Cli;


namespace Stage.Engine;

public static class Program
{
    // One line per command; each command lives in its own file under Cli/.
    public static readonly Command[] Commands =
    [
        ServeCommand.Command,
        CodecCommand.Definition,
        TokenizeCommand.Definition,
        GenerateCommand.Definition,
        DevicesCommand.Definition,
    ];

    public static int Main(string[] args)
    {
        using var shutdown = new Shutdown();
        return Run(args, Console.Out, Console.Error, shutdown.Token);
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            WriteHelp(stdout);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version")
        {
            stdout.WriteLine(EngineVersion.Text);
            return 0;
        }
        foreach (var command in Commands)
        {
            if (command.Name != args[0]) continue;
            var rest = args[1..];
            if (rest.Length > 0 && rest[0] is "-h" or "--help")
            {
                stdout.WriteLine($"usage: stage-engine {command.Usage}");
                stdout.WriteLine();
                stdout.WriteLine(command.Help);
                return 0;
            }
            try
            {
                return command.Run(rest, stdout, stderr, cancel);
            }
            catch (UsageException e)
            {
                stderr.WriteLine($"stage-engine {command.Name}: {e.Message}");
                stderr.WriteLine($"usage: stage-engine {command.Usage}");
                return 2;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                stderr.WriteLine($"stage-engine {command.Name}: cancelled");
                return 130;
            }
        }
        stderr.WriteLine($"stage-engine: unknown command '{args[0]}' (see stage-engine --help)");
        return 2;
    }

    static void WriteHelp(TextWriter w)
    {
        w.WriteLine($"stage-engine {EngineVersion.Text} — the Stage inference engine");
        w.WriteLine();
        w.WriteLine("usage: stage-engine COMMAND [options]    (stage-engine COMMAND --help for details)");
        w.WriteLine();
        foreach (var c in Commands) w.WriteLine($"  {c.Name,-10} {c.Summary}");
    }
}

using Stage.Engine.Cli;

namespace Stage.Engine;

public static class Program
{
    public static int Main(string[] args)
    {
        using var shutdown = new Shutdown();
        return Run(args, Console.Out, Console.Error, shutdown.Token);
    }

    /// <summary>Runs one command line (see <see cref="EngineCommandLine"/>) and returns its exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel) =>
        EngineCommandLine.Run(args, stdout, stderr, cancel);
}

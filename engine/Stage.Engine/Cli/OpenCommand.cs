using System.CommandLine;
using Stage.Shared.Protocol;

namespace Stage.Engine.Cli;

/// <summary>`stage-engine open`: asks the running engine to open its control room, and prints its address.</summary>
public sealed class OpenCommand : EngineCommand
{
    readonly Option<string> _pipe = new("--pipe")
    {
        Description = "pipe of the running engine ($STAGE_PIPE if set, else stage-engine-<user>)",
        HelpName = "NAME",
        DefaultValueFactory = _ => EnginePipeName.Default,
    };

    readonly Option<bool> _print = new("--print") { Description = "only print the address; open nothing" };

    public OpenCommand() : base("open", "open the control room of the running engine in the browser")
    {
        Details = "The engine opens the page itself (as an app window where a Chromium-family browser is installed). Start it first with `stage-engine serve`, or by loading the plugin.";
        Add(_pipe);
        Add(_print);
    }

    protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        string pipeName = result.GetRequiredValue(_pipe);
        EngineClient client;
        try
        {
            client = EngineClient.ConnectAsync(pipeName, "stage-engine open", EngineVersion.Text, TimeSpan.FromSeconds(2), cancel).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is TimeoutException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"stage-engine open: no engine answers on pipe '{pipeName}'; start one with `stage-engine serve`");
            return 1;
        }
        catch (ProtocolException e)
        {
            stderr.WriteLine($"stage-engine open: the engine on pipe '{pipeName}' refused: {e.Message}");
            return 1;
        }
        using (client)
        {
            if (client.Welcome.ControlRoomAddress is not { } address)
            {
                stderr.WriteLine($"stage-engine open: the engine {client.Welcome.EngineVersion} on pipe '{pipeName}' runs without its control room");
                return 1;
            }
            stdout.WriteLine(address);
            if (!result.GetValue(_print)) client.SendAsync(new OpenControlRoom(), cancel).GetAwaiter().GetResult();
            return 0;
        }
    }
}

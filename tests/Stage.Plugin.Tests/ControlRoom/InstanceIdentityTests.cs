using Stage.Plugin.Processing;
using Stage.Plugin.Tests.Host;

namespace Stage.Plugin.Tests.ControlRoom;

/// <summary>The plugin's side of the control room that needs no browser: its id across copies and reopenings, and Open with no engine running.</summary>
[Collection("Host")]
public sealed class InstanceIdentityTests : IDisposable
{
    const uint OpenRoom = 15;

    public void Dispose() => HostEnvironment.KillEngines();

    static string? IdOf(HostedStage stage) => PluginState.Deserialize(stage.GetState()).InstanceId;

    [Fact]
    public void A_reopened_instance_keeps_its_card_and_a_copied_one_gets_its_own()
    {
        HostEnvironment.RemoveEngine();
        var original = new HostedStage();
        var state = original.GetState();
        string? id = IdOf(original);
        Assert.Matches("^[0-9a-f]{32}$", id);

        using (var copy = new HostedStage())   // a duplicated track: same state while the original lives
        {
            Assert.Equal(0, copy.SetState(state));
            Assert.NotEqual(id, IdOf(copy));
        }
        original.Close();
        using var reopened = new HostedStage();   // the project reopened: the original is gone
        Assert.Equal(0, reopened.SetState(state));
        Assert.Equal(id, IdOf(reopened));
    }

    [Fact]
    public void Open_control_room_starts_the_engine_when_none_runs_and_says_what_it_found()
    {
        HostEnvironment.InstallTestEngine(chunkMilliseconds: 1);
        using var stage = new HostedStage();
        var silence = new float[480];
        stage.Automate(OpenRoom, 1);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string status = "";
        while (DateTime.UtcNow < deadline && !status.Contains("without"))
        {
            stage.Process(silence, silence, new HostTransport(0, Playing: false));
            Assert.Equal(0, stage.Reported(OpenRoom) ?? 0);   // momentary: released as soon as taken
            status = stage.StatusText;
            Thread.Sleep(10);
        }
        // The test engine serves the pipe only, so the plugin says the page is not there rather than pretending.
        Assert.Contains("runs without its control room", status);
        Assert.NotEmpty(HostEnvironment.EnginePids());
    }
}

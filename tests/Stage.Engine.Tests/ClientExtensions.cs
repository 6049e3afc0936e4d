using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

static class ClientExtensions
{
    /// <summary>The next message, failing the test instead of hanging when none comes.</summary>
    public static async Task<ProtocolMessage?> NextAsync(this EngineClient client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await client.ReceiveAsync(timeout.Token);
    }
}

using System.IO.Pipes;
using System.Security.AccessControl;
using System.Security.Principal;
using Stage.Shared.Protocol;

// stage-pipe-client PIPE WAVDIR: connects to the engine on PIPE the way the plugin does (EngineClient,
// current-user only), pings it, asks for one bar of click-mode drums written to WAVDIR, then opens the
// pipe once more to print the owner and access rules the engine gave it. One "key value" line per
// fact on stdout, for Stage.Windows.Tests to check; exit 0 only when every step worked.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: stage-pipe-client PIPE WAVDIR");
    return 2;
}
if (!OperatingSystem.IsWindows())
{
    Console.Error.WriteLine("stage-pipe-client checks the Windows pipe and runs on Windows (or Wine) only");
    return 2;
}
string pipeName = args[0], wavDirectory = args[1];
using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

await using (var client = await EngineClient.ConnectAsync(pipeName, "stage-pipe-client", "1", TimeSpan.FromSeconds(60), timeout.Token))
{
    Console.WriteLine($"welcome {client.Welcome.EngineVersion} protocol {client.Welcome.ProtocolVersion}");
    await client.SendAsync(new Ping(4242), timeout.Token);
    Console.WriteLine(await client.ReceiveAsync(timeout.Token) is Pong(4242) ? "pong 4242" : "pong missing");

    await client.SendAsync(new GenerateRequest
    {
        RequestId = 1,
        Instrument = Instrument.Drums,
        Context = new PcmAudio(ReadOnlyMemory<float>.Empty, 48_000, 2),
        TempoBpm = 100,
        TimeSignature = new TimeSignature(4, 4),
        Length = StemLength.Bars(1),
        ContextMode = ContextMode.Click,
        Seed = 7,
        WavDirectory = wavDirectory,
    }, timeout.Token);
    long streamedFrames = 0;
    while (true)
    {
        switch (await client.ReceiveAsync(timeout.Token))
        {
            case StemChunk chunk:
                streamedFrames += chunk.Audio.FrameCount;
                break;
            case Progress:
                break;
            case Completed completed:
                Console.WriteLine($"streamed {streamedFrames}");
                Console.WriteLine($"completed {completed.TotalSamples} {string.Join(" ", completed.WavPaths)}");
                goto generated;
            case Failed failed:
                Console.WriteLine($"failed {failed.Code} {failed.Message}");
                return 1;
            case var other:
                Console.WriteLine($"unexpected {other?.Type ?? "end of stream"}");
                return 1;
        }
    }
}
generated:

// The engine creates its pipe with PipeOptions.CurrentUserOnly; what Windows stores for that is the
// owner and the DACL read back here.
using (var raw = new NamedPipeClientStream(".", pipeName, PipeDirection.InOut))
{
    raw.Connect(TimeSpan.FromSeconds(30));
    var security = raw.GetAccessControl();
    using var identity = WindowsIdentity.GetCurrent();
    Console.WriteLine($"user {identity.User}");
    Console.WriteLine($"token-owner {identity.Owner}");
    Console.WriteLine($"owner {security.GetOwner(typeof(SecurityIdentifier))}");
    foreach (PipeAccessRule rule in security.GetAccessRules(includeExplicit: true, includeInherited: true, typeof(SecurityIdentifier)))
        Console.WriteLine($"rule {rule.AccessControlType} {rule.IdentityReference} {rule.PipeAccessRights}");
}
return 0;

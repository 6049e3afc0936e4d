using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

static class Requests
{
    /// <summary>A valid request whose context is <paramref name="seconds"/> of stereo 48 kHz audio, each sample unique to the request.</summary>
    public static GenerateRequest Echo(long requestId, double seconds = 1, string prompt = "echo")
    {
        int frames = (int)(seconds * 48_000);
        var samples = new float[frames * 2];
        for (int i = 0; i < samples.Length; i++) samples[i] = (float)((requestId * 7919 + i) % 65_521) / 65_521f - 0.5f;
        return new GenerateRequest
        {
            RequestId = requestId,
            Instrument = Instrument.Drums,
            Context = new PcmAudio(samples, 48_000, 2),
            TempoBpm = 120,
            TimeSignature = new TimeSignature(4, 4),
            Length = StemLength.Bars(4),
            ContextMode = ContextMode.Mixture,
            Prompt = prompt,
            WriteWav = false,
        };
    }

    /// <summary>Reads until the request's Completed or Failed, collecting its audio (variations one after another).</summary>
    public static async Task<(ProtocolMessage Final, List<float> Audio, int Progress)> CollectAsync(EngineClient client, long requestId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var audio = new List<float>();
        var framesPerVariation = new Dictionary<int, long>();
        int progress = 0;
        while (true)
        {
            var message = await client.ReceiveAsync(timeout.Token) ?? throw new IOException("the engine closed the connection");
            switch (message)
            {
                case StemChunk chunk when chunk.RequestId == requestId:
                    long expectedOffset = framesPerVariation.GetValueOrDefault(chunk.Variation);
                    Assert.Equal(expectedOffset, chunk.SampleOffset);
                    framesPerVariation[chunk.Variation] = expectedOffset + chunk.Audio.FrameCount;
                    audio.AddRange(chunk.Audio.Samples.ToArray());
                    break;
                case Progress p when p.RequestId == requestId:
                    progress++;
                    break;
                case Completed c when c.RequestId == requestId:
                    return (c, audio, progress);
                case Failed f when f.RequestId == requestId:
                    return (f, audio, progress);
                default:
                    throw new InvalidOperationException($"unexpected {message}");
            }
        }
    }

    /// <summary>A fresh client still gets a request served: the server survived whatever came before.</summary>
    public static async Task AssertStillServesAsync(TestServer server)
    {
        await using var client = await server.ConnectAsync("bystander");
        var request = Echo(1, seconds: 0.5);
        await client.SendAsync(request);
        var (final, audio, _) = await CollectAsync(client, 1);
        Assert.IsType<Completed>(final);
        Assert.Equal(request.Context.Samples.ToArray(), audio);
    }
}

using Stage.Engine.Jobs;
using Stage.Engine.Logging;
using Stage.Engine.Server;
using Stage.Shared.Protocol;

namespace Stage.Benchmarks;

/// <summary>
/// One request through the real pipe server: the client sends a GenerateRequest holding 10 s of stereo
/// 48 kHz context, an echo generator sends it back as one StemChunk, then Completed. Measures the
/// protocol and transport, not generation.
/// </summary>
static class PipeRoundTripBenchmark
{
    public static int Run(string[] args) => RunAsync().GetAwaiter().GetResult();

    static async Task<int> RunAsync()
    {
        string pipe = $"stage-bench-{Guid.NewGuid():N}";
        using var shutdown = new CancellationTokenSource();
        using var log = new EngineLog(console: null);
        var server = new PipeServer(pipe, new EchoGenerator(), log);
        var serving = server.RunAsync(shutdown.Token);
        await server.Listening;

        var samples = new float[10 * 48_000 * 2];
        var random = new Random(2);
        for (int i = 0; i < samples.Length; i++) samples[i] = (float)(random.NextDouble() * 2 - 1);
        await using (var client = await EngineClient.ConnectAsync(pipe, "benchmark", "1", TimeSpan.FromSeconds(10)))
        {
            long id = 0;
            await Measurement.RunAsync("request with 10 s context -> 10 s StemChunk", 5, 50, async () =>
            {
                long rid = ++id;
                await client.SendAsync(new GenerateRequest
                {
                    RequestId = rid, Instrument = Instrument.Drums, Context = new PcmAudio(samples, 48_000, 2),
                    TempoBpm = 120, TimeSignature = new TimeSignature(4, 4), Length = StemLength.Seconds(10),
                    ContextMode = ContextMode.Mixture, WriteWav = false,
                });
                while (await client.ReceiveAsync() is var message && message is not Completed)
                    if (message is Failed or null) throw new InvalidOperationException($"the round trip failed: {message}");
            }, bytesPerIteration: 2.0 * samples.Length * sizeof(float));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            const int pings = 2000;
            for (int i = 0; i < pings; i++)
            {
                await client.SendAsync(new Ping(i));
                await client.ReceiveAsync();
            }
            Console.WriteLine($"  ping -> pong latency                      {clock.Elapsed.TotalMilliseconds * 1000 / pings:0.0} µs per round trip (n={pings})");
        }
        shutdown.Cancel();
        await serving;
        return 0;
    }

    /// <summary>Sends the context back as one chunk: the benchmark's stand-in for a generator.</summary>
    sealed class EchoGenerator : IStemGenerator
    {
        public async Task<StemResult> GenerateAsync(GenerateRequest request, IStemSink sink, CancellationToken cancel)
        {
            await sink.SendChunkAsync(0, 0, request.Context, cancel);
            return new StemResult(1, request.Context.FrameCount, []);
        }
    }
}

using System.Collections.Concurrent;
using Stage.Engine.Jobs;
using Stage.Shared.Protocol;

namespace Stage.Engine.Tests;

/// <summary>
/// A test double behind the generation seam, steered by the request's prompt: "block" waits until
/// cancelled, "stream" sends chunks until cancelled, "fail" throws a <see cref="StemGenerationException"/>, "disk" throws an IOException of its own, "crash" throws an unexpected
/// exception, "trickle" echoes with a pause before each chunk, anything else echoes the context audio back as
/// one-second chunks.
/// </summary>
sealed class ScriptedGenerator : IStemGenerator
{
    readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource> _freed = new();
    int _running, _maxRunning;

    /// <summary>Request ids in the order their generation started, tagged by client name in the prompt.</summary>
    public ConcurrentQueue<long> StartOrder { get; } = new();

    /// <summary>Completes when a request with this prompt (or id, as "id:N") starts generating.</summary>
    public Task Started(string key) => _started.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Completes when a blocked request has been cancelled and let go of what it held.</summary>
    public Task Freed(string key) => _freed.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public int MaxConcurrent => _maxRunning;

    public async Task<StemResult> GenerateAsync(GenerateRequest request, IStemSink sink, CancellationToken cancel)
    {
        int running = Interlocked.Increment(ref _running);
        InterlockedMax(ref _maxRunning, running);
        StartOrder.Enqueue(request.RequestId);
        try
        {
            foreach (var key in new[] { request.Prompt, $"id:{request.RequestId}" })
                _started.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            switch (request.Prompt)
            {
                case var p when p.StartsWith("block", StringComparison.Ordinal):
                    var held = new byte[1 << 20]; // stands for a job's buffers
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancel);
                    }
                    finally
                    {
                        GC.KeepAlive(held);
                        _freed.GetOrAdd(p, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                    }
                    throw new InvalidOperationException("unreachable");
                case "stream":
                    // Streams one-second chunks until cancelled, so a Cancel lands while frames are in flight.
                    var second = request.Context.Samples[..(request.Context.SampleRate * request.Context.Channels)];
                    _started.GetOrAdd("streaming", _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                    for (long offset = 0; ; offset += request.Context.SampleRate)
                        await sink.SendChunkAsync(0, offset, request.Context with { Samples = second }, cancel);
                case "fail":
                    throw new StemGenerationException(FailureCode.ModelMissing, "no bass model installed at /nowhere/bass");
                case "disk":
                    throw new IOException("the disk is full");
                case "crash":
                    throw new InvalidOperationException("the test double crashed on purpose");
            }
            await sink.ReportProgressAsync(0, "echoing", null, cancel);
            var audio = request.Context;
            long frames = audio.FrameCount;
            int chunkFrames = audio.SampleRate;
            for (int v = 0; v < request.Variations; v++)
            {
                for (long offset = 0; offset < frames; offset += chunkFrames)
                {
                    int n = (int)Math.Min(chunkFrames, frames - offset);
                    var slice = audio.Samples.Slice((int)offset * audio.Channels, n * audio.Channels);
                    if (request.Prompt == "trickle") await Task.Delay(20, cancel);   // gaps a 1 ms poll must fall into
                    await sink.SendChunkAsync(v, offset, new PcmAudio(slice, audio.SampleRate, audio.Channels), cancel);
                }
                await sink.ReportProgressAsync((v + 1.0) / request.Variations, "echoing", 0, cancel);
            }
            return new StemResult(request.Variations, frames, []);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    static void InterlockedMax(ref int target, int value)
    {
        for (int seen = target; value > seen; seen = target)
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }
}

using Stage.Shared.Protocol;

namespace Stage.Benchmarks;

/// <summary>Encoding and decoding one StemChunk of 10 s of stereo 48 kHz audio (3.84 MB of float32).</summary>
static class StemChunkCodecBenchmark
{
    public static int Run(string[] args)
    {
        var samples = new float[10 * 48_000 * 2];
        var random = new Random(1);
        for (int i = 0; i < samples.Length; i++) samples[i] = (float)(random.NextDouble() * 2 - 1);
        var chunk = new StemChunk(1, 0, 0, new PcmAudio(samples, 48_000, 2));
        double bytes = samples.Length * sizeof(float);

        using var buffer = new FrameBuffer();
        buffer.Encode(chunk);
        var frame = buffer.Seal().ToArray();
        var payload = frame.AsMemory(Frame.HeaderBytes);
        float checksum = 0;

        MicroBenchmark.Run("encode (into a reused frame buffer)", () => buffer.Encode(chunk), Throughput(bytes));
        // No throughput figure for decode: it validates the map and views the audio without copying it.
        MicroBenchmark.Run("decode (audio viewed in place)", () =>
        {
            var decoded = (StemChunk)MessageCodec.Decode(payload);
            checksum += decoded.Audio.Samples.Span[^1];
        });
        MicroBenchmark.Run("encode + decode", () =>
        {
            buffer.Encode(chunk);
            var decoded = (StemChunk)MessageCodec.Decode(buffer.Seal()[Frame.HeaderBytes..]);
            checksum += decoded.Audio.Samples.Span[0];
        }, Throughput(bytes));
        Console.WriteLine($"  frame size {frame.Length} bytes (audio {bytes:0} bytes); checksum {checksum}");
        return 0;
    }

    static Func<TimeSpan, string> Throughput(double bytes) => median => $"{bytes / median.TotalSeconds / 1e6:0} MB/s at the median";
}

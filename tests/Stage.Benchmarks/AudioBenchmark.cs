using Stage.Shared.Audio;
using Stage.Shared.Audio.Resampling;

namespace Stage.Benchmarks;

/// <summary>The shared audio code on a 10-second stereo stem: sample-rate conversion and WAV write+read.</summary>
internal static class AudioBenchmark
{
    private const int Seconds = 10;

    public static void Run(string[] args)
    {
        var stem = Stem(32000);
        foreach (var outputRate in new[] { 48000, 44100, 96000 })
        {
            Report($"resample 32k->{outputRate / 1000.0:0.#}k whole", () => SampleRateConverter.Resample(stem, outputRate));
        }
        Report("resample 32k->48k streamed (1920-frame pushes)", () => Streamed(stem, 48000, 1920));
        Report("resample 32k->48k streamed (64000-frame pushes)", () => Streamed(stem, 48000, 64000));
        var stem48 = Stem(48000);
        Report("resample 48k->32k whole", () => SampleRateConverter.Resample(stem48, 32000));
        Console.WriteLine($"  (filter: {new SampleRateConverter(32000, 48000, 2).TapCount} taps/output at 32k->48k, {new SampleRateConverter(48000, 32000, 2).TapCount} at 48k->32k)");

        // Why Stage keeps its own resampler: the same conversions through NAudio's WDL resampler.
        Console.WriteLine("resampler quality: level of the spurious tone (alias for 48k->32k, image at 32k-f for 32k->48k), dB re the input tone");
        foreach (var (input, output) in new[] { (48000, 32000), (32000, 48000) })
        {
            foreach (var (name, resample) in ResamplerComparison.Resamplers)
            {
                var levels = ResamplerComparison.SpuriousDb(resample, input, output);
                Console.WriteLine($"  {input / 1000}k->{output / 1000}k {name,-44} " + string.Join("  ", levels.Select(l => $"{l.Tone / 1000:0.0}k {l.Db,6:0.0}")) +
                    $"  worst {levels.Max(l => l.Db):0.0} dB");
            }
        }
        var left = stem.Channel(0);
        foreach (var (name, resample) in ResamplerComparison.Resamplers)
            Report($"resample 32k->48k mono 10 s: {name}", () => resample(left, 32000, 48000));

        var folder = Path.Combine(Path.GetTempPath(), "stage-audio-benchmark-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            foreach (var format in new[] { WavSampleFormat.Float32, WavSampleFormat.Pcm24 })
            {
                var path = Path.Combine(folder, $"{format}.wav");
                Report($"WAV write 10 s stereo 48k {format} (atomic, fsync)", () => WavWriter.Write(path, stem48, format));
                Report($"WAV read  10 s stereo 48k {format}", () => WavReader.Read(path));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static AudioBuffer Stem(int rate)
    {
        var audio = new AudioBuffer(2, Seconds * rate, rate);
        var random = new Random(1);
        for (var c = 0; c < 2; c++)
        {
            var channel = audio.Channel(c);
            for (var n = 0; n < channel.Length; n++)
                channel[n] = (float)(0.3 * Math.Sin(2 * Math.PI * (110 + 40 * c) * n / rate) + 0.1 * (random.NextDouble() - 0.5));
        }
        return audio;
    }

    private static void Streamed(AudioBuffer input, int outputRate, int block)
    {
        var converter = new SampleRateConverter(input.SampleRate, outputRate, input.ChannelCount);
        var output = new AudioBuffer(input.ChannelCount, (int)converter.OutputFrameCount(input.FrameCount), outputRate);
        var written = 0;
        for (var at = 0; at < input.FrameCount; at += block)
        {
            converter.Push(input.Channels, at, Math.Min(block, input.FrameCount - at));
            written += converter.Pull(output.Channels, written, output.FrameCount - written);
        }
        converter.Complete();
        converter.Pull(output.Channels, written, output.FrameCount - written);
    }

    private static void Report(string name, Action action) =>
        MicroBenchmark.Run(name, action, median => $"{Seconds / median.TotalSeconds,7:0}x real time");
}

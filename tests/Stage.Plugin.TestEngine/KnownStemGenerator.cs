using Stage.Engine.Jobs;
using Stage.Shared;
using Stage.Shared.Audio;
using Stage.Shared.Music;
using Stage.Shared.Protocol;

namespace Stage.Plugin.TestEngine;

/// <summary>
/// Streams <see cref="KnownStem"/> for the requested bars at the requested rate in chunks, waiting between
/// chunks, writes one float32 WAV per variation, and saves the context audio it received (raw float32,
/// interleaved) as context.f32 in the control folder. The control folder's chunk-ms file, read per request,
/// sets the pause between chunks (the plugin starts this engine once and its environment is then fixed).
/// </summary>
sealed class KnownStemGenerator(int chunkFrames, string? control) : IStemGenerator
{
    public async Task<StemResult> GenerateAsync(GenerateRequest request, IStemSink sink, CancellationToken cancel)
    {
        var chunkDelay = TimeSpan.Zero;
        if (control != null)
        {
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(request.Context.Samples.Span).ToArray();
            await File.WriteAllBytesAsync(Path.Combine(control, "context.f32"), bytes, cancel);
            string delayFile = Path.Combine(control, "chunk-ms");
            if (File.Exists(delayFile) && int.TryParse(File.ReadAllText(delayFile).Trim(), out int ms)) chunkDelay = TimeSpan.FromMilliseconds(ms);
        }
        var grid = new BarGrid(request.TempoBpm, request.TimeSignature.Numerator, request.TimeSignature.Denominator, request.OutputSampleRate);
        int bars = (int)request.Length.Value;
        long total = grid.BarsToSampleCount(bars);
        var paths = new List<string>();
        for (int v = 0; v < request.Variations; v++)
        {
            var whole = new AudioBuffer(2, (int)total, request.OutputSampleRate);
            for (long at = 0; at < total; at += chunkFrames)
            {
                int n = (int)Math.Min(chunkFrames, total - at);
                var interleaved = new float[n * 2];
                for (int i = 0; i < n; i++)
                {
                    interleaved[2 * i] = whole.Channel(0)[at + i] = KnownStem.Sample(v, at + i, 0);
                    interleaved[2 * i + 1] = whole.Channel(1)[at + i] = KnownStem.Sample(v, at + i, 1);
                }
                await sink.SendChunkAsync(v, at, new PcmAudio(interleaved, request.OutputSampleRate, 2), cancel);
                await sink.ReportProgressAsync((v + (double)(at + n) / total) / request.Variations, "generating", null, cancel);
                await Task.Delay(chunkDelay, cancel);
            }
            if (request.WriteWav)
            {
                string folder = request.WavDirectory ?? StageFolders.Stems;
                Directory.CreateDirectory(folder);
                string path = Path.Combine(folder,
                    $"stage-{InstrumentName.Of(request.Instrument)}-{request.TempoBpm:0.##}bpm-{bars}bars-seed{request.Seed}-v{v + 1}-{Environment.ProcessId}-{request.RequestId}.wav");
                WavWriter.Write(path, whole, WavSampleFormat.Float32);
                paths.Add(path);
            }
        }
        return new StemResult(request.Variations, total, paths);
    }
}

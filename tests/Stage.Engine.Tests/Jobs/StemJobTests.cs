using Stage.Engine.Jobs;
using Stage.Inference.Generation;
using Stage.Shared.Audio;
using Xunit.Abstractions;

namespace Stage.Engine.Tests.Jobs;

public class StemJobTests(ITestOutputHelper output)
{
    sealed class Recorder : IStemListener
    {
        public readonly List<StemProgress> Progresses = [];
        public readonly List<(int Variation, long Start, float[] Samples)> Chunks = [];
        public readonly List<StemVariation> Completed = [];
        public void Progress(StemProgress progress) => Progresses.Add(progress);
        public void Audio(int variation, long startFrame, float[] interleaved, int sampleRate, int channels) =>
            Chunks.Add((variation, startFrame, interleaved));
        public void VariationCompleted(StemVariation variation) => Completed.Add(variation);

        public float[] Streamed(int variation) => Chunks.Where(c => c.Variation == variation).SelectMany(c => c.Samples).ToArray();
    }

    [Fact]
    public void GreedyEndToEndMatchesStage()
    {
        string wav = Path.Combine(Path.GetTempPath(), $"stage-e2e-{Guid.NewGuid():N}.wav");
        try
        {
            var request = EndToEnd.Request(wav);
            var recorder = new Recorder();
            var result = StemJob.Run(EndToEnd.Model, new StageGenerator(), request, StemJob.PrepareContext(request), recorder, CancellationToken.None);

            Assert.Single(result);
            Assert.Equal(EndToEnd.Codes, result[0].Codes);
            var written = WavReader.ReadInterleaved(wav, out var format);
            Assert.Equal((32000, 1, WavSampleFormat.Float32), (format.SampleRate, format.ChannelCount, format.SampleFormat));
            float wavError = EndToEnd.MaxAbsDiff(EndToEnd.Audio, written);
            float streamError = EndToEnd.MaxAbsDiff(EndToEnd.Audio, recorder.Streamed(0));
            output.WriteLine($"e2e audio: WAV max |diff| {wavError:E2}, streamed max |diff| {streamError:E2}");
            Assert.True(wavError <= 1e-4f, $"WAV differs from e2e.audio by {wavError}");
            Assert.True(streamError <= 1e-4f, $"streamed audio differs from e2e.audio by {streamError}");

            Assert.Contains(recorder.Progresses, p => p.Stage == StemProgress.EncodingContext);
            Assert.Contains(recorder.Progresses, p => p.Stage == StemProgress.Generating);
            Assert.Contains(recorder.Progresses, p => p.Stage == StemProgress.Decoding);
            Assert.Equal(wav, Assert.Single(recorder.Completed).WavPath);
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(wav)!, $".{Path.GetFileName(wav)}*.tmp"));
        }
        finally
        {
            File.Delete(wav);
        }
    }

    [Fact]
    public void VariationsUseConsecutiveSeedsAndNumberedFiles()
    {
        string folder = Directory.CreateTempSubdirectory("stage-variations-").FullName;
        try
        {
            var request = EndToEnd.Request(Path.Combine(folder, "stem.wav")) with { TopK = 250, Seed = 7, Variations = 3 };
            var result = StemJob.Run(EndToEnd.Model, new StageGenerator(), request, StemJob.PrepareContext(request), null, CancellationToken.None);
            Assert.Equal([7ul, 8ul, 9ul], result.Select(v => v.Seed));
            Assert.Equal(["stem.wav", "stem-2.wav", "stem-3.wav"], result.Select(v => Path.GetFileName(v.WavPath!)));
            foreach (var v in result) Assert.True(File.Exists(v.WavPath));

            // The same seed alone gives the same codes as the second variation.
            var again = request with { Seed = 8, Variations = 1, OutputPath = null };
            var single = StemJob.Run(EndToEnd.Model, new StageGenerator(), again, StemJob.PrepareContext(again), null, CancellationToken.None);
            Assert.Equal(result[1].Codes, single[0].Codes);
            Assert.NotEqual(result[0].Codes, result[1].Codes);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void BarsAtAnotherRateAreTrimmedStereoAndStreamedInPieces()
    {
        // 3 bars of 3/4 at 150 BPM = 3.6 s: 180 frames, 158760 frames at 44.1 kHz.
        var request = EndToEnd.Request(null) with
        {
            Seconds = null, Bars = 3, Bpm = 150, MeterNumerator = 3, MeterDenominator = 4,
            ContextMode = ContextMode.Both, SampleRate = 44100, Channels = 2, TopK = 50,
        };
        var recorder = new Recorder();
        var result = StemJob.Run(EndToEnd.Model, new StageGenerator(), request, StemJob.PrepareContext(request), recorder, CancellationToken.None);
        Assert.Equal(180, result[0].Codes[0].Length);
        Assert.Equal(158760, result[0].Frames);
        Assert.True(recorder.Chunks.Count > 3, $"only {recorder.Chunks.Count} chunks");
        long next = 0;
        foreach (var (_, start, samples) in recorder.Chunks)
        {
            Assert.Equal(next, start);
            next += samples.Length / 2;
            for (int i = 0; i < samples.Length; i += 2) Assert.Equal(samples[i], samples[i + 1]);
        }
        Assert.Equal(158760, next);
        var fractions = recorder.Progresses.Select(p => p.Fraction).ToArray();
        Assert.Equal(fractions.Order(), fractions);
        Assert.Contains(recorder.Progresses, p => p.Eta is not null);
    }

    [Fact]
    public void LongStemsAreGeneratedWindowByWindow()
    {
        // 12 s = 600 frames: window 0 makes 500 frames exactly as a 10 s stem would, window 1 continues from the
        // last 250 (the audio prompt) with 100 new frames and the context from 5 s on.
        var model = EndToEnd.Model;
        var contextCodes = (int start) => CodeRows.FromMatrix(model.Codec.Encode(EndToEnd.Context.AsSpan(Math.Min(start * 640, EndToEnd.Context.Length))));
        var options = new GenerationOptions { Frames = 600, TopK = 20, Seed = 5, Prompt = EndToEnd.Prompt };
        var streamed = new List<(int Frame, int[] Codes)>();
        var progress = new List<(int Done, int Total)>();
        var codes = WindowedStemGenerator.Generate(new StageGenerator(), model, contextCodes, options,
            (done, total) => progress.Add((done, total)), (frame, c) => streamed.Add((frame, c.ToArray())), CancellationToken.None);

        Assert.Equal(600, codes[0].Length);
        Assert.Equal(Enumerable.Range(0, 600), streamed.Select(f => f.Frame));
        foreach (var (frame, c) in streamed)
            for (int q = 0; q < 4; q++) Assert.Equal(codes[q][frame], c[q]);
        Assert.Equal((600, 600), progress[^1]);

        var tenSeconds = new StageGenerator().Generate(model, contextCodes(0), options with { Frames = 500 }, null, CancellationToken.None);
        for (int q = 0; q < 4; q++) Assert.Equal(tenSeconds[q], codes[q][..500]);

        // Through the job: the requested length, every frame delivered.
        var request = EndToEnd.Request(null) with { Seconds = 12, TopK = 20 };
        var result = StemJob.Run(model, new StageGenerator(), request, StemJob.PrepareContext(request), null, CancellationToken.None);
        Assert.Equal(600, result[0].Codes[0].Length);
        Assert.Equal(600 * 640L, result[0].Frames);
    }

    [Fact]
    public void CancelStopsWithinAStep()
    {
        using var cancel = new CancellationTokenSource();
        var request = EndToEnd.Request(null) with { Seconds = 8, TopK = 20 };
        bool cancelled = false;
        int reportsAfter = 0;
        var listener = new CancellingListener(p =>
        {
            if (p.Stage != StemProgress.Generating) return;
            if (cancelled) reportsAfter++;
            else if (p.Fraction > 0.1) { cancelled = true; cancel.Cancel(); }
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            StemJob.Run(EndToEnd.Model, new StageGenerator(), request, StemJob.PrepareContext(request), listener, cancel.Token));
        Assert.True(cancelled);
        Assert.Equal(0, reportsAfter);
    }

    sealed class CancellingListener(Action<StemProgress> onProgress) : IStemListener
    {
        public void Progress(StemProgress progress) => onProgress(progress);
        public void Audio(int variation, long startFrame, float[] interleaved, int sampleRate, int channels) { }
        public void VariationCompleted(StemVariation variation) { }
    }
}

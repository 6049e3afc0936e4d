using System.Diagnostics;
using Stage.Inference.Generation;
using Stage.Shared.Audio;
using Stage.Shared.Audio.Resampling;

namespace Stage.Engine.Jobs;

/// <summary>What a stem job tells its caller while it runs (the CLI draws a progress bar, the server sends messages).</summary>
public interface IStemListener
{
    void Progress(StemProgress progress);

    /// <summary>Streamed audio of one variation at the output rate: interleaved frames from <paramref name="startFrame"/> on.
    /// It is converted from the same EnCodec samples as the WAV (see <see cref="StreamingStemDecoder"/>).</summary>
    void Audio(int variation, long startFrame, float[] interleaved, int sampleRate, int channels);

    void VariationCompleted(StemVariation variation);
}

/// <summary>One generated candidate: its seed, codes, length at the output rate and WAV path (if written).</summary>
public sealed record StemVariation(int Index, ulong Seed, int[][] Codes, long Frames, string? WavPath);

/// <summary>
/// The product's main job: context → EnCodec codes → STAGE → codes → EnCodec decode (streamed in pieces, which
/// end to end are the WAV's samples) → output rate → mono or stereo → exact stem length → WAV written atomically.
/// A next take of the same bars reuses the context's codes (<see cref="StageModel.EncodeContext"/>) and, with the
/// same prompt, the LM's prefill (<see cref="StageGenerator"/>).
/// Variations are generated one after another with seeds seed, seed+1, …
/// </summary>
public static class StemJob
{
    /// <summary>
    /// Checks the request and builds the 32 kHz context the model will hear: everything that can fail because of
    /// the producer's input, before any model is loaded.
    /// </summary>
    public static StemContext PrepareContext(StemRequest request)
    {
        request.Validate();
        float[]? mixture = null;
        if (request.ContextMode.UsesMixture())
        {
            var mono = ContextAudio.MixToMono(request.ContextAudio!, request.ContextChannels);
            mixture = request.ContextSampleRate == StemContext.SampleRate
                ? mono
                : SampleRateConverter.Resample(mono, request.ContextSampleRate, StemContext.SampleRate);
        }
        return StemContext.Prepare(request.ContextMode, mixture, request.ContextMode.UsesClick() ? request.Click : null,
            request.Length.Frames * StemContext.SamplesPerFrame);
    }

    /// <summary>
    /// Runs every stage of a job once on a second of silence and four frames, so the kernels a first request uses are
    /// compiled (and the generator's buffers made) before it arrives: the engine does this when an instance appears.
    /// </summary>
    public static void WarmUp(StageModel model, StageGenerator generator)
    {
        const int frames = 4;
        var context = CodeRows.FromMatrix(model.Codec.Encode(new float[model.SampleRate]));
        var decoder = new StreamingStemDecoder(model.Codec.OpenDecodeStream(frames));
        generator.Generate(model, context, new GenerationOptions { Frames = frames, TopK = 1, Prompt = "warm-up" }, null,
            (_, codes) =>
            {
                decoder.Add(codes);
                while (decoder.TryDecodePiece(out StemPiece _)) { }
            },
            CancellationToken.None);
    }

    /// <summary>Runs the whole job; <paramref name="generator"/> keeps its buffers between jobs (one job at a time).</summary>
    public static IReadOnlyList<StemVariation> Run(StageModel model, StageGenerator generator, StemRequest request, StemContext context,
        IStemListener? listener, CancellationToken cancel)
    {
        var length = request.Length;
        var clock = new StemClock(request.Variations, length.Frames);

        listener?.Progress(clock.At(StemProgress.EncodingContext, 0, 0));
        // Every variation's window w hears the same context: encode each window's context once.
        var encoded = new Dictionary<int, int[][]>();
        int[][] ContextCodes(int startFrame)
        {
            if (!encoded.TryGetValue(startFrame, out var codes))
            {
                cancel.ThrowIfCancellationRequested();
                // STAGE's prompt processor: fewer than 7 samples (a context that has run out) give no frame.
                codes = model.EncodeContext(context.Window(startFrame * StemContext.SamplesPerFrame));
                encoded[startFrame] = codes;
            }
            return codes;
        }
        ContextCodes(0);

        // Several candidates of one window share one batched pass (2 rows per candidate per step); candidate 0
        // streams while it is generated, the others stream (exactly decoded) when the pass ends.
        if (request.Variations > 1 && length.Frames <= WindowedStemGenerator.WindowFrames)
            return RunBatched(model, generator, request, length, ContextCodes(0), listener, cancel);

        var results = new List<StemVariation>(request.Variations);
        for (int v = 0; v < request.Variations; v++)
        {
            cancel.ThrowIfCancellationRequested();
            results.Add(RunVariation(model, generator, request, length, ContextCodes, v, clock, listener, cancel));
        }
        return results;
    }

    static GenerationOptions Options(StemRequest request, StemDuration length, ulong seed) => new()
    {
        Frames = length.Frames,
        Temperature = request.Temperature,
        TopK = request.TopK,
        Guidance = request.Guidance,
        Seed = seed,
        Prompt = request.Prompt,
    };

    static StemOutput Stream(StemRequest request, StemDuration length, int variation, IStemListener? listener) =>
        new(request.SampleRate, request.Channels, length.OutputSamples,
            (start, frames) => listener?.Audio(variation, start, frames, request.SampleRate, request.Channels));

    // Pieces are decoded beside the LM when EnCodec runs on the CPU and a logical processor is free (see OverlappedStemDecoder).
    static OverlappedStemDecoder Decoder(StageModel model, StemDuration length) =>
        new(new StreamingStemDecoder(model.Codec.OpenDecodeStream(length.Frames)), ownThread: OverlappedStemDecoder.WorthAThread(model.Codec.Backend));

    /// <summary>Streams the pieces decoded so far, on the job's thread (listeners see one thread).</summary>
    static void PushDecoded(OverlappedStemDecoder decoder, StemOutput stream)
    {
        while (decoder.TryTakePiece(out var piece)) stream.Push(piece.Samples);
    }

    static StemVariation RunVariation(StageModel model, StageGenerator generator, StemRequest request, StemDuration length, Func<int, int[][]> contextCodes, int variation,
        StemClock clock, IStemListener? listener, CancellationToken cancel)
    {
        ulong seed = unchecked(request.Seed + (ulong)variation);
        using var decoder = Decoder(model, length);
        var stream = Stream(request, length, variation, listener);
        listener?.Progress(clock.At(StemProgress.Generating, variation, 0));
        var codes = WindowedStemGenerator.Generate(generator, model, contextCodes, Options(request, length, seed),
            onStep: (done, total) => listener?.Progress(clock.At(StemProgress.Generating, variation, done)),
            onFrame: (frame, frameCodes) =>
            {
                decoder.Add(frameCodes);
                PushDecoded(decoder, stream);
            },
            cancel);

        listener?.Progress(clock.At(StemProgress.Decoding, variation, length.Frames));
        decoder.Finish();
        PushDecoded(decoder, stream);
        stream.Complete();
        // The streamed pieces are the whole-sequence decode's samples, so the WAV is them end to end.
        return Finish(request, length, variation, seed, codes, decoder.Audio, clock, listener, cancel);
    }

    static IReadOnlyList<StemVariation> RunBatched(StageModel model, StageGenerator generator, StemRequest request, StemDuration length,
        int[][] contextCodes, IStemListener? listener, CancellationToken cancel)
    {
        int variations = request.Variations;
        var clock = new StemClock(1, length.Frames);
        using var decoder = Decoder(model, length);
        var stream = Stream(request, length, 0, listener);
        listener?.Progress(clock.At(StemProgress.Generating, 0, 0));
        var candidates = generator.Generate(model.Lm, contextCodes, model.EncodeText(request.Prompt), Options(request, length, request.Seed), variations,
            onStep: (done, total) => listener?.Progress(clock.At(StemProgress.Generating, 0, done)),
            onFrame: (frame, frameCodes) =>
            {
                decoder.Add(frameCodes);
                PushDecoded(decoder, stream);
            },
            cancel);

        listener?.Progress(clock.At(StemProgress.Decoding, 0, length.Frames));
        decoder.Finish();
        PushDecoded(decoder, stream);
        stream.Complete();
        var results = new List<StemVariation>(variations)
        {
            Finish(request, length, 0, request.Seed, candidates[0], decoder.Audio, clock, listener, cancel),
        };
        for (int v = 1; v < variations; v++)
        {
            cancel.ThrowIfCancellationRequested();
            var whole = model.Decode(candidates[v]);
            var output = Stream(request, length, v, listener);
            for (int start = 0; start < whole.Length; start += StemContext.SampleRate) // one second per chunk
                output.Push(whole.AsSpan(start, Math.Min(StemContext.SampleRate, whole.Length - start)));
            output.Complete();
            results.Add(Finish(request, length, v, unchecked(request.Seed + (ulong)v), candidates[v], whole, clock, listener, cancel));
        }
        return results;
    }

    /// <summary>Writes the WAV of one candidate from its exact decode and reports it.</summary>
    static StemVariation Finish(StemRequest request, StemDuration length, int variation, ulong seed, int[][] codes, float[] whole,
        StemClock clock, IStemListener? listener, CancellationToken cancel)
    {
        string? path = null;
        if (request.OutputPath is not null)
        {
            cancel.ThrowIfCancellationRequested();
            listener?.Progress(clock.At(StemProgress.Writing, Math.Min(variation, clock.Variations - 1), length.Frames));
            path = StemRequest.VariationPath(request.OutputPath, variation);
            var audio = StemOutput.Render(whole, request.SampleRate, request.Channels, length.OutputSamples);
            try
            {
                if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
                using var writer = new WavWriter(path, request.SampleRate, request.Channels, WavSampleFormat.Float32);
                writer.Write(audio);
                writer.Commit();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Told apart from pipe failures: the stem exists, only its file could not be written.
                throw new StemOutputException($"cannot write the stem WAV {path}: {e.Message}; check that the folder is writable and the disk has room", e);
            }
        }
        var result = new StemVariation(variation, seed, codes, length.OutputSamples, path);
        listener?.VariationCompleted(result);
        return result;
    }

    /// <summary>Fraction done and time to go, from the measured rate of generated frames.</summary>
    sealed class StemClock(int variations, int framesPerVariation)
    {
        public int Variations => variations;

        readonly Stopwatch _watch = Stopwatch.StartNew();
        double _secondsAtFirstFrame = double.NaN;

        public StemProgress At(string stage, int variation, int frames)
        {
            long done = (long)variation * framesPerVariation + frames;
            long total = (long)variations * framesPerVariation;
            double now = _watch.Elapsed.TotalSeconds;
            if (done > 0 && double.IsNaN(_secondsAtFirstFrame)) _secondsAtFirstFrame = now;
            TimeSpan? eta = null;
            if (done > 1 && now > _secondsAtFirstFrame)
            {
                double perFrame = (now - _secondsAtFirstFrame) / (done - 1);
                eta = TimeSpan.FromSeconds(perFrame * (total - done));
            }
            // Generation is nearly all the work; the last 3 % stand for the final decode and the WAV.
            double fraction = Math.Clamp(0.97 * done / total, 0, 1);
            return new StemProgress(stage, fraction, eta, variation, variations);
        }
    }
}

using System.Diagnostics;
using Stage.Engine.Jobs;
using Stage.Inference.Checkpoints;
using Stage.Inference.Generation;
using Stage.Inference.Models.EnCodec;
using Stage.Inference.Models.Lm;

namespace Stage.Benchmarks;

/// <summary>
/// The stem job's streaming path at full STAGE size with random weights made in-process (LM as in
/// <see cref="LmBenchmark"/>, EnCodec as in <see cref="EncodecBenchmark"/>, random 1024-d text states standing in
/// for T5): context encode → guided generation → EnCodec decode in pieces → 48 kHz stereo, then the WAV's
/// render from the same pieces. Reports the time to the first streamed audio and the total.
/// It drives the same classes as <see cref="StemJob"/> (StreamingStemDecoder, StemOutput, StageGenerator) on parts made in
/// memory, so it needs no 2.35 GB model folder and can put the LM on a device and choose where pieces decode; the
/// <c>model</c> benchmark runs <see cref="StemJob"/> itself on a written folder. Arguments: [context seconds = 10] [stem seconds = 10]
/// [--device D] [--precision P] [--inline-pieces | --piece-thread] (the streamed pieces decoded on the LM's thread, or on
/// one of their own beside it, whatever <see cref="OverlappedStemDecoder.WorthAThread"/> would choose)
/// [--repeat N] (N takes in one process: the later ones are a producer's next takes of the same bars, another seed).
/// </summary>
static class JobBenchmark
{
    public static int Run(string[] args)
    {
        using var device = BenchmarkDevice.Open(ref args);
        if (device is null) return 1;
        bool inline = args.Contains("--inline-pieces"), pieceThread = args.Contains("--piece-thread");
        args = args.Where(a => a != "--inline-pieces" && a != "--piece-thread").ToArray();
        int repeat = 1, at = Array.IndexOf(args, "--repeat");
        if (at >= 0)
        {
            repeat = int.Parse(args[at + 1]);
            args = args.Where((_, i) => i != at && i != at + 1).ToArray();
        }
        double contextSeconds = args.Length > 0 ? double.Parse(args[0]) : 10;
        double stemSeconds = args.Length > 1 ? double.Parse(args[1]) : 10;
        int frames = (int)Math.Round(stemSeconds * 50);
        const int outputRate = 48000, outputChannels = 2;

        var clock = Stopwatch.StartNew();
        var lm = MusicGenLm.CreateRandom(LmDimensions.MusicGenSmall, seed: 1, device.HostLmPrecision);
        var config = StageConfig.Released.Encodec;
        var path = Path.Combine(Path.GetTempPath(), $"stage-job-benchmark-{Guid.NewGuid():N}.safetensors");
        EncodecModel codec;
        try
        {
            EncodecBenchmark.WriteRandomCheckpoint(path, config);
            using var file = SafetensorsFile.Open(path);
            // as the engine loads it (StageModel.Load): EnCodec follows an LM stored below float32 to bfloat16
            codec = EncodecModel.Load(file, config, device.CodecBackend, bfloat16: device.HostLmPrecision != Stage.Inference.Gpu.WeightPrecision.Float32);
        }
        finally
        {
            File.Delete(path);
        }
        Console.WriteLine($"  random LM + EnCodec made in {clock.Elapsed.TotalSeconds:F1} s; EnCodec on {device.CodecBackend.Name}");
        var random = new Random(3);
        var text = new float[20 * lm.Dims.TextDim];
        for (int i = 0; i < text.Length; i++) text[i] = (float)(random.NextDouble() * 2 - 1);
        using var generator = new StageGenerator(device);
        // A later run is a producer's next take in the same engine: another seed on the same bars and prompt, so the
        // context's codes are the ones StageModel kept and the generator restores its kept prefill.
        int[][]? keptContext = null;
        for (int run = 1; run <= repeat; run++)
        {
            if (repeat > 1) Console.WriteLine(run == 1 ? $"  take 1 of {repeat} (the process's first):" : $"  take {run} of {repeat} (same bars and prompt, seed {41 + run}):");
            RunOnce((ulong)(41 + run));
        }
        if (device.IsAccelerator) Console.WriteLine($"  {BenchmarkDevice.Memory(device)}");
        return 0;

        void RunOnce(ulong seed)
        {
            var contextAudio = EncodecBenchmark.TestSignal((int)(contextSeconds * 32000), 32000);
            var process = Process.GetCurrentProcess();
            var cpuAtStart = process.TotalProcessorTime;

            clock.Restart();
            var contextCodes = keptContext ??= CodeRows.FromMatrix(codec.Encode(contextAudio));
            var encoded = clock.Elapsed;
            var pieceDecode = TimeSpan.Zero;
            TimeSpan firstAudio = default, firstFrame = default;
            long delivered = 0;
            using var decoder = new OverlappedStemDecoder(new StreamingStemDecoder(codec.OpenDecodeStream(frames)),
                ownThread: !inline && (pieceThread || OverlappedStemDecoder.WorthAThread(codec.Backend)));
            var output = new StemOutput(outputRate, outputChannels, StemDuration.FromSeconds(stemSeconds, outputRate).OutputSamples, (start, samples) =>
            {
                if (delivered == 0) firstAudio = clock.Elapsed;
                delivered += samples.Length / outputChannels;
            });
            generator.Generate(lm, contextCodes, text, new GenerationOptions { Frames = frames, Seed = seed }, 1, null,
                (frame, frameCodes) =>
                {
                    if (frame == 0) firstFrame = clock.Elapsed;
                    var before = clock.Elapsed;
                    decoder.Add(frameCodes);
                    while (decoder.TryTakePiece(out var piece)) output.Push(piece.Samples);
                    pieceDecode += clock.Elapsed - before;
                },
                CancellationToken.None);
            var generated = clock.Elapsed;
            decoder.Finish();
            while (decoder.TryTakePiece(out var piece)) output.Push(piece.Samples);
            output.Complete();
            var streamed = clock.Elapsed;
            StemOutput.Render(decoder.Audio, outputRate, outputChannels, output.TotalFrames);
            var total = clock.Elapsed;
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuAtStart;

            Console.WriteLine($"  {contextSeconds:0.#} s context ({contextCodes[0].Length} frames) + {stemSeconds:0.#} s stem ({frames} frames), "
                + $"guidance 3, top-k 250, {outputRate} Hz stereo out, {Environment.ProcessorCount} cores (load average {LoadAverage()})");
            Console.WriteLine($"  context encode               {encoded.TotalSeconds,7:F2} s");
            Console.WriteLine($"  first complete frame         {firstFrame.TotalSeconds,7:F2} s  (prefill {(generator.LastPrefillWasKept ? "restored from the last take" : "computed")})");
            Console.WriteLine($"  first streamed audio         {firstAudio.TotalSeconds,7:F2} s  (first piece {StreamingStemDecoder.DefaultFirstPieceFrames}, then {StreamingStemDecoder.DefaultPieceFrames} frames, "
                + "each decoded once, as the whole decode gives it)");
            Console.WriteLine($"  generation done              {generated.TotalSeconds,7:F2} s  ({frames / (generated - encoded).TotalSeconds:F2} frames/s incl. piece decoding)");
            Console.WriteLine($"  piece decoding (in the loop) {pieceDecode.TotalSeconds,7:F2} s  ({(decoder.OnOwnThread ? "on a thread of its own; the LM's thread only hands frames over" : "on the LM's thread")})");
            Console.WriteLine($"  all audio streamed           {streamed.TotalSeconds,7:F2} s  ({delivered} frames)");
            Console.WriteLine($"  WAV render at {outputRate / 1000} kHz         {(total - streamed).TotalSeconds,7:F2} s  (from the streamed pieces)");
            Console.WriteLine($"  total                        {total.TotalSeconds,7:F2} s  (CPU {cpu.TotalSeconds:F1} s; peak working set {process.PeakWorkingSet64 / 1e9:F2} GB)");
        }
    }

    static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }
}

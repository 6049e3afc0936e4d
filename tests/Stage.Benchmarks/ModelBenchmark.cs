using System.Diagnostics;
using Stage.Engine.Jobs;
using Stage.Inference.Checkpoints;
using Stage.Inference.Generation;
using Stage.Inference.Gpu;
using Stage.Inference.Models.Lm;
using T5 = Stage.Inference.Checkpoints.StageCheckpointLayout.T5;
using Lm = Stage.Inference.Checkpoints.StageCheckpointLayout.Lm;

namespace Stage.Benchmarks;

/// <summary>
/// The engine's own path on a full-size model folder with random weights, the one thing the other benchmarks leave out:
/// a released-layout checkpoint (MusicGen-Small LM, t5-base, EnCodec 32 kHz; 2.1 GB of float32) is written to a temp
/// folder with the fixture's tokenizer, loaded as the engine loads it (<see cref="StageModel.Load"/>, converting to the
/// precision asked for) and warmed up (<see cref="StemJob.WarmUp"/>), then <see cref="StemJob.Run"/> makes a 10 s stem from 10 s of 48 kHz stereo context twice (a
/// first take, then a next take with another seed), streamed, as a plugin's request would. Reports the load, each take's
/// first audio and total, and the process's peak working set with every part of the model in memory.
/// Arguments: [--precision P] (default bf16) [--threads N].
/// </summary>
static class ModelBenchmark
{
    public static int Run(string[] args)
    {
        var precision = WeightPrecision.BFloat16;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--precision" && i + 1 < args.Length && WeightPrecisions.TryParse(args[i + 1], out var p)) { precision = p; i++; }
            else if (args[i] == "--threads" && i + 1 < args.Length) Stage.Inference.Kernels.KernelThreads.Count = int.Parse(args[++i]);
        }
        string folder = Directory.CreateTempSubdirectory("stage-model-benchmark-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            var checkpoint = Released(StageConfig.Released);
            checkpoint.Write(Path.Combine(folder, ModelFolder.WeightsFileName));
            File.Copy(Path.Combine(RepositoryRoot.TinyFixture, ModelFolder.TokenizerFileName), Path.Combine(folder, ModelFolder.TokenizerFileName));
            Console.WriteLine($"  random released-layout checkpoint: {checkpoint.Bytes / 1e9:F2} GB of float32 written in {clock.Elapsed.TotalSeconds:F1} s");

            var process = Process.GetCurrentProcess();
            if (ConvertedLm.Applies(precision))
            {
                // The first load the engine ever makes of this model converts the LM and keeps its matrices; the one measured
                // below is every later one, which maps them.
                clock.Restart();
                var first = StageModel.Load(folder, precision, keepConverted: true);
                Console.WriteLine($"  first load: {clock.Elapsed.TotalSeconds:F2} s, LM matrices {first.ConvertedLmNote} "
                    + $"({new FileInfo(ConvertedLm.PathFor(Path.Combine(folder, ModelFolder.WeightsFileName), precision)).Length / 1e9:F2} GB)");
                first = null;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                ResetPeakWorkingSet();
            }
            clock.Restart();
            var model = StageModel.Load(folder, precision, keepConverted: true);
            process.Refresh();
            Console.WriteLine($"  loaded as {WeightPrecisions.Name(precision)} in {clock.Elapsed.TotalSeconds:F2} s (the page cache holds the file; LM matrices {model.ConvertedLmNote}); "
                + $"working set {process.WorkingSet64 / 1e9:F2} GB, peak {process.PeakWorkingSet64 / 1e9:F2} GB; {KernelThreads()} kernel threads, {Environment.ProcessorCount} cores");
            var heap = GC.GetGCMemoryInfo();
            Console.WriteLine($"  after load: GC heap {heap.HeapSizeBytes / 1e9:F2} GB ({heap.FragmentedBytes / 1e9:F2} GB of it free), committed {heap.TotalCommittedBytes / 1e9:F2} GB; "
                + $"the rest of the working set {(process.WorkingSet64 - heap.TotalCommittedBytes) / 1e9:F2} GB (runtime, code, native buffers)");

            var generator = new StageGenerator();
            // the engine warms a model up when an instance appears, before any request (StageStemGenerator.PrepareAsync)
            clock.Restart();
            StemJob.WarmUp(model, generator);
            Console.WriteLine($"  warmed up as the engine does before a first request: {clock.Elapsed.TotalSeconds:F2} s");
            var contextAudio = Stereo(EncodecBenchmark.TestSignal(10 * 48000, 48000));
            for (int take = 1; take <= 2; take++)
            {
                var request = new StemRequest
                {
                    ModelFolder = folder,
                    ContextAudio = contextAudio,
                    ContextSampleRate = 48000,
                    ContextChannels = 2,
                    Seconds = 10,
                    Prompt = "tight funk drums with ghost notes",
                    Seed = (ulong)(41 + take),
                    SampleRate = 48000,
                    Channels = 2,
                };
                var listener = new FirstAudio();
                clock.Restart();
                listener.Clock = clock;
                var context = StemJob.PrepareContext(request);
                var variations = StemJob.Run(model, generator, request, context, listener, CancellationToken.None);
                var total = clock.Elapsed;
                process.Refresh();
                var heapAtEnd = GC.GetGCMemoryInfo();
                Console.WriteLine($"  take {take} ({(take == 1 ? "first" : "next: same bars and prompt, another seed")}): first streamed audio {listener.At.TotalSeconds:F2} s, "
                    + $"total {total.TotalSeconds:F2} s, {variations[0].Frames} frames at 48 kHz; context {(model.LastContextWasKept ? "kept" : "encoded")}, prompt {(model.LastTextWasKept ? "kept" : "encoded")}, "
                    + $"prefill {(generator.LastPrefillWasKept ? "kept" : "computed")}; peak working set {process.PeakWorkingSet64 / 1e9:F2} GB "
                    + $"(at its end {process.WorkingSet64 / 1e9:F2} GB, GC heap {heapAtEnd.HeapSizeBytes / 1e9:F2} GB, committed {heapAtEnd.TotalCommittedBytes / 1e9:F2} GB)");
                Console.WriteLine($"    stages began at: {string.Join(", ", listener.Stages.Select(s => $"{s.Stage} {s.At.TotalSeconds:F2} s"))}");
            }
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Linux: the peak working set starts again from the current one (clear_refs 5), so the first load's is not reported.</summary>
    static void ResetPeakWorkingSet()
    {
        if (OperatingSystem.IsLinux()) File.WriteAllText($"/proc/{Environment.ProcessId}/clear_refs", "5");
    }

    static int KernelThreads() => Stage.Inference.Kernels.KernelThreads.Count;

    static float[] Stereo(float[] mono)
    {
        var interleaved = new float[2 * mono.Length];
        for (int i = 0; i < mono.Length; i++) interleaved[2 * i] = interleaved[2 * i + 1] = mono[i];
        return interleaved;
    }

    /// <summary>Every tensor of a released STAGE checkpoint, random (norms at weight 1, bias 0).</summary>
    static RandomCheckpoint Released(StageConfig c)
    {
        var checkpoint = new RandomCheckpoint();
        var d = LmDimensions.MusicGenSmall;
        void Linear(string name, int rows, int cols) => checkpoint.Add(name, [rows, cols], 1f / MathF.Sqrt(cols));
        void Norm(string module)
        {
            checkpoint.Add(module + ".weight", [d.Dim], 0f, 1f);
            checkpoint.Add(module + ".bias", [d.Dim], 0f);
        }
        for (int q = 0; q < d.Codebooks; q++) checkpoint.Add(Lm.TokenEmbedding(q), [d.InputCard, d.Dim], 1f);
        int width = d.Heads * d.HeadDim;
        for (int l = 0; l < d.Layers; l++)
        {
            Norm(Lm.SelfAttentionNorm(l));
            foreach (var which in new[] { "to_q", "to_k", "to_v" }) Linear(Lm.SelfAttention(l, which), width, d.Dim);
            Linear(Lm.SelfAttention(l, "to_out"), d.Dim, width);
            Norm(Lm.CrossAttentionNorm(l));
            Linear(Lm.CrossAttention(l, "to_q"), width, d.Dim);
            Linear(Lm.CrossAttention(l, "to_k"), width, d.TextDim);
            Linear(Lm.CrossAttention(l, "to_v"), width, d.TextDim);
            Linear(Lm.CrossAttention(l, "to_out"), d.Dim, width);
            Norm(Lm.FeedForwardNorm(l));
            Linear(Lm.FeedForwardIn(l), d.FfnDim, d.Dim);
            Linear(Lm.FeedForwardOut(l), d.Dim, d.FfnDim);
        }
        Norm(Lm.FinalNorm);
        for (int q = 0; q < d.Codebooks; q++) Linear(Lm.OutputHead(q), d.Card, d.Dim);

        var t = c.T5;
        int inner = t.Heads * t.DKv;
        checkpoint.Add(T5.Embedding, [t.VocabSize, t.DModel], 1f);
        checkpoint.Add(T5.RelativeAttentionBias, [t.RelativeAttentionBuckets, t.Heads], 1f);
        for (int b = 0; b < t.Layers; b++)
        {
            checkpoint.Add(T5.AttentionNorm(b), [t.DModel], 0f, 1f);
            foreach (var which in new[] { "q", "k", "v" }) checkpoint.Add(T5.SelfAttention(b, which), [inner, t.DModel], 1f / MathF.Sqrt(t.DModel));
            checkpoint.Add(T5.SelfAttention(b, "o"), [t.DModel, inner], 1f / MathF.Sqrt(inner));
            checkpoint.Add(T5.FeedForwardNorm(b), [t.DModel], 0f, 1f);
            checkpoint.Add(T5.FeedForward(b, "wi"), [t.DFf, t.DModel], 1f / MathF.Sqrt(t.DModel));
            checkpoint.Add(T5.FeedForward(b, "wo"), [t.DModel, t.DFf], 1f / MathF.Sqrt(t.DFf));
        }
        checkpoint.Add(T5.FinalNorm, [t.DModel], 0f, 1f);
        checkpoint.Add(T5.OutputProjectionWeight, [t.ProjectionDim, t.DModel], 1f / MathF.Sqrt(t.DModel));
        checkpoint.Add(T5.OutputProjectionBias, [t.ProjectionDim], 0.01f);

        EncodecBenchmark.AddRandom(checkpoint, c.Encodec);
        return checkpoint;
    }

    sealed class FirstAudio : IStemListener
    {
        public Stopwatch Clock = new();
        public TimeSpan At;

        public readonly List<(string Stage, TimeSpan At)> Stages = [];

        public void Progress(StemProgress progress)
        {
            if (Stages.Count == 0 || Stages[^1].Stage != progress.Stage) Stages.Add((progress.Stage, Clock.Elapsed));
        }

        public void Audio(int variation, long startFrame, float[] interleaved, int sampleRate, int channels)
        {
            if (At == default) At = Clock.Elapsed;
        }

        public void VariationCompleted(StemVariation variation) { }
    }
}

using System.Diagnostics;
using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Models.T5;
using Stage.Inference.Text;

namespace Stage.Benchmarks;

/// <summary>
/// Text conditioning speed: SentencePiece encode throughput on the fixture tokenizer, and the full
/// t5-base encoder (768 wide, 12 layers, 12 heads × 64, FF 3072, vocab 32128) + projection to 1024
/// on a 20-word prompt, with random weights built in-process.
/// </summary>
static class TextBenchmark
{
    const string TwentyWords =
        "tight funky drums with ghost notes on the snare, open hi-hat on the off-beat and a deep kick, 100 bpm";

    public static void Run(string[] args)
    {
        string fixture = RepositoryRoot.TinyFixture;
        var tokenizer = SentencePieceTokenizer.Load(Path.Combine(fixture, "spiece.model"));
        Tokenizer(tokenizer, "fixture");
        string folder = Directory.CreateTempSubdirectory("stage-text-benchmark-").FullName;
        try
        {
            string real = SyntheticVocabulary.Write(Path.Combine(fixture, "spiece.model"), folder, SyntheticVocabulary.T5PieceCount);
            Tokenizer(SentencePieceTokenizer.Load(real), "synthetic t5-size");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        Encoder(tokenizer);
    }

    static void Tokenizer(SentencePieceTokenizer tokenizer, string vocabulary)
    {
        string[] prompts =
        [
            TwentyWords,
            "Genre(s): jazz, soul, funk. Mood(s): relaxed, warm, nostalgic. A slow groove with brushed snare, soft ride cymbal and a round upright bass",
            "lo-fi chill beat with drums, keyboard and bass playing in a relaxed mood",
            "heavy metal double kick drums, fast and aggressive",
            "ＦＵＬＬ-width ＡＢＣ １２３ café in Zürich 🥁🥁",
        ];
        long tokens = 0;
        for (int i = 0; i < 2000; i++) tokens += tokenizer.Encode(prompts[i % prompts.Length]).Length;
        MicroBenchmark.Run($"tokenize the 20-word prompt ({tokenizer.PieceCount} pieces)", () => tokenizer.Encode(TwentyWords));

        const int n = 100_000;
        tokens = 0;
        long bytes = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            var p = prompts[i % prompts.Length];
            tokens += tokenizer.Encode(p).Length;
            bytes += p.Length;
        }
        sw.Stop();
        double s = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"tokenizer: {n} prompts ({bytes / (double)n:F0} chars avg) in {s * 1e3:F0} ms = {n / s:F0} prompts/s, " +
            $"{tokens / s / 1e6:F2} M tokens/s, {s / n * 1e6:F1} µs/prompt (single thread, {tokenizer.PieceCount}-piece {vocabulary} vocabulary)");
    }

    static void Encoder(SentencePieceTokenizer tokenizer)
    {
        var config = new T5Config(); // t5-base defaults, projection to 1024
        var build = Stopwatch.StartNew();
        var random = new Random(1234);
        var weights = RandomWeights(config, random);
        var encoder = new T5Encoder(weights);
        var projection = LinearWeights.FromRows(Normal(random, config.ProjectionDim * config.DModel, 0.03f), config.ProjectionDim, config.DModel,
            Normal(random, config.ProjectionDim, 0.01f));
        var conditioner = new TextConditioner(tokenizer, encoder, projection);
        build.Stop();
        Console.WriteLine($"t5-base random weights built and packed in {build.Elapsed.TotalSeconds:F1} s; kernel threads {KernelThreads.Count}");

        int words = TwentyWords.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        int fixtureTokens = tokenizer.Encode(TwentyWords).Length;
        Time($"encode \"{words}-word prompt\" via TextConditioner ({fixtureTokens} fixture tokens)", () => conditioner.Encode(TwentyWords));

        // The real t5-base vocabulary splits 20 English words into ~25 tokens; time T5 + projection at fixed lengths too.
        foreach (int length in new[] { 26, 64, 512 })
        {
            var ids = new int[length];
            for (int i = 0; i < length; i++) ids[i] = 3 + random.Next(32000);
            ids[^1] = 1;
            var hidden = new float[length * config.DModel];
            Time($"T5 encoder only, L = {length}", () => encoder.Encode(ids, default, hidden));
        }
    }

    static void Time(string what, Action action) => MicroBenchmark.Run(what, action);

    static T5Weights RandomWeights(T5Config c, Random random)
    {
        int d = c.DModel, inner = c.Heads * c.DKv;
        var blocks = new T5BlockWeights[c.Layers];
        for (int i = 0; i < c.Layers; i++)
        {
            blocks[i] = new T5BlockWeights(
                AttentionNorm: Normal(random, d, 0.1f, 1f),
                Query: Normal(random, inner * d, 0.01f),
                Key: Normal(random, inner * d, 0.03f),
                Value: Normal(random, inner * d, 0.03f),
                Output: Normal(random, d * inner, 0.03f),
                FeedForwardNorm: Normal(random, d, 0.1f, 1f),
                FeedForwardIn: Normal(random, c.DFf * d, 0.03f),
                FeedForwardOut: Normal(random, d * c.DFf, 0.02f));
        }
        return new T5Weights
        {
            Config = c,
            Embedding = EmbeddingTable.InMemory(Normal(random, c.VocabSize * d, 1f), c.VocabSize, d),
            RelativeAttentionBias = Normal(random, c.RelativeAttentionBuckets * c.Heads, 1f),
            Blocks = blocks,
            FinalNorm = Normal(random, d, 0.1f, 1f),
        };
    }

    static float[] Normal(Random random, int n, float std, float mean = 0f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i += 2)
        {
            // Box–Muller, two values per draw.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(u1));
            a[i] = mean + std * (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < n) a[i + 1] = mean + std * (float)(r * Math.Sin(2 * Math.PI * u2));
        }
        return a;
    }
}

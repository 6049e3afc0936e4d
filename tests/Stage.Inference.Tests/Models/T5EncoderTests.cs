using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Models.T5;
using Stage.Inference.Text;

namespace Stage.Inference.Tests.Models;

public class T5EncoderTests
{
    static readonly T5Config Tiny = new() { DModel = 8, Layers = 1, Heads = 2, DKv = 4, DFf = 16, VocabSize = 64, ProjectionDim = 12 };

    static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    static T5Encoder TinyEncoder(T5Config c)
    {
        int d = c.DModel, inner = c.Heads * c.DKv;
        return new T5Encoder(new T5Weights
        {
            Config = c,
            Embedding = EmbeddingTable.InMemory(Random(c.VocabSize * d, 1), c.VocabSize, d),
            RelativeAttentionBias = Random(c.RelativeAttentionBuckets * c.Heads, 2),
            Blocks = [new T5BlockWeights(Random(d, 3), Random(inner * d, 4), Random(inner * d, 5), Random(inner * d, 6),
                Random(d * inner, 7), Random(d, 8), Random(c.DFf * d, 9), Random(d * c.DFf, 10))],
            FinalNorm = Random(d, 11),
        });
    }

    [Fact]
    public void TokenizerLargerThanTheEmbeddingIsRejected()
    {
        var tokenizer = SentencePieceTokenizer.Load(Path.Combine(Fixture.Directory, "spiece.model"));
        var encoder = TinyEncoder(Tiny); // 64 rows < 400 pieces + 100 extra ids
        var projection = LinearWeights.FromRows(Random(12 * 8, 12), 12, 8, Random(12, 13));
        var e = Assert.Throws<ArgumentException>(() => new TextConditioner(tokenizer, encoder, projection));
        Assert.Contains("do not belong together", e.Message);
    }

    [Fact]
    public void WeightsOfTheWrongSizeAreRejectedNamingTheTensor()
    {
        var c = Tiny;
        var weights = new T5Weights
        {
            Config = c,
            Embedding = EmbeddingTable.InMemory(Random(c.VocabSize * c.DModel, 1), c.VocabSize, c.DModel),
            RelativeAttentionBias = Random(c.RelativeAttentionBuckets * c.Heads, 2),
            Blocks = [new T5BlockWeights(Random(8, 3), Random(64, 4), Random(64, 5), Random(64, 6), Random(64, 7), Random(8, 8), Random(128, 9), Random(100, 10))],
            FinalNorm = Random(8, 11),
        };
        var e = Assert.Throws<ArgumentException>(() => new T5Encoder(weights));
        Assert.Contains("block 0 wo", e.Message);
    }

    [Fact]
    public void CheckpointWithOtherShapesThanTheConfigIsRejected()
    {
        using var file = SafetensorsFile.Open(Fixture.Model);
        var e = Assert.Throws<CheckpointException>(() => T5Weights.Load(file, new T5Config { DModel = 48, Layers = 2, Heads = 4, DKv = 8, DFf = 64, VocabSize = 512 }));
        Assert.Contains("t5.", e.Message);
        var more = Assert.Throws<CheckpointException>(() => T5Weights.Load(file, new T5Config { DModel = 32, Layers = 1, Heads = 4, DKv = 8, DFf = 64, VocabSize = 512 }));
        Assert.Contains("more than the 1 blocks", more.Message);
    }

    [Fact]
    public void BadEncodeArgumentsAreRejected()
    {
        var encoder = TinyEncoder(Tiny);
        Assert.Throws<ArgumentException>(() => encoder.Encode([], default, new float[8]));
        Assert.Throws<ArgumentException>(() => encoder.Encode([1, 2], new byte[3], new float[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode([64], default, new float[8]));
    }

    [Fact]
    public void RightPaddingDoesNotChangeTheRealPositions()
    {
        var encoder = TinyEncoder(Tiny);
        int[] ids = [5, 9, 1];
        var plain = new float[3 * 8];
        encoder.Encode(ids, default, plain);
        var padded = new float[6 * 8];
        encoder.Encode([5, 9, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0], padded);
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], padded[i], 1e-5f);
    }
}

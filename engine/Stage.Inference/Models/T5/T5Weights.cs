using Stage.Inference.Checkpoints;

namespace Stage.Inference.Models.T5;

/// <summary>One encoder block's tensors, PyTorch layouts (Linear weights are [out, in], no biases).</summary>
public sealed record T5BlockWeights(
    float[] AttentionNorm,
    float[] Query,
    float[] Key,
    float[] Value,
    float[] Output,
    float[] FeedForwardNorm,
    float[] FeedForwardIn,
    float[] FeedForwardOut);

/// <summary>The tensors of a T5 encoder (HF <c>T5EncoderModel</c>), checked against its config.</summary>
public sealed class T5Weights
{
    public required T5Config Config { get; init; }
    /// <summary><c>shared</c> = <c>encoder.embed_tokens</c> [vocab, d]; a loaded one stays in the checkpoint (<see cref="EmbeddingTable"/>).</summary>
    public required EmbeddingTable Embedding { get; init; }
    /// <summary>Block 0's <c>relative_attention_bias</c> [buckets, heads], shared by every block.</summary>
    public required float[] RelativeAttentionBias { get; init; }
    public required T5BlockWeights[] Blocks { get; init; }
    public required float[] FinalNorm { get; init; }

    /// <summary>
    /// Reads the T5 encoder of a STAGE checkpoint; every tensor's shape is checked against
    /// <paramref name="config"/> and a mismatch names the tensor. The embedding may be stored under
    /// either tied name (safetensors keeps one and records the other in <c>__metadata__</c>).
    /// </summary>
    public static T5Weights Load(SafetensorsFile file, T5Config config)
    {
        int d = config.DModel, inner = config.Heads * config.DKv;
        string embedding = file.Contains(StageCheckpointLayout.T5.EmbeddingAlias)
            ? StageCheckpointLayout.T5.EmbeddingAlias
            : StageCheckpointLayout.T5.Embedding;
        if (file.Contains(StageCheckpointLayout.T5.AttentionNorm(config.Layers)))
            throw new CheckpointException($"{file.Path}: the T5 encoder has more than the {config.Layers} blocks its config gives");
        var blocks = new T5BlockWeights[config.Layers];
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i] = new T5BlockWeights(
                AttentionNorm: file.ReadFloat32(StageCheckpointLayout.T5.AttentionNorm(i), d),
                Query: file.ReadFloat32(StageCheckpointLayout.T5.SelfAttention(i, "q"), inner, d),
                Key: file.ReadFloat32(StageCheckpointLayout.T5.SelfAttention(i, "k"), inner, d),
                Value: file.ReadFloat32(StageCheckpointLayout.T5.SelfAttention(i, "v"), inner, d),
                Output: file.ReadFloat32(StageCheckpointLayout.T5.SelfAttention(i, "o"), d, inner),
                FeedForwardNorm: file.ReadFloat32(StageCheckpointLayout.T5.FeedForwardNorm(i), d),
                FeedForwardIn: file.ReadFloat32(StageCheckpointLayout.T5.FeedForward(i, "wi"), config.DFf, d),
                FeedForwardOut: file.ReadFloat32(StageCheckpointLayout.T5.FeedForward(i, "wo"), d, config.DFf));
        }
        return new T5Weights
        {
            Config = config,
            Embedding = EmbeddingTable.InFile(file, embedding, config.VocabSize, d),
            RelativeAttentionBias = file.ReadFloat32(StageCheckpointLayout.T5.RelativeAttentionBias, config.RelativeAttentionBuckets, config.Heads),
            Blocks = blocks,
            FinalNorm = file.ReadFloat32(StageCheckpointLayout.T5.FinalNorm, d),
        };
    }

    /// <summary>Throws naming the tensor whose size disagrees with <see cref="Config"/>.</summary>
    public void Validate()
    {
        var c = Config;
        if (Embedding.Rows != c.VocabSize || Embedding.Dim != c.DModel)
            throw new ArgumentException($"T5 embedding is [{Embedding.Rows}, {Embedding.Dim}], expected [{c.VocabSize}, {c.DModel}]");
        Check(RelativeAttentionBias, (long)c.RelativeAttentionBuckets * c.Heads, "relative_attention_bias");
        Check(FinalNorm, c.DModel, "final_layer_norm");
        if (Blocks.Length != c.Layers) throw new ArgumentException($"T5 weights have {Blocks.Length} blocks, config says {c.Layers}");
        for (int i = 0; i < Blocks.Length; i++)
        {
            var b = Blocks[i];
            Check(b.AttentionNorm, c.DModel, $"block {i} attention layer_norm");
            Check(b.Query, (long)c.Heads * c.DKv * c.DModel, $"block {i} q");
            Check(b.Key, (long)c.Heads * c.DKv * c.DModel, $"block {i} k");
            Check(b.Value, (long)c.Heads * c.DKv * c.DModel, $"block {i} v");
            Check(b.Output, (long)c.DModel * c.Heads * c.DKv, $"block {i} o");
            Check(b.FeedForwardNorm, c.DModel, $"block {i} feed-forward layer_norm");
            Check(b.FeedForwardIn, (long)c.DFf * c.DModel, $"block {i} wi");
            Check(b.FeedForwardOut, (long)c.DModel * c.DFf, $"block {i} wo");
        }
    }

    static void Check(float[] tensor, long expected, string name)
    {
        if (tensor.Length != expected) throw new ArgumentException($"T5 tensor {name} holds {tensor.Length} floats, expected {expected}");
    }
}

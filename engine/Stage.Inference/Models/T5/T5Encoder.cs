using System.Buffers;
using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;

namespace Stage.Inference.Models.T5;

/// <summary>Receives the hidden state [L, d] after each encoder block (before the final norm).</summary>
public delegate void T5BlockObserver(int block, ReadOnlySpan<float> hidden);

/// <summary>
/// The T5 encoder stack (HF <c>T5EncoderModel</c>, spec §3.2): token embedding without scaling; a
/// relative position bias computed once from block 0's table and reused by every block; per
/// block pre-RMSNorm self-attention without 1/√d scaling, then pre-RMSNorm ReLU feed-forward, both
/// residual; a final RMSNorm. All linears are bias-free. Thread-safe: state lives in per-call buffers.
/// </summary>
public sealed class T5Encoder
{
    readonly EmbeddingTable _embedding;
    readonly float[] _relativeAttentionBias;
    readonly Block[] _blocks;
    readonly float[] _finalNorm;

    sealed record Block(float[] AttentionNorm, T5Linear QueryKeyValue, T5Linear Output,
        float[] FeedForwardNorm, T5Linear FeedForwardIn, T5Linear FeedForwardOut);

    /// <param name="bfloat16">Store the blocks' linears as bfloat16 (see <see cref="T5Linear"/>); float32 reproduces STAGE exactly.</param>
    public T5Encoder(T5Weights weights, bool bfloat16 = false)
    {
        weights.Validate();
        Config = weights.Config;
        var c = Config;
        _embedding = weights.Embedding;
        _relativeAttentionBias = weights.RelativeAttentionBias;
        _finalNorm = weights.FinalNorm;
        _blocks = new Block[c.Layers];
        for (int i = 0; i < c.Layers; i++)
        {
            var b = weights.Blocks[i];
            // q, k and v read the same normalised input: one GEMM with their rows stacked.
            var qkv = new float[3L * c.Heads * c.DKv * c.DModel];
            b.Query.CopyTo(qkv, 0);
            b.Key.CopyTo(qkv, b.Query.Length);
            b.Value.CopyTo(qkv, 2 * b.Query.Length);
            _blocks[i] = new Block(
                b.AttentionNorm,
                new T5Linear(qkv, 3 * c.Heads * c.DKv, c.DModel, bfloat16),
                new T5Linear(b.Output, c.DModel, c.Heads * c.DKv, bfloat16),
                b.FeedForwardNorm,
                new T5Linear(b.FeedForwardIn, c.DFf, c.DModel, bfloat16),
                new T5Linear(b.FeedForwardOut, c.DModel, c.DFf, bfloat16));
        }
    }

    public T5Config Config { get; }

    /// <summary>The token embedding (tests: a loaded one reads the checkpoint).</summary>
    internal EmbeddingTable Embedding => _embedding;

    /// <summary>Whether the blocks' linears are stored as bfloat16.</summary>
    public bool IsBFloat16 => _blocks.Length > 0 && _blocks[0].QueryKeyValue.IsBFloat16;

    /// <summary>
    /// <c>last_hidden_state</c> [L, d] of one sequence. <paramref name="attentionMask"/> (1 = real
    /// token, 0 = padding; empty = all real) masks keys exactly as HF does; outputs at masked
    /// positions are computed but carry no meaning.
    /// </summary>
    public void Encode(ReadOnlySpan<int> inputIds, ReadOnlySpan<byte> attentionMask, Span<float> lastHiddenState,
        T5BlockObserver? blockObserver = null)
    {
        var c = Config;
        int length = inputIds.Length, d = c.DModel, inner = c.Heads * c.DKv;
        if (length == 0) throw new ArgumentException("T5 needs at least one token (the EOS)", nameof(inputIds));
        if (!attentionMask.IsEmpty && attentionMask.Length != length)
            throw new ArgumentException($"attention mask has {attentionMask.Length} entries for {length} tokens", nameof(attentionMask));
        if (lastHiddenState.Length < length * d) throw new ArgumentException($"output needs {length}×{d} floats", nameof(lastHiddenState));

        var linear = new RowsLinear(WorkerPool.Shared);   // per call: the encoder is shared between threads
        var pool = ArrayPool<float>.Shared;
        float[] x = pool.Rent(length * d), normed = pool.Rent(length * d), qkv = pool.Rent(length * 3 * inner),
            context = pool.Rent(length * inner), hidden = pool.Rent(length * c.DFf),
            positionBias = pool.Rent(c.Heads * (2 * length - 1)), keyMask = pool.Rent(length);
        try
        {
            var h = x.AsSpan(0, length * d);
            _embedding.Lookup(inputIds, h);
            var bias = positionBias.AsSpan(0, c.Heads * (2 * length - 1));
            ComputePositionBias(length, bias);
            var mask = attentionMask.IsEmpty ? default : keyMask.AsSpan(0, length);
            for (int j = 0; j < mask.Length; j++) mask[j] = attentionMask[j] != 0 ? 0f : float.MinValue;

            var a = normed.AsSpan(0, length * d);
            var q = qkv.AsSpan(0, length * 3 * inner);
            var ctx = context.AsSpan(0, length * inner);
            var ff = hidden.AsSpan(0, length * c.DFf);
            for (int layer = 0; layer < _blocks.Length; layer++)
            {
                var block = _blocks[layer];

                // Self-attention sub-layer.
                Norms.RmsNorm(h, a, d, block.AttentionNorm, c.LayerNormEps);
                block.QueryKeyValue.Run(linear, a, length, q);
                RelativeBiasAttention.Forward(q, q[inner..], q[(2 * inner)..], 3 * inner, length, c.Heads, c.DKv, bias, mask, ctx);
                block.Output.Run(linear, ctx, length, h, accumulate: true);

                // Feed-forward sub-layer (non-gated ReLU).
                Norms.RmsNorm(h, a, d, block.FeedForwardNorm, c.LayerNormEps);
                block.FeedForwardIn.Run(linear, a, length, ff);
                Activations.Relu(ff, ff);
                block.FeedForwardOut.Run(linear, ff, length, h, accumulate: true);

                blockObserver?.Invoke(layer, h);
            }
            Norms.RmsNorm(h, lastHiddenState[..(length * d)], d, _finalNorm, c.LayerNormEps);
        }
        finally
        {
            pool.Return(x);
            pool.Return(normed);
            pool.Return(qkv);
            pool.Return(context);
            pool.Return(hidden);
            pool.Return(positionBias);
            pool.Return(keyMask);
        }
    }

    /// <summary>bias[h, r + L − 1] = table[bucket(r), h] for every offset r = key − query in (−L, L).</summary>
    void ComputePositionBias(int length, Span<float> bias)
    {
        var c = Config;
        int offsets = 2 * length - 1;
        for (int r = -(length - 1); r < length; r++)
        {
            int bucket = RelativePositionBucket.Bidirectional(r, c.RelativeAttentionBuckets, c.RelativeAttentionMaxDistance);
            for (int head = 0; head < c.Heads; head++)
                bias[head * offsets + r + length - 1] = _relativeAttentionBias[bucket * c.Heads + head];
        }
    }
}

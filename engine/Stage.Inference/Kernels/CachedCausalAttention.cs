using System.Numerics.Tensors;

namespace Stage.Inference.Kernels;

/// <summary>
/// One attention head for one query row over keys/values stored one step per <c>stride</c> floats (a head's
/// columns of a KV cache <c>[step, heads·headDim]</c>, or of a cross-attention memory):
/// <c>softmax(q·Kᵀ · scale) · V</c> over the first <c>length</c> steps. Causality is the caller's choice of
/// <c>length</c> (the query's own cache slot + 1): later steps are simply not passed. Softmax in float32
/// with the maximum subtracted.
/// </summary>
public static class CachedCausalAttention
{
    public static void Attend(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int stride,
        int length, float scale, Span<float> scores, Span<float> output)
    {
        int d = query.Length;
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "attention needs at least one key");
        long needed = (long)(length - 1) * stride + d;
        if (stride < d || keys.Length < needed || values.Length < needed || scores.Length < length || output.Length != d)
            throw new ArgumentException($"attention over {length} steps does not fit its buffers");

        var s = scores[..length];
        for (int t = 0; t < length; t++)
            s[t] = TensorPrimitives.Dot(query, keys.Slice(t * stride, d)) * scale;

        float max = TensorPrimitives.Max(s);
        TensorPrimitives.Subtract(s, max, s);
        TensorPrimitives.Exp(s, s);
        TensorPrimitives.Divide(s, TensorPrimitives.Sum(s), s);

        output.Clear();
        for (int t = 0; t < length; t++)
            TensorPrimitives.MultiplyAdd(values.Slice(t * stride, d), s[t], output, output);
    }
}

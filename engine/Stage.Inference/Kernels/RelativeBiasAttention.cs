using System.Buffers;
using System.Numerics.Tensors;

namespace Stage.Inference.Kernels;

/// <summary>
/// T5's self-attention core: per head, <c>softmax(q·kᵀ + (bias[j−i] + keyMask[j]))·v</c> with
/// <b>no</b> 1/√d scaling (T5 folds it into its weights). The bias depends only on the offset j−i,
/// so it is passed per head as <c>2L−1</c> values. The additive key mask holds 0 or
/// <see cref="float.MinValue"/> (HF's <c>(1−mask)·finfo.min</c>), added in HF's order so a fully
/// masked row degrades exactly as the reference does (uniform weights).
/// </summary>
public static unsafe class RelativeBiasAttention
{
    /// <param name="q">Query rows; row i of head h starts at <c>i·stride + h·headDim</c>.</param>
    /// <param name="k">Key rows, same layout and stride.</param>
    /// <param name="v">Value rows, same layout and stride.</param>
    /// <param name="offsetBias">[heads, 2·length−1]: entry (h, j−i+length−1).</param>
    /// <param name="keyMask">Additive mask per key position [length], or empty for none.</param>
    /// <param name="output">[length, heads·headDim], the heads' outputs side by side.</param>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int stride,
        int length, int heads, int headDim, ReadOnlySpan<float> offsetBias, ReadOnlySpan<float> keyMask, Span<float> output)
    {
        if (length == 0) return;
        int inner = heads * headDim;
        long need = (long)(length - 1) * stride + inner;
        if (stride < inner || q.Length < need || k.Length < need || v.Length < need)
            throw new ArgumentException($"q/k/v too short for {length} rows of {heads}×{headDim} (stride {stride})");
        if (offsetBias.Length != heads * (2 * length - 1))
            throw new ArgumentException($"offsetBias holds {offsetBias.Length} floats, expected {heads}×{2 * length - 1}");
        if (!keyMask.IsEmpty && keyMask.Length != length)
            throw new ArgumentException($"keyMask holds {keyMask.Length} floats, expected {length}");
        if (output.Length < length * inner) throw new ArgumentException("output is shorter than length × heads × headDim");

        fixed (float* pq = q)
        fixed (float* pk = k)
        fixed (float* pv = v)
        fixed (float* pb = offsetBias)
        fixed (float* pm = keyMask)
        fixed (float* po = output)
        {
            nint qa = (nint)pq, ka = (nint)pk, va = (nint)pv, ba = (nint)pb, ma = (nint)pm, oa = (nint)po;
            bool masked = !keyMask.IsEmpty;
            // One task per (head, block of queries) so short prompts still use every core; tiny
            // problems stay on the calling thread.
            int queryBlocks = (long)length * length * inner < 65536
                ? 0
                : Math.Max(1, Math.Min(length, (4 * KernelThreads.Count + heads - 1) / heads));
            if (queryBlocks == 0)
            {
                float[] rented = ArrayPool<float>.Shared.Rent(length);
                for (int h = 0; h < heads; h++)
                    AttendHead(pq, pk, pv, stride, length, headDim, h, pb, masked ? pm : null, po, inner, 0, length, rented);
                ArrayPool<float>.Shared.Return(rented);
                return;
            }
            KernelThreads.For(heads * queryBlocks, t =>
            {
                int h = t / queryBlocks, block = t % queryBlocks;
                int i0 = (int)((long)length * block / queryBlocks), i1 = (int)((long)length * (block + 1) / queryBlocks);
                float[] rented = ArrayPool<float>.Shared.Rent(length);
                AttendHead((float*)qa, (float*)ka, (float*)va, stride, length, headDim, h, (float*)ba,
                    masked ? (float*)ma : null, (float*)oa, inner, i0, i1, rented);
                ArrayPool<float>.Shared.Return(rented);
            });
        }
    }

    static void AttendHead(float* q, float* k, float* v, int stride, int length, int headDim, int head,
        float* offsetBias, float* keyMask, float* output, int outStride, int i0, int i1, float[] scratch)
    {
        int column = head * headDim;
        float* bias = offsetBias + (long)head * (2 * length - 1);
        var scores = scratch.AsSpan(0, length);
        for (int i = i0; i < i1; i++)
        {
            var qi = new ReadOnlySpan<float>(q + (long)i * stride + column, headDim);
            float* biasRow = bias + (length - 1 - i);
            for (int j = 0; j < length; j++)
            {
                float positionBias = keyMask is null ? biasRow[j] : biasRow[j] + keyMask[j];
                scores[j] = TensorPrimitives.Dot(qi, new ReadOnlySpan<float>(k + (long)j * stride + column, headDim)) + positionBias;
            }
            Softmax.Rows(scores, length);
            var oi = new Span<float>(output + (long)i * outStride + column, headDim);
            oi.Clear();
            for (int j = 0; j < length; j++)
            {
                float p = scores[j];
                if (p == 0f) continue;
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + (long)j * stride + column, headDim), p, oi, oi);
            }
        }
    }
}

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Stage.Inference.Kernels;

namespace Stage.Inference.Models.Lm;

/// <summary>
/// Folds a layer's cross-attention projections into a stream's text, once per prompt, so a decode step reads neither.
/// For head h and text token j, with k and v the text's keys and values (<see cref="MusicGenLm.AttachText"/>):
/// <c>K̃_hj = W_q[h]ᵀ·k_hj</c>, so the score <c>(W_q[h]·x)·k_hj = x·K̃_hj</c>; and <c>Ṽ_hj = W_o[:, h]·v_hj</c>, so the
/// output <c>W_o·concat_h(Σ_j p_hj·v_hj) = Σ_h Σ_j p_hj·Ṽ_hj</c>. Both are rows of the model's width, kept as bfloat16:
/// 16 heads × a prompt's tokens × 2 rows read per step instead of the two 1024 × 1024 matrices.
/// </summary>
static unsafe class TextFolding
{
    /// <summary>Whether a text of <paramref name="length"/> tokens folded reads fewer bytes per step than the layer's two projections.</summary>
    public static bool Pays(LmDimensions dims, RowWeights query, RowWeights output, int length) =>
        length > 0 && (long)length * 2 * dims.Heads * dims.Dim * sizeof(ushort) < query.Bytes + output.Bytes;

    public static void Fold(WorkerPool pool, LmDimensions dims, RowWeights query, RowWeights output, LmStream stream, int layer, int length)
    {
        pool.Run(new FoldKeys(dims, query, stream, layer, length), dims.Heads);
        pool.Run(new FoldValues(dims, output, stream, layer, length), (dims.Dim + FoldValues.RowsPerChunk - 1) / FoldValues.RowsPerChunk);
    }

    /// <summary>K̃_hj[i] = Σ_d W_q[h·64 + d, i]·k_j[h·64 + d], one head per chunk.</summary>
    sealed class FoldKeys(LmDimensions dims, RowWeights query, LmStream stream, int layer, int length) : IChunkedWork
    {
        public void RunChunk(int h, int worker)
        {
            int dim = dims.Dim, hd = dims.HeadDim, width = dims.AttentionDim;
            // rented: 16 heads × 24 layers of these per prompt were tens of MB of garbage in a take's peak working set
            var pool = System.Buffers.ArrayPool<float>.Shared;
            float[] row = pool.Rent(dim), folded = pool.Rent(length * dim);
            try
            {
                var sums = folded.AsSpan(0, length * dim);
                sums.Clear();
                var keys = stream.TextKeys![layer].Span;
                for (int d = 0; d < hd; d++)
                {
                    query.CopyRow(h * hd + d, row);
                    for (int j = 0; j < length; j++)
                    {
                        var target = sums.Slice(j * dim, dim);
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(row.AsSpan(0, dim), keys[j * width + h * hd + d], target, target);
                    }
                }
                fixed (float* source = sums)
                    RowWeights.RoundToBFloat16(source, stream.FoldedKeysOf(layer) + (long)h * stream.FoldedStride * dim, sums.Length);
            }
            finally
            {
                pool.Return(row);
                pool.Return(folded);
            }
        }
    }

    /// <summary>Ṽ_hj[o] = Σ_d W_o[o, h·64 + d]·v_j[h·64 + d], a block of output rows o per chunk.</summary>
    sealed class FoldValues(LmDimensions dims, RowWeights output, LmStream stream, int layer, int length) : IChunkedWork
    {
        public const int RowsPerChunk = 64;

        public void RunChunk(int chunk, int worker)
        {
            int dim = dims.Dim, hd = dims.HeadDim, width = dims.AttentionDim;
            float[] row = System.Buffers.ArrayPool<float>.Shared.Rent(width);
            float* values = stream.TextValues![layer].Pointer;
            ushort* folded = stream.FoldedValuesOf(layer);
            fixed (float* w = row)
                for (int o = chunk * RowsPerChunk, end = Math.Min(dim, o + RowsPerChunk); o < end; o++)
                {
                    output.CopyRow(o, row.AsSpan(0, width));
                    for (int h = 0; h < dims.Heads; h++)
                        for (int j = 0; j < length; j++)
                            folded[((long)h * stream.FoldedStride + j) * dim + o] = RowWeights.RoundToBFloat16(Dot(w + h * hd, values + (long)j * width + h * hd, hd));
                }
            System.Buffers.ArrayPool<float>.Shared.Return(row);
        }

        // 16 heads × a prompt's tokens × 1024 rows of these per layer: through TensorPrimitives.Dot's span checks and
        // dispatch they were most of a fold (0.2 s of a first take)
        static float Dot(float* a, float* b, int n)
        {
            int i = 0;
            float sum = 0;
            if (Avx.IsSupported && Fma.IsSupported)
            {
                Vector256<float> s0 = default, s1 = default;
                for (; i + 16 <= n; i += 16)
                {
                    s0 = Fma.MultiplyAdd(Avx.LoadVector256(a + i), Avx.LoadVector256(b + i), s0);
                    s1 = Fma.MultiplyAdd(Avx.LoadVector256(a + i + 8), Avx.LoadVector256(b + i + 8), s1);
                }
                sum = Vector256.Sum(s0 + s1);
            }
            for (; i < n; i++) sum += a[i] * b[i];
            return sum;
        }
    }
}

using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Stage.Inference.Kernels;

/// <summary>
/// One head's cross-attention for one row when the head's query and output projections are folded into the text's
/// keys and values (see <c>MusicGenLm.AttachText</c>): score_j = x·K̃_j·scale over the text's tokens, softmax, then
/// y += Σ_j p_j·Ṽ_j. K̃ and Ṽ are bfloat16 rows of the model's width, x and y float32.
/// </summary>
public static unsafe class FoldedTextAttention
{
    public static void Attend(float* x, ushort* keys, ushort* values, int length, int dim, float scale, Span<float> scores, float* y)
    {
        var p = scores[..length];
        for (int j = 0; j < length; j++) p[j] = Dot(x, keys + (long)j * dim, dim) * scale;
        Softmax.Rows(p, length);
        Mix(p, values, dim, y);
    }

    static float Dot(float* x, ushort* w, int n)
    {
        int i = 0;
        float sum = 0;
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 32 <= n; i += 32)
            {
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(x + i), RowsLinear.Bf16(w + i), a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 8), RowsLinear.Bf16(w + i + 8), a1);
                a2 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 16), RowsLinear.Bf16(w + i + 16), a2);
                a3 = Fma.MultiplyAdd(Avx.LoadVector256(x + i + 24), RowsLinear.Bf16(w + i + 24), a3);
            }
            sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++) sum += x[i] * BitConverter.UInt32BitsToSingle((uint)w[i] << 16);
        return sum;
    }

    /// <summary>y += Σ_j p_j·rows_j, 64 outputs at a time kept in registers while every row goes by.</summary>
    static void Mix(ReadOnlySpan<float> p, ushort* rows, int dim, float* y)
    {
        int o = 0;
        if (Avx2.IsSupported && Fma.IsSupported)
            for (; o + 64 <= dim; o += 64)
            {
                var y0 = Avx.LoadVector256(y + o); var y1 = Avx.LoadVector256(y + o + 8);
                var y2 = Avx.LoadVector256(y + o + 16); var y3 = Avx.LoadVector256(y + o + 24);
                var y4 = Avx.LoadVector256(y + o + 32); var y5 = Avx.LoadVector256(y + o + 40);
                var y6 = Avx.LoadVector256(y + o + 48); var y7 = Avx.LoadVector256(y + o + 56);
                for (int j = 0; j < p.Length; j++)
                {
                    var a = Vector256.Create(p[j]);
                    ushort* r = rows + (long)j * dim + o;
                    y0 = Fma.MultiplyAdd(a, RowsLinear.Bf16(r), y0); y1 = Fma.MultiplyAdd(a, RowsLinear.Bf16(r + 8), y1);
                    y2 = Fma.MultiplyAdd(a, RowsLinear.Bf16(r + 16), y2); y3 = Fma.MultiplyAdd(a, RowsLinear.Bf16(r + 24), y3);
                    y4 = Fma.MultiplyAdd(a, RowsLinear.Bf16(r + 32), y4); y5 = Fma.MultiplyAdd(a, RowsLinear.Bf16(r + 40), y5);
                    y6 = Fma.MultiplyAdd(a, RowsLinear.Bf16(r + 48), y6); y7 = Fma.MultiplyAdd(a, RowsLinear.Bf16(r + 56), y7);
                }
                Avx.Store(y + o, y0); Avx.Store(y + o + 8, y1); Avx.Store(y + o + 16, y2); Avx.Store(y + o + 24, y3);
                Avx.Store(y + o + 32, y4); Avx.Store(y + o + 40, y5); Avx.Store(y + o + 48, y6); Avx.Store(y + o + 56, y7);
            }
        for (; o < dim; o++)
        {
            float sum = y[o];
            for (int j = 0; j < p.Length; j++) sum += p[j] * BitConverter.UInt32BitsToSingle((uint)rows[(long)j * dim + o] << 16);
            y[o] = sum;
        }
    }
}

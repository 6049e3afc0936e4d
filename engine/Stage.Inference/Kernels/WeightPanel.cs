using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Stage.Inference.Kernels;

/// <summary>
/// Packs up to 32 weight rows (outputs) of length k into a k-major panel, line i holding weight i of each row side by
/// side (zero past the last row), in float32 whatever the stored precision: the layout the GEMM's tiles read.
/// </summary>
/// <remarks>
/// It is a transpose. With AVX2 it goes 8 rows × 8 inputs at a time through registers (8 loads, an 8 × 8 shuffle, 8
/// stores), instead of one scattered element at a time; each value is converted exactly as the scalar loop does.
/// </remarks>
static unsafe class WeightPanel
{
    public const int Width = LinearWeights.PanelWidth;

    public static void Pack(float* w, int rows, int k, float* panel)
    {
        if (Avx2.IsSupported && rows == Width && k % 8 == 0)
        {
            for (int i = 0; i < k; i += 8)
                for (int j = 0; j < Width; j += 8)
                {
                    float* src = w + (long)j * k + i;
                    Store8x8(panel + (long)i * Width + j,
                        Avx.LoadVector256(src), Avx.LoadVector256(src + k), Avx.LoadVector256(src + 2L * k), Avx.LoadVector256(src + 3L * k),
                        Avx.LoadVector256(src + 4L * k), Avx.LoadVector256(src + 5L * k), Avx.LoadVector256(src + 6L * k), Avx.LoadVector256(src + 7L * k));
                }
            return;
        }
        for (int i = 0; i < k; i++)
        {
            float* line = panel + (long)i * Width;
            for (int j = 0; j < rows; j++) line[j] = w[(long)j * k + i];
            for (int j = rows; j < Width; j++) line[j] = 0;
        }
    }

    public static void Pack(ushort* bf16, int rows, int k, float* panel)
    {
        if (Avx2.IsSupported && rows == Width && k % 8 == 0)
        {
            for (int i = 0; i < k; i += 8)
                for (int j = 0; j < Width; j += 8)
                {
                    ushort* src = bf16 + (long)j * k + i;
                    Store8x8(panel + (long)i * Width + j,
                        Widen(src), Widen(src + k), Widen(src + 2L * k), Widen(src + 3L * k),
                        Widen(src + 4L * k), Widen(src + 5L * k), Widen(src + 6L * k), Widen(src + 7L * k));
                }
            return;
        }
        for (int i = 0; i < k; i++)
        {
            float* line = panel + (long)i * Width;
            for (int j = 0; j < rows; j++) line[j] = BitConverter.Int32BitsToSingle(bf16[(long)j * k + i] << 16);
            for (int j = rows; j < Width; j++) line[j] = 0;
        }
    }

    /// <summary>int8 rows with one scale per row: each weight becomes code × scale, as the float32 product rounds it.</summary>
    public static void Pack(sbyte* int8, float* scales, int rows, int k, float* panel)
    {
        if (Avx2.IsSupported && rows == Width && k % 8 == 0)
        {
            for (int i = 0; i < k; i += 8)
                for (int j = 0; j < Width; j += 8)
                {
                    sbyte* src = int8 + (long)j * k + i;
                    var scale = Avx.LoadVector256(scales + j);
                    // Transposed first, so that line i's eight values, rows j .. j + 7, meet their eight scales in one multiply.
                    Transpose8x8(
                        Codes(src), Codes(src + k), Codes(src + 2L * k), Codes(src + 3L * k),
                        Codes(src + 4L * k), Codes(src + 5L * k), Codes(src + 6L * k), Codes(src + 7L * k),
                        out var l0, out var l1, out var l2, out var l3, out var l4, out var l5, out var l6, out var l7);
                    float* line = panel + (long)i * Width + j;
                    Avx.Store(line, Avx.Multiply(l0, scale));
                    Avx.Store(line + Width, Avx.Multiply(l1, scale));
                    Avx.Store(line + 2 * Width, Avx.Multiply(l2, scale));
                    Avx.Store(line + 3 * Width, Avx.Multiply(l3, scale));
                    Avx.Store(line + 4 * Width, Avx.Multiply(l4, scale));
                    Avx.Store(line + 5 * Width, Avx.Multiply(l5, scale));
                    Avx.Store(line + 6 * Width, Avx.Multiply(l6, scale));
                    Avx.Store(line + 7 * Width, Avx.Multiply(l7, scale));
                }
            return;
        }
        for (int i = 0; i < k; i++)
        {
            float* line = panel + (long)i * Width;
            for (int j = 0; j < rows; j++) line[j] = int8[(long)j * k + i] * scales[j];
            for (int j = rows; j < Width; j++) line[j] = 0;
        }
    }

    /// <summary>
    /// The other orientation: a bfloat16 matrix whose rows are already the depth (<c>[depth, ld]</c>, e.g. attention
    /// values), columns <c>0 … cols</c> of each row widened into a line, zero past <paramref name="cols"/>.
    /// </summary>
    public static void PackLines(ushort* bf16, int ld, int depth, int cols, float* panel)
    {
        for (int i = 0; i < depth; i++)
        {
            ushort* source = bf16 + (long)i * ld;
            float* line = panel + (long)i * Width;
            int c = 0;
            if (Avx2.IsSupported && cols == Width)
                for (; c < Width; c += 8) Avx.Store(line + c, Widen(source + c));
            for (; c < cols; c++) line[c] = BitConverter.Int32BitsToSingle(source[c] << 16);
            for (; c < Width; c++) line[c] = 0;
        }
    }

    /// <summary>As the bfloat16 <see cref="PackLines(ushort*, int, int, int, float*)"/>, for int8 rows with one scale per row (line).</summary>
    public static void PackLines(sbyte* int8, float* scales, int ld, int depth, int cols, float* panel)
    {
        for (int i = 0; i < depth; i++)
        {
            sbyte* source = int8 + (long)i * ld;
            float* line = panel + (long)i * Width;
            float scale = scales[i];
            int c = 0;
            if (Avx2.IsSupported && cols == Width)
                for (; c < Width; c += 8) Avx.Store(line + c, Avx.Multiply(Codes(source + c), Vector256.Create(scale)));
            for (; c < cols; c++) line[c] = source[c] * scale;
            for (; c < Width; c++) line[c] = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Widen(ushort* p) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Codes(sbyte* p) =>
        Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(p));

    /// <summary>Rows r0..r7 (eight inputs each) stored as eight panel lines of eight outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store8x8(float* line, Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7)
    {
        Transpose8x8(r0, r1, r2, r3, r4, r5, r6, r7, out var l0, out var l1, out var l2, out var l3, out var l4, out var l5, out var l6, out var l7);
        Avx.Store(line, l0);
        Avx.Store(line + Width, l1);
        Avx.Store(line + 2 * Width, l2);
        Avx.Store(line + 3 * Width, l3);
        Avx.Store(line + 4 * Width, l4);
        Avx.Store(line + 5 * Width, l5);
        Avx.Store(line + 6 * Width, l6);
        Avx.Store(line + 7 * Width, l7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7,
        out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3,
        out Vector256<float> c4, out Vector256<float> c5, out Vector256<float> c6, out Vector256<float> c7)
    {
        var t0 = Avx.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5]
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);   // r0[0] r1[0] r2[0] r3[0] | … [4]
        var s1 = Avx.Shuffle(t0, t2, 0xEE);   // … [1] | … [5]
        var s2 = Avx.Shuffle(t1, t3, 0x44);   // … [2] | … [6]
        var s3 = Avx.Shuffle(t1, t3, 0xEE);   // … [3] | … [7]
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        c0 = Avx.Permute2x128(s0, s4, 0x20);
        c1 = Avx.Permute2x128(s1, s5, 0x20);
        c2 = Avx.Permute2x128(s2, s6, 0x20);
        c3 = Avx.Permute2x128(s3, s7, 0x20);
        c4 = Avx.Permute2x128(s0, s4, 0x31);
        c5 = Avx.Permute2x128(s1, s5, 0x31);
        c6 = Avx.Permute2x128(s2, s6, 0x31);
        c7 = Avx.Permute2x128(s3, s7, 0x31);
    }
}

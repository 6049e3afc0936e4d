using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Stage.Inference.Kernels;

/// <summary>
/// The int8 prefill's GEMM: rows quantized to int16 (<see cref="RowsLinear.QuantizeRows"/>) times up to 32 int8 weight
/// rows packed as a pair panel, with <c>vpmaddwd</c>. A pair panel holds, for each pair of inputs (2i, 2i + 1), the 32
/// outputs' two weights side by side as int16: <c>[k / 2][32][2]</c>. One <c>vpmaddwd</c> of a broadcast input pair with
/// eight outputs' pairs then gives eight exact two-product sums, 16 multiply-adds per instruction where an FMA gives 8.
/// </summary>
/// <remarks>
/// Sums are exact in int32 over blocks of <see cref="BlockPairs"/> pairs (|x| ≤ 16383, |w| ≤ 127: below 2³¹ however the
/// signs fall), then each block's sum becomes float32 and is scaled by the row's and the weight row's scales, as the
/// decode path scales its sums, and added to the output.
/// </remarks>
static unsafe class PairPanel
{
    public const int Width = LinearWeights.PanelWidth;

    /// <summary>Input pairs summed in int32 before a sum is scaled into the float32 output: 512 × 2 × 16383 × 127 &lt; 2³¹.</summary>
    public const int BlockPairs = 512;

    /// <summary>Whether rows k inputs long can be multiplied as int16 (here, and by the decode step's int16 blocks): AVX2 and whole 16-input groups.</summary>
    public static bool Supports(int k) => Avx2.IsSupported && k % 16 == 0;

    /// <summary>Packs <paramref name="rows"/> (≤ 32) int8 weight rows of length k (a multiple of 16) into a pair panel, zero past the last row.</summary>
    public static void Pack(sbyte* int8, int rows, int k, short* panel)
    {
        var zero = Vector256<float>.Zero;
        for (int i = 0; i < k; i += 16)
            for (int j = 0; j < Width; j += 8)
            {
                // Each row's 16 weights, widened, are 8 pairs; an 8 × 8 transpose of the pairs (as 32-bit lanes) gives,
                // per pair, the 8 rows' pairs side by side.
                sbyte* src = int8 + (long)j * k + i;
                WeightPanel.Transpose8x8(
                    Pairs(src, j, rows), Pairs(src + k, j + 1, rows), Pairs(src + 2L * k, j + 2, rows), Pairs(src + 3L * k, j + 3, rows),
                    Pairs(src + 4L * k, j + 4, rows), Pairs(src + 5L * k, j + 5, rows), Pairs(src + 6L * k, j + 6, rows), Pairs(src + 7L * k, j + 7, rows),
                    out var p0, out var p1, out var p2, out var p3, out var p4, out var p5, out var p6, out var p7);
                short* line = panel + (long)(i / 2) * 2 * Width + 2 * j;
                Avx.Store((float*)line, p0);
                Avx.Store((float*)(line + 2 * Width), p1);
                Avx.Store((float*)(line + 4 * Width), p2);
                Avx.Store((float*)(line + 6 * Width), p3);
                Avx.Store((float*)(line + 8 * Width), p4);
                Avx.Store((float*)(line + 10 * Width), p5);
                Avx.Store((float*)(line + 12 * Width), p6);
                Avx.Store((float*)(line + 14 * Width), p7);
            }

        static Vector256<float> Pairs(sbyte* p, int row, int rows) =>
            row < rows ? Avx2.ConvertToVector256Int16(p).AsSingle() : Vector256<float>.Zero;
    }

    /// <summary>
    /// y[r, c] += Σ_i x[r, i]·w[c, i] for <paramref name="rows"/> int16 rows (each k long, scales per row) and the
    /// <paramref name="cols"/> (≤ 32) outputs of a pair panel (scales per output), in 6-row × 16-output register tiles.
    /// </summary>
    public static void Product(short* x, float* xScales, int rows, int k, short* panel, float* wScales, int cols, float* y, int yStride)
    {
        float* scales = stackalloc float[Width];
        for (int c = 0; c < Width; c++) scales[c] = c < cols ? wScales[c] : 0f;
        for (int r = 0; r < rows; r += 6)
        {
            int tileRows = Math.Min(6, rows - r);
            for (int half = 0; half < 2 && 16 * half < cols; half++)
                Tile(x + (long)r * k, xScales + r, tileRows, k, panel + 2 * 16 * half, scales + 16 * half,
                    Math.Min(16, cols - 16 * half), y + (long)r * yStride + 16 * half, yStride);
        }
    }

    /// <summary>Up to 6 rows × 16 outputs; rows past <paramref name="rows"/> repeat the last one and are not stored.</summary>
    static void Tile(short* x, float* xScales, int rows, int k, short* panel, float* scales, int cols, float* y, int yStride)
    {
        int pairs = k / 2;
        int* sums = stackalloc int[6 * 16];
        for (int block = 0; block < pairs; block += BlockPairs)
        {
            int* x0 = (int*)x + block;   // a row's inputs as pairs
            int last = rows - 1;
            Block(x0, x0 + (long)Math.Min(1, last) * pairs, x0 + (long)Math.Min(2, last) * pairs, x0 + (long)Math.Min(3, last) * pairs,
                x0 + (long)Math.Min(4, last) * pairs, x0 + (long)Math.Min(5, last) * pairs,
                panel + (long)block * 2 * Width, Math.Min(BlockPairs, pairs - block), sums);
            for (int r = 0; r < rows; r++) Flush(sums + 16 * r, xScales[r], scales, cols, y + (long)r * yStride);
        }
    }

    /// <summary>
    /// One block of input pairs for a tile, its twelve sums stored to <paramref name="sums"/> ([6][16]). Nothing after
    /// the loop is a call, so the sums stay in registers through it (the SysV ABI keeps no vector register across a call).
    /// </summary>
    static void Block(int* x0, int* x1, int* x2, int* x3, int* x4, int* x5, short* w, int pairs, int* sums)
    {
        Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector256<int> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        for (int p = 0; p < pairs; p++, w += 2 * Width)
        {
            var w0 = Avx.LoadVector256(w);
            var w1 = Avx.LoadVector256(w + 16);
            var b = Vector256.Create(x0[p]).AsInt16();
            a00 = Avx2.Add(a00, Avx2.MultiplyAddAdjacent(b, w0)); a01 = Avx2.Add(a01, Avx2.MultiplyAddAdjacent(b, w1));
            b = Vector256.Create(x1[p]).AsInt16();
            a10 = Avx2.Add(a10, Avx2.MultiplyAddAdjacent(b, w0)); a11 = Avx2.Add(a11, Avx2.MultiplyAddAdjacent(b, w1));
            b = Vector256.Create(x2[p]).AsInt16();
            a20 = Avx2.Add(a20, Avx2.MultiplyAddAdjacent(b, w0)); a21 = Avx2.Add(a21, Avx2.MultiplyAddAdjacent(b, w1));
            b = Vector256.Create(x3[p]).AsInt16();
            a30 = Avx2.Add(a30, Avx2.MultiplyAddAdjacent(b, w0)); a31 = Avx2.Add(a31, Avx2.MultiplyAddAdjacent(b, w1));
            b = Vector256.Create(x4[p]).AsInt16();
            a40 = Avx2.Add(a40, Avx2.MultiplyAddAdjacent(b, w0)); a41 = Avx2.Add(a41, Avx2.MultiplyAddAdjacent(b, w1));
            b = Vector256.Create(x5[p]).AsInt16();
            a50 = Avx2.Add(a50, Avx2.MultiplyAddAdjacent(b, w0)); a51 = Avx2.Add(a51, Avx2.MultiplyAddAdjacent(b, w1));
        }
        Avx.Store(sums, a00); Avx.Store(sums + 8, a01);
        Avx.Store(sums + 16, a10); Avx.Store(sums + 24, a11);
        Avx.Store(sums + 32, a20); Avx.Store(sums + 40, a21);
        Avx.Store(sums + 48, a30); Avx.Store(sums + 56, a31);
        Avx.Store(sums + 64, a40); Avx.Store(sums + 72, a41);
        Avx.Store(sums + 80, a50); Avx.Store(sums + 88, a51);
    }

    /// <summary>y[c] += float(sum[c]) × the row's scale × output c's scale, for the first <paramref name="cols"/> of 16.</summary>
    static void Flush(int* sums, float xScale, float* scales, int cols, float* y)
    {
        var s = Vector256.Create(xScale);
        var v0 = Avx.Multiply(Avx.Multiply(Avx.ConvertToVector256Single(Avx.LoadVector256(sums)), s), Avx.LoadVector256(scales));
        var v1 = Avx.Multiply(Avx.Multiply(Avx.ConvertToVector256Single(Avx.LoadVector256(sums + 8)), s), Avx.LoadVector256(scales + 8));
        if (cols == 16)
        {
            Avx.Store(y, Avx.Add(Avx.LoadVector256(y), v0));
            Avx.Store(y + 8, Avx.Add(Avx.LoadVector256(y + 8), v1));
            return;
        }
        float* values = stackalloc float[16];
        Avx.Store(values, v0);
        Avx.Store(values + 8, v1);
        for (int c = 0; c < cols; c++) y[c] += values[c];
    }
}

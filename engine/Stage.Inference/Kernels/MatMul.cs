using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Stage.Inference.Kernels;

/// <summary>
/// y = x·Wᵀ + b for a batch of rows. The packed path is a cache-blocked GEMM (blocks of
/// <see cref="RowBlock"/> rows × <see cref="DepthBlock"/> inputs, register tiles of 6 rows × 32
/// outputs with Vector512, 6 × 16 with Vector256) split over row blocks and output-panel groups, so
/// a call with 1–2 rows (the LM decode step) still uses every core and reads each weight once.
/// Rows of x may be strided (<c>ldx</c>), which lets a convolution read its input windows in place.
/// </summary>
public static unsafe class MatMul
{
    static bool _vector512 = true;

    /// <summary>
    /// Whether the GEMM uses its 512-bit micro-kernels (when the hardware accelerates them). Both
    /// widths accumulate every output in the same order, so results are bit-identical either way;
    /// turning it off runs the AVX2 code path on an AVX-512 machine (tests, benchmarks).
    /// </summary>
    public static bool UseVector512
    {
        get => _vector512 && Vector512.IsHardwareAccelerated;
        set => _vector512 = value;
    }

    const int RowBlock = 96;
    const int DepthBlock = 256;
    const int NR = LinearWeights.PanelWidth;

    /// <summary>y[rows, out] = x[rows, in]·Wᵀ + b (or y += … when accumulate). Rows are contiguous.</summary>
    public static void Linear(ReadOnlySpan<float> x, int rows, LinearWeights w, Span<float> y, bool accumulate = false)
        => Linear(x, rows, w.InFeatures, w, y, w.OutFeatures, accumulate);

    /// <summary>
    /// Strided form: row r of x starts at r·ldx (in features contiguous), row r of y at r·ldy.
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, int rows, int ldx, LinearWeights w, Span<float> y, int ldy, bool accumulate)
    {
        if (rows == 0) return;
        int k = w.InFeatures, n = w.OutFeatures;
        if (ldx < 0 || ldy < n) throw new ArgumentException("row strides too small");
        if ((long)(rows - 1) * ldx + k > x.Length)
            throw new ArgumentException($"x holds {x.Length} floats, too few for {rows} rows of {k} (stride {ldx})");
        if ((long)(rows - 1) * ldy + n > y.Length)
            throw new ArgumentException($"y holds {y.Length} floats, too few for {rows} rows of {n} (stride {ldy})");

        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (w.Rows is not null) RowDot(px, rows, ldx, w, py, ldy, accumulate);
            else Gemm(px, rows, ldx, w, py, ldy, accumulate);
        }
    }

    /// <summary>
    /// Convenience form over an unpacked PyTorch weight [out, in] (dot products; for weights that are
    /// used once or are small — prefer <see cref="LinearWeights"/> for layers that run repeatedly).
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, int rows, ReadOnlySpan<float> weight, int outFeatures,
        ReadOnlySpan<float> bias, Span<float> y)
    {
        if (rows == 0) return;
        int k = x.Length / rows;
        if (x.Length != rows * k || weight.Length != outFeatures * k || y.Length < rows * outFeatures)
            throw new ArgumentException($"shapes disagree: x {x.Length} floats for {rows} rows, weight {weight.Length} for [{outFeatures}, {k}], y {y.Length}");
        if (!bias.IsEmpty && bias.Length != outFeatures) throw new ArgumentException("bias length differs from outFeatures");
        fixed (float* px = x)
        fixed (float* pw = weight)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            nint xa = (nint)px, wa = (nint)pw, ba = (nint)pb, ya = (nint)py;
            bool hasBias = !bias.IsEmpty;
            int tasks = (int)Math.Min((long)rows * outFeatures * k / 65536 + 1, 4L * KernelThreads.Count);
            if (rows >= tasks)
            {
                KernelThreads.For(tasks, t =>
                {
                    int r0 = (int)((long)rows * t / tasks), r1 = (int)((long)rows * (t + 1) / tasks);
                    for (int r = r0; r < r1; r++)
                        for (int o = 0; o < outFeatures; o++)
                            ((float*)ya)[(long)r * outFeatures + o] = Dot((float*)xa + (long)r * k, (float*)wa + (long)o * k, k) + (hasBias ? ((float*)ba)[o] : 0f);
                });
            }
            else
            {
                KernelThreads.For(tasks, t =>
                {
                    int o0 = (int)((long)outFeatures * t / tasks), o1 = (int)((long)outFeatures * (t + 1) / tasks);
                    for (int o = o0; o < o1; o++)
                        for (int r = 0; r < rows; r++)
                            ((float*)ya)[(long)r * outFeatures + o] = Dot((float*)xa + (long)r * k, (float*)wa + (long)o * k, k) + (hasBias ? ((float*)ba)[o] : 0f);
                });
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Dot(float* a, float* b, int n) => TensorPrimitives.Dot(new ReadOnlySpan<float>(a, n), new ReadOnlySpan<float>(b, n));

    static void RowDot(float* x, int rows, int ldx, LinearWeights w, float* y, int ldy, bool accumulate)
    {
        int k = w.InFeatures, n = w.OutFeatures;
        var weights = w.Rows!;
        var bias = w.Bias;
        nint xa = (nint)x, ya = (nint)y;
        int tasks = Math.Max(1, Math.Min((int)Math.Min((long)rows * n * k / 65536 + 1, 4L * KernelThreads.Count), rows));
        KernelThreads.For(tasks, t =>
        {
            int r0 = (int)((long)rows * t / tasks), r1 = (int)((long)rows * (t + 1) / tasks);
            fixed (float* pw = weights)
            {
                for (int r = r0; r < r1; r++)
                {
                    float* xr = (float*)xa + (long)r * ldx;
                    float* yr = (float*)ya + (long)r * ldy;
                    for (int o = 0; o < n; o++)
                    {
                        float v = Dot(xr, pw + (long)o * k, k) + bias[o];
                        yr[o] = accumulate ? yr[o] + v : v;
                    }
                }
            }
        });
    }

    static void Gemm(float* x, int rows, int ldx, LinearWeights w, float* y, int ldy, bool accumulate)
    {
        int k = w.InFeatures, n = w.OutFeatures;
        int panels = w.PanelCount;
        int rowBlocks = (rows + RowBlock - 1) / RowBlock;
        int wanted = 4 * KernelThreads.Count;
        int groups = 1;
        if (rowBlocks < wanted) groups = Math.Min(panels, (wanted + rowBlocks - 1) / rowBlocks);
        // Tiny problems are not worth waking other threads for.
        if ((long)rows * n * k < 32768) { groups = 1; }
        int panelsPerGroup = (panels + groups - 1) / groups;
        groups = (panels + panelsPerGroup - 1) / panelsPerGroup;
        int tasks = (long)rows * n * k < 32768 ? 1 : rowBlocks * groups;

        nint xa = (nint)x, ya = (nint)y;
        var packed = w.Panels;
        var packed16 = w.BFloat16Panels;
        var bias = w.Bias;
        if (tasks == 1)
        {
            fixed (float* pb = packed)
            fixed (ushort* pb16 = packed16)
                for (int rb = 0; rb < rowBlocks; rb++)
                    GemmBlock(x, ldx, pb, pb16, bias, y, ldy, k, n, rb * RowBlock, Math.Min(rows, (rb + 1) * RowBlock), 0, panels, accumulate);
            return;
        }
        KernelThreads.For(tasks, t =>
        {
            int rb = t / groups, g = t % groups;
            int r0 = rb * RowBlock, r1 = Math.Min(rows, r0 + RowBlock);
            int p0 = g * panelsPerGroup, p1 = Math.Min(panels, p0 + panelsPerGroup);
            fixed (float* pb = packed)
            fixed (ushort* pb16 = packed16)
                GemmBlock((float*)xa, ldx, pb, pb16, bias, (float*)ya, ldy, k, n, r0, r1, p0, p1, accumulate);
        });
    }

    /// <summary>
    /// Rows [r0, r1) × panels [p0, p1): bias first, then depth blocks accumulate in place. Panels come as float32
    /// (<paramref name="packed"/>) or as bfloat16 (<paramref name="packed16"/>), each depth block of which is widened once
    /// for all the rows.
    /// </summary>
    static void GemmBlock(float* x, int ldx, float* packed, ushort* packed16, float[] bias, float* y, int ldy, int k, int n,
        int r0, int r1, int p0, int p1, bool accumulate)
    {
        int c0 = p0 * NR, c1 = Math.Min(n, p1 * NR);
        for (int r = r0; r < r1; r++)
        {
            var yr = new Span<float>(y + (long)r * ldy + c0, c1 - c0);
            var b = bias.AsSpan(c0, c1 - c0);
            if (accumulate) TensorPrimitives.Add(yr, b, yr);
            else b.CopyTo(yr);
        }

        bool wide = UseVector512;
        float* tile = stackalloc float[6 * NR];
        float* widened = stackalloc float[packed16 != null ? DepthBlock * NR : 0];
        for (int k0 = 0; k0 < k; k0 += DepthBlock)
        {
            int kc = Math.Min(DepthBlock, k - k0);
            for (int p = p0; p < p1; p++)
            {
                long at = (long)p * k * NR + (long)k0 * NR;
                int cols = Math.Min(NR, n - p * NR);
                float* block = packed + at;
                if (packed16 != null)
                {
                    if (r1 - r0 < 6 && Avx2.IsSupported)
                    {
                        // A few rows (the LSTM's recurrent step) have no tile to share a widened block: widening in
                        // registers fits in the latency of the FMA chains, and the block is read once, at half the bytes.
                        for (int r = r0; r < r1; r++)
                            RowBFloat16(x + (long)r * ldx + k0, packed16 + at, kc, y + (long)r * ldy + p * NR, cols, tile);
                        continue;
                    }
                    RowWeights.Widen(packed16 + at, new Span<float>(widened, kc * NR));
                    block = widened;
                }
                PanelBlock(x, ldx, r0, r1, k0, block, kc, y + p * NR, ldy, cols, tile, wide);
            }
        }
    }

    /// <summary>
    /// Rows [r0, r1) of y[·, 0..cols) += x[·, k0..k0+kc)·b, where b is one depth block of a packed panel: 6-row register
    /// tiles, then single rows; a panel narrower than <see cref="NR"/> goes through <paramref name="tile"/>.
    /// </summary>
    static void PanelBlock(float* x, int ldx, int r0, int r1, int k0, float* b, int kc, float* y, int ldy, int cols, float* tile, bool wide)
    {
        const int mr = 6;
        int r = r0;
        for (; r + mr <= r1; r += mr)
        {
            float* a = x + (long)r * ldx + k0;
            float* c = y + (long)r * ldy;
            if (cols == NR)
            {
                if (wide) Kernel6x32(a, ldx, b, kc, c, ldy);
                else { Kernel6x16(a, ldx, b, kc, c, ldy); Kernel6x16(a, ldx, b + 16, kc, c + 16, ldy); }
            }
            else
            {
                LoadTile(c, ldy, tile, mr, cols);
                if (wide) Kernel6x32(a, ldx, b, kc, tile, NR);
                else { Kernel6x16(a, ldx, b, kc, tile, NR); Kernel6x16(a, ldx, b + 16, kc, tile + 16, NR); }
                StoreTile(tile, c, ldy, mr, cols);
            }
        }
        for (; r < r1; r++)
        {
            float* a = x + (long)r * ldx + k0;
            float* c = y + (long)r * ldy;
            if (cols == NR) Kernel1x32(a, b, kc, c, wide);
            else
            {
                LoadTile(c, ldy, tile, 1, cols);
                Kernel1x32(a, b, kc, tile, wide);
                StoreTile(tile, c, ldy, 1, cols);
            }
        }
    }

    /// <summary>
    /// y[r, 0..cols) += x[r, 0..k)·panel for every row, over one packed panel (k-major, <see cref="LinearWeights.PanelWidth"/>
    /// outputs, the ones past <paramref name="cols"/> zero): the GEMM's own tiles and depth blocks, for a caller that packs
    /// its panels as it goes (the LM's prefill from weights stored as bfloat16 or int8). Each output sums in depth order.
    /// </summary>
    internal static void PanelProduct(float* x, int ldx, int rows, float* panel, int k, float* y, int ldy, int cols)
    {
        bool wide = UseVector512;
        float* tile = stackalloc float[6 * NR];
        for (int k0 = 0; k0 < k; k0 += DepthBlock)
            PanelBlock(x, ldx, 0, rows, k0, panel + (long)k0 * NR, Math.Min(DepthBlock, k - k0), y, ldy, cols, tile, wide);
    }

    static void LoadTile(float* c, int ldc, float* tile, int rows, int cols)
    {
        for (int i = 0; i < rows; i++)
        {
            new Span<float>(tile + i * NR, NR).Clear();
            new ReadOnlySpan<float>(c + (long)i * ldc, cols).CopyTo(new Span<float>(tile + i * NR, cols));
        }
    }

    static void StoreTile(float* tile, float* c, int ldc, int rows, int cols)
    {
        for (int i = 0; i < rows; i++)
            new ReadOnlySpan<float>(tile + i * NR, cols).CopyTo(new Span<float>(c + (long)i * ldc, cols));
    }

    static void Kernel6x32(float* a, int lda, float* b, int kc, float* c, int ldc)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda;
        float* c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc, c4 = c + 4 * ldc, c5 = c + 5 * ldc;
        var s00 = Vector512.Load(c0); var s01 = Vector512.Load(c0 + 16);
        var s10 = Vector512.Load(c1); var s11 = Vector512.Load(c1 + 16);
        var s20 = Vector512.Load(c2); var s21 = Vector512.Load(c2 + 16);
        var s30 = Vector512.Load(c3); var s31 = Vector512.Load(c3 + 16);
        var s40 = Vector512.Load(c4); var s41 = Vector512.Load(c4 + 16);
        var s50 = Vector512.Load(c5); var s51 = Vector512.Load(c5 + 16);
        for (int i = 0; i < kc; i++)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16);
            b += NR;
            var v = Vector512.Create(a0[i]); s00 = Vector512.FusedMultiplyAdd(v, b0, s00); s01 = Vector512.FusedMultiplyAdd(v, b1, s01);
            v = Vector512.Create(a1[i]); s10 = Vector512.FusedMultiplyAdd(v, b0, s10); s11 = Vector512.FusedMultiplyAdd(v, b1, s11);
            v = Vector512.Create(a2[i]); s20 = Vector512.FusedMultiplyAdd(v, b0, s20); s21 = Vector512.FusedMultiplyAdd(v, b1, s21);
            v = Vector512.Create(a3[i]); s30 = Vector512.FusedMultiplyAdd(v, b0, s30); s31 = Vector512.FusedMultiplyAdd(v, b1, s31);
            v = Vector512.Create(a4[i]); s40 = Vector512.FusedMultiplyAdd(v, b0, s40); s41 = Vector512.FusedMultiplyAdd(v, b1, s41);
            v = Vector512.Create(a5[i]); s50 = Vector512.FusedMultiplyAdd(v, b0, s50); s51 = Vector512.FusedMultiplyAdd(v, b1, s51);
        }
        s00.Store(c0); s01.Store(c0 + 16);
        s10.Store(c1); s11.Store(c1 + 16);
        s20.Store(c2); s21.Store(c2 + 16);
        s30.Store(c3); s31.Store(c3 + 16);
        s40.Store(c4); s41.Store(c4 + 16);
        s50.Store(c5); s51.Store(c5 + 16);
    }

    /// <summary>
    /// The AVX2 tile: 6 rows × 16 of a panel's 32 outputs, called for each half. 12 accumulators, 2 panel vectors and a
    /// broadcast fill 15 of the 16 registers; the 3 × 32 tile it replaced needed 17, and the spills held the GEMM to
    /// 39% of the cores' FMA peak. Each output still sums in depth order, so results are unchanged.
    /// </summary>
    static void Kernel6x16(float* a, int lda, float* b, int kc, float* c, int ldc)
    {
        float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda;
        float* c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc, c4 = c + 4 * ldc, c5 = c + 5 * ldc;
        var s00 = Vector256.Load(c0); var s01 = Vector256.Load(c0 + 8);
        var s10 = Vector256.Load(c1); var s11 = Vector256.Load(c1 + 8);
        var s20 = Vector256.Load(c2); var s21 = Vector256.Load(c2 + 8);
        var s30 = Vector256.Load(c3); var s31 = Vector256.Load(c3 + 8);
        var s40 = Vector256.Load(c4); var s41 = Vector256.Load(c4 + 8);
        var s50 = Vector256.Load(c5); var s51 = Vector256.Load(c5 + 8);
        for (int i = 0; i < kc; i++)
        {
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + 8);
            b += NR;
            var v = Vector256.Create(a0[i]); s00 = Vector256.FusedMultiplyAdd(v, b0, s00); s01 = Vector256.FusedMultiplyAdd(v, b1, s01);
            v = Vector256.Create(a1[i]); s10 = Vector256.FusedMultiplyAdd(v, b0, s10); s11 = Vector256.FusedMultiplyAdd(v, b1, s11);
            v = Vector256.Create(a2[i]); s20 = Vector256.FusedMultiplyAdd(v, b0, s20); s21 = Vector256.FusedMultiplyAdd(v, b1, s21);
            v = Vector256.Create(a3[i]); s30 = Vector256.FusedMultiplyAdd(v, b0, s30); s31 = Vector256.FusedMultiplyAdd(v, b1, s31);
            v = Vector256.Create(a4[i]); s40 = Vector256.FusedMultiplyAdd(v, b0, s40); s41 = Vector256.FusedMultiplyAdd(v, b1, s41);
            v = Vector256.Create(a5[i]); s50 = Vector256.FusedMultiplyAdd(v, b0, s50); s51 = Vector256.FusedMultiplyAdd(v, b1, s51);
        }
        s00.Store(c0); s01.Store(c0 + 8);
        s10.Store(c1); s11.Store(c1 + 8);
        s20.Store(c2); s21.Store(c2 + 8);
        s30.Store(c3); s31.Store(c3 + 8);
        s40.Store(c4); s41.Store(c4 + 8);
        s50.Store(c5); s51.Store(c5 + 8);
    }

    /// <summary>
    /// One row of <see cref="Kernel1x32"/> over a bfloat16 depth block, each weight widened exactly in a register: the same
    /// FMA chains in the same order, so the same sums as the float32 kernel over the widened block.
    /// </summary>
    static void RowBFloat16(float* a, ushort* b, int kc, float* c, int cols, float* tile)
    {
        float* target = c;
        if (cols < NR) { LoadTile(c, 0, tile, 1, cols); target = tile; }
        var s0 = Vector256.Load(target); var s1 = Vector256.Load(target + 8); var s2 = Vector256.Load(target + 16); var s3 = Vector256.Load(target + 24);
        for (int i = 0; i < kc; i++, b += NR)
        {
            var v = Vector256.Create(a[i]);
            s0 = Vector256.FusedMultiplyAdd(v, Widen8(b), s0);
            s1 = Vector256.FusedMultiplyAdd(v, Widen8(b + 8), s1);
            s2 = Vector256.FusedMultiplyAdd(v, Widen8(b + 16), s2);
            s3 = Vector256.FusedMultiplyAdd(v, Widen8(b + 24), s3);
        }
        s0.Store(target); s1.Store(target + 8); s2.Store(target + 16); s3.Store(target + 24);
        if (cols < NR) StoreTile(tile, c, 0, 1, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Widen8(ushort* p) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();

    static void Kernel1x32(float* a, float* b, int kc, float* c, bool wide)
    {
        if (wide)
        {
            var s0 = Vector512.Load(c); var s1 = Vector512.Load(c + 16);
            for (int i = 0; i < kc; i++)
            {
                var v = Vector512.Create(a[i]);
                s0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b), s0);
                s1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(b + 16), s1);
                b += NR;
            }
            s0.Store(c); s1.Store(c + 16);
        }
        else
        {
            var s0 = Vector256.Load(c); var s1 = Vector256.Load(c + 8); var s2 = Vector256.Load(c + 16); var s3 = Vector256.Load(c + 24);
            for (int i = 0; i < kc; i++)
            {
                var v = Vector256.Create(a[i]);
                s0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b), s0);
                s1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b + 8), s1);
                s2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b + 16), s2);
                s3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b + 24), s3);
                b += NR;
            }
            s0.Store(c); s1.Store(c + 8); s2.Store(c + 16); s3.Store(c + 24);
        }
    }
}

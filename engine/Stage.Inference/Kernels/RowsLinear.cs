using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Stage.Inference.Kernels;

/// <summary>What a <see cref="RowsLinear"/> does with each output after the dot product.</summary>
public enum LinearOutput
{
    /// <summary><c>y = x·Wᵀ</c></summary>
    Store,
    /// <summary><c>y += x·Wᵀ</c> (a residual connection)</summary>
    Accumulate,
    /// <summary><c>y = GELU(x·Wᵀ)</c> with the exact (erf) GELU</summary>
    Gelu,
}

/// <summary>
/// <c>y[r, o] = Σ_i x[r, i] · W[o, i]</c> for a batch of rows and a PyTorch-layout weight <c>[out, in]</c>,
/// with no bias. Built for autoregressive decoding, where a step is bound by reading the weights: every
/// block of four weight rows is loaded once and used against all rows while it sits in L1, and the output
/// columns are shared among the <see cref="WorkerPool"/> threads. Rows are processed 4 (then 2, 1) at a
/// time, so a prefill chunk of many rows runs as a register-blocked GEMM.
/// <para>
/// The decode kernels prefetch the weight block two blocks ahead: a block of four rows is a 4 KiB page at int8, and
/// the hardware prefetcher stops at pages, so without it each block's first reads waited on DRAM while the cores idled
/// (int8 decode: 301 → 233 µs per 4 M weights from memory on 2 cores).
/// </para>
/// </summary>
public sealed unsafe class RowsLinear : IChunkedWork
{
    const int ColumnsPerChunk = LinearWeights.PanelWidth;   // a prefill chunk is one GEMM panel
    int _chunkColumns = ColumnsPerChunk;

    readonly WorkerPool _pool;
    float* _x, _w, _y;
    ushort* _bf16;
    sbyte* _int8;
    float* _scales;
    int _rows, _in, _out, _xStride, _yStride;
    LinearOutput _mode;
    float[][] _widened = [];   // per worker: four bfloat16 weight rows widened to float32, reused
    float[][] _panels = [];    // per worker: a prefill chunk's packed panel (RunPanelChunk)
    short* _quantized;         // the decode rows as int16 for the int8 path (null: not used for this call)
    float* _rowScales;
    // The two rows' int16 copy for the int8 path, at its widest from the start: a decode step allocates nothing.
    readonly short[] _quantizedRows = GC.AllocateArray<short>(2 * MaxQuantizedWidth, pinned: true);
    float[] _quantizedScales = GC.AllocateArray<float>(2, pinned: true);
    short[] _prefillQuantized = [];   // an int8 prefill's rows as int16, grown to the longest prefill
    float[] _prefillScales = [];

    public RowsLinear(WorkerPool pool) => _pool = pool;

    /// <summary>As the pointer overload, with the weights' storage (float32 or bfloat16) and shape taken from <paramref name="w"/>.</summary>
    public void Run(float* x, int xStride, int rows, RowWeights w, float* y, int yStride, LinearOutput mode)
    {
        if (!w.IsBFloat16 && !w.IsInt8)
        {
            Run(x, xStride, rows, w.Float32, w.Cols, w.Rows, y, yStride, mode);
            GC.KeepAlive(w);   // its memory is read through a raw pointer until here
            return;
        }
        if (rows <= 0) return;
        EnsurePanels(rows, w.Cols);
        if (_widened.Length < _pool.Workers || _widened[0].Length < 4 * w.Cols)
        {
            _widened = new float[_pool.Workers][];
            for (int i = 0; i < _widened.Length; i++) _widened[i] = GC.AllocateArray<float>(4 * w.Cols, pinned: true);
        }
        _x = x; _xStride = xStride; _rows = rows; _w = null; _bf16 = w.BFloat16; _int8 = w.Int8; _scales = w.Scales;
        _in = w.Cols; _out = w.Rows; _y = y; _yStride = yStride; _mode = mode; _quantized = null;
        // int8 rows are multiplied as int16 where AVX2 can: a decode's two rows by the int8 rows directly, a prefill's
        // through the pair-panel GEMM (PairPanel).
        bool decode = rows <= 2, prefill = UsesPanels(rows);
        if (w.IsInt8 && (decode || prefill) && PairPanel.Supports(w.Cols) && w.Cols <= MaxQuantizedWidth)
        {
            if (prefill && _prefillQuantized.Length < (long)rows * w.Cols) _prefillQuantized = GC.AllocateArray<short>(rows * w.Cols, pinned: true);
            if (prefill && _prefillScales.Length < rows) _prefillScales = GC.AllocateArray<float>(rows, pinned: true);
            fixed (short* q = decode ? _quantizedRows : _prefillQuantized)
            fixed (float* scales = decode ? _quantizedScales : _prefillScales)
            {
                // a row that is not finite keeps float32 arithmetic, so its NaN or infinity comes out as float32 gives it
                if (QuantizeRows(x, xStride, rows, w.Cols, q, scales)) { _quantized = q; _rowScales = scales; }
                Dispatch(w.Rows);
            }
        }
        else Dispatch(w.Rows);
        _bf16 = null;
        _int8 = null;
        _scales = null;
        _quantized = null;
        _rowScales = null;
        GC.KeepAlive(w);
    }

    /// <summary>
    /// Multiplies <paramref name="rows"/> rows of <paramref name="x"/> (stride <paramref name="xStride"/>)
    /// by <paramref name="w"/> <c>[outDim, inDim]</c> into <paramref name="y"/> (stride <paramref name="yStride"/>).
    /// The memory must stay pinned for the call (weights and scratch here live on the pinned heap).
    /// </summary>
    public void Run(float* x, int xStride, int rows, float* w, int inDim, int outDim, float* y, int yStride, LinearOutput mode)
    {
        if (rows <= 0) return;
        EnsurePanels(rows, inDim);
        _x = x; _xStride = xStride; _rows = rows; _w = w; _bf16 = null; _int8 = null; _scales = null; _in = inDim; _out = outDim; _y = y; _yStride = yStride; _mode = mode;
        Dispatch(outDim);
    }

    /// <summary>
    /// Prefill chunks are one panel each. Decode chunks are up to 256 outputs, at least two per worker: each thread then
    /// streams longer runs of weights (int8 from memory on 2 cores: 21.8 GB/s at 32 outputs, 28 at 256), and a core that
    /// falls behind still hands work over.
    /// </summary>
    void Dispatch(int outputs)
    {
        _chunkColumns = UsesPanels(_rows) ? ColumnsPerChunk : Math.Clamp(outputs / (2 * _pool.Workers) / 32 * 32, 32, 256);
        _pool.Run(this, (outputs + _chunkColumns - 1) / _chunkColumns);
    }

    public void RunChunk(int chunk, int worker)
    {
        int start = chunk * _chunkColumns;
        int end = Math.Min(start + _chunkColumns, _out);
        if (UsesPanels(_rows))
        {
            RunPanelChunk(start, end, worker);
            return;
        }
        if (_int8 != null)
        {
            RunInt8Chunk(start, end, worker);
            return;
        }
        if (_bf16 == null)
        {
            Multiply(_x, _xStride, _rows, _w, _in, start, end, _y, _yStride, _mode);
            return;
        }
        // bfloat16: four weight rows at a time are widened into this worker's float32 block (it stays in L1/L2)
        // and multiplied by the float32 core; from memory each weight is read as 2 bytes.
        if (_rows <= 2 && Avx2.IsSupported && Fma.IsSupported && _in % 8 == 0)
        {
            // Decoding (the two guidance rows): widen in registers, so each weight is touched once.
            for (int o = start; o < end; o++)
                if (o + 4 <= end) { Bf16Block2x4(_x, _xStride, _rows, _bf16 + (long)o * _in, _in, _y + o, _yStride, _mode == LinearOutput.Accumulate); o += 3; }
                else Bf16Block2x4Tail(_x, _xStride, _rows, _bf16 + (long)o * _in, _in, _y + o, _yStride, _mode == LinearOutput.Accumulate);
            if (_mode == LinearOutput.Gelu)
                for (int r = 0; r < _rows; r++)
                    Gelu.Apply(new Span<float>(_y + (long)r * _yStride + start, end - start));
            return;
        }
        // GELU goes over the whole chunk afterwards, as the float32 path applies it (same spans, same rounding).
        var blockMode = _mode == LinearOutput.Gelu ? LinearOutput.Store : _mode;
        fixed (float* block = _widened[worker])
            for (int o = start; o < end; o += 4)
            {
                int count = Math.Min(4, end - o);
                Widen(_bf16 + (long)o * _in, new Span<float>(block, count * _in));
                Multiply(_x, _xStride, _rows, block, _in, 0, count, _y + o, _yStride, blockMode);
            }
        if (_mode == LinearOutput.Gelu)
            for (int r = 0; r < _rows; r++)
                Gelu.Apply(new Span<float>(_y + (long)r * _yStride + start, end - start));
    }

    /// <summary>Batches from this many rows on (a prefill) go through packed panels and the GEMM's register tiles.</summary>
    internal const int PanelRows = 6;

    static bool UsesPanels(int rows) => rows >= PanelRows && Vector256.IsHardwareAccelerated;

    /// <summary>Per worker: a panel of <see cref="ColumnsPerChunk"/> outputs × <paramref name="k"/> inputs.</summary>
    void EnsurePanels(int rows, int k)
    {
        if (!UsesPanels(rows) || (_panels.Length >= _pool.Workers && _panels[0].Length >= k * ColumnsPerChunk)) return;
        var panels = new float[_pool.Workers][];
        for (int i = 0; i < panels.Length; i++) panels[i] = GC.AllocateArray<float>(k * ColumnsPerChunk, pinned: true);
        _panels = panels;
    }

    /// <summary>
    /// A prefill chunk: its 32 weight rows, widened to float32 whatever their storage, are packed into one k-major panel
    /// and every row goes through <see cref="MatMul.PanelProduct"/> (6 rows × 32 outputs per register tile, 73% of the FMA
    /// peak on 2 AVX2 cores, where the dot-product blocks reached 33%). The packing reads each weight once per call.
    /// </summary>
    void RunPanelChunk(int start, int end, int worker)
    {
        int cols = end - start, k = _in;
        fixed (float* panel = _panels[worker])
        {
            if (_mode != LinearOutput.Accumulate)
                for (int r = 0; r < _rows; r++) new Span<float>(_y + (long)r * _yStride + start, cols).Clear();
            if (_int8 != null && _quantized != null)
            {
                // the pair panel takes half the float32 panel's bytes
                PairPanel.Pack(_int8 + (long)start * k, cols, k, (short*)panel);
                PairPanel.Product(_quantized, _rowScales, _rows, k, (short*)panel, _scales + start, cols, _y + start, _yStride);
            }
            else
            {
                if (_int8 != null) WeightPanel.Pack(_int8 + (long)start * k, _scales + start, cols, k, panel);
                else if (_bf16 != null) WeightPanel.Pack(_bf16 + (long)start * k, cols, k, panel);
                else WeightPanel.Pack(_w + (long)start * k, cols, k, panel);
                MatMul.PanelProduct(_x, _xStride, _rows, panel, k, _y + start, _yStride, cols);
            }
        }
        if (_mode == LinearOutput.Gelu)
            for (int r = 0; r < _rows; r++)
                Gelu.Apply(new Span<float>(_y + (long)r * _yStride + start, end - start));
    }

    /// <summary>
    /// int8: decoding (one or two rows) multiplies int8 weights by the rows quantized to int16 (<see cref="QuantizeRows"/>)
    /// with <c>vpmaddwd</c>, 16 products per instruction summed exactly in int32, and applies the two scales once per sum;
    /// when the width does not suit it, the rows stay float32 and the weights are widened 8 at a time in registers.
    /// Longer batches (prefill) widen four weight rows at a time into float32 and use the float32 core. From memory each
    /// weight is read as one byte.
    /// </summary>
    void RunInt8Chunk(int start, int end, int worker)
    {
        if (_quantized != null)
        {
            for (int o = start; o < end; o++)
                if (o + 4 <= end) { Int16xInt8Block2x4(_quantized, _rowScales, _in, _rows, _int8 + (long)o * _in, _scales + o, _y + o, _yStride, _mode == LinearOutput.Accumulate); o += 3; }
                else Int16xInt8Tail(_quantized, _rowScales, _in, _rows, _int8 + (long)o * _in, _scales[o], _y + o, _yStride, _mode == LinearOutput.Accumulate);
        }
        else if (_rows <= 2 && Avx2.IsSupported && Fma.IsSupported && _in % 8 == 0)
        {
            for (int o = start; o < end; o++)
                if (o + 4 <= end) { Int8Block2x4(_x, _xStride, _rows, _int8 + (long)o * _in, _scales + o, _in, _y + o, _yStride, _mode == LinearOutput.Accumulate); o += 3; }
                else Int8Block2x4Tail(_x, _xStride, _rows, _int8 + (long)o * _in, _scales[o], _in, _y + o, _yStride, _mode == LinearOutput.Accumulate);
        }
        else
        {
            var blockMode = _mode == LinearOutput.Gelu ? LinearOutput.Store : _mode;
            fixed (float* block = _widened[worker])
                for (int o = start; o < end; o += 4)
                {
                    int count = Math.Min(4, end - o);
                    for (int j = 0; j < count; j++)
                        RowWeights.WidenInt8(_int8 + (long)(o + j) * _in, _scales[o + j], new Span<float>(block + j * _in, _in));
                    Multiply(_x, _xStride, _rows, block, _in, 0, count, _y + o, _yStride, blockMode);
                }
        }
        if (_mode == LinearOutput.Gelu)
            for (int r = 0; r < _rows; r++)
                Gelu.Apply(new Span<float>(_y + (long)r * _yStride + start, end - start));
    }

    /// <summary>
    /// The largest magnitude a quantized row takes: 2¹⁴ − 1 keeps every int32 lane of a <c>vpmaddwd</c> sum below 2³¹ for rows
    /// up to <see cref="MaxQuantizedWidth"/> wide (|x| ≤ 16383, |w| ≤ 127, width/8 products per lane), and a row's rounding
    /// error (half of max|x|/16383) is about 1/250 of the weights' own.
    /// </summary>
    internal const int QuantizedLevels = 16383;
    internal const int MaxQuantizedWidth = 8192;

    /// <summary>Rows for the int16 × int8 path: each row scaled so its largest magnitude is <see cref="QuantizedLevels"/>, rounded to nearest.</summary>
    internal static bool QuantizeRows(float* x, int xStride, int rows, int n, short* quantized, float* scales)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = new ReadOnlySpan<float>(x + (long)r * xStride, n);
            float max = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row));
            if (!float.IsFinite(max)) return false;
            float scale = max > 0 ? max / QuantizedLevels : 1f;
            scales[r] = scale;
            var inverse = Vector256.Create(1f / scale);
            short* q = quantized + (long)r * n;
            float* source = x + (long)r * xStride;
            int i = 0;
            for (; i + 16 <= n; i += 16)
            {
                var a = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(source + i), inverse));        // rounds to nearest even
                var b = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(source + i + 8), inverse));
                // packs lanes 0-3 of a, 0-3 of b, 4-7 of a, 4-7 of b; the permute puts them back in order
                var packed = Avx2.PackSignedSaturate(a, b).AsInt64();
                Avx.Store(q + i, Avx2.Permute4x64(packed, 0b11_01_10_00).AsInt16());
            }
            for (; i < n; i++) q[i] = (short)MathF.Round(source[i] / scale);
        }
        return true;
    }

    /// <summary>One or two int16 rows × four int8 weight rows: Σ xq·wq in int32, then × the row's scale × the weight row's scale.</summary>
    static void Int16xInt8Block2x4(short* x, float* xScales, int n, int rows, sbyte* w, float* scales, float* y, int yStride, bool accumulate)
    {
        short* x0 = x, x1 = rows > 1 ? x + n : x;
        sbyte* w0 = w, w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n;
        Vector256<int> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<int> a10 = default, a11 = default, a12 = default, a13 = default;
        byte* next = (byte*)(w + 8 * n);
        for (int i = 0; i < n; i += 16)
        {
            Sse.Prefetch0(next + 4 * i);
            Sse.Prefetch0(next + 4 * i + 32);
            var u0 = Avx.LoadVector256(x0 + i);
            var u1 = Avx.LoadVector256(x1 + i);
            var v = Avx2.ConvertToVector256Int16(w0 + i); a00 = Avx2.Add(a00, Avx2.MultiplyAddAdjacent(u0, v)); a10 = Avx2.Add(a10, Avx2.MultiplyAddAdjacent(u1, v));
            v = Avx2.ConvertToVector256Int16(w1 + i); a01 = Avx2.Add(a01, Avx2.MultiplyAddAdjacent(u0, v)); a11 = Avx2.Add(a11, Avx2.MultiplyAddAdjacent(u1, v));
            v = Avx2.ConvertToVector256Int16(w2 + i); a02 = Avx2.Add(a02, Avx2.MultiplyAddAdjacent(u0, v)); a12 = Avx2.Add(a12, Avx2.MultiplyAddAdjacent(u1, v));
            v = Avx2.ConvertToVector256Int16(w3 + i); a03 = Avx2.Add(a03, Avx2.MultiplyAddAdjacent(u0, v)); a13 = Avx2.Add(a13, Avx2.MultiplyAddAdjacent(u1, v));
        }
        float s = xScales[0];
        Store(y, Sum(a00) * s * scales[0], accumulate); Store(y + 1, Sum(a01) * s * scales[1], accumulate);
        Store(y + 2, Sum(a02) * s * scales[2], accumulate); Store(y + 3, Sum(a03) * s * scales[3], accumulate);
        if (rows < 2) return;
        float* y1 = y + yStride;
        s = xScales[1];
        Store(y1, Sum(a10) * s * scales[0], accumulate); Store(y1 + 1, Sum(a11) * s * scales[1], accumulate);
        Store(y1 + 2, Sum(a12) * s * scales[2], accumulate); Store(y1 + 3, Sum(a13) * s * scales[3], accumulate);
    }

    static void Int16xInt8Tail(short* x, float* xScales, int n, int rows, sbyte* w, float scale, float* y, int yStride, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            short* xr = x + (long)r * n;
            var a = Vector256<int>.Zero;
            for (int i = 0; i < n; i += 16) a = Avx2.Add(a, Avx2.MultiplyAddAdjacent(Avx.LoadVector256(xr + i), Avx2.ConvertToVector256Int16(w + i)));
            Store(y + (long)r * yStride, Sum(a) * xScales[r] * scale, accumulate);
        }
    }

    // The lanes may each be near 2³¹, so they are summed as floats.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Sum(Vector256<int> lanes) => Vector256.Sum(Avx.ConvertToVector256Single(lanes));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> I8(sbyte* p) => Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(p));

    /// <summary>One or two rows × four int8 weight rows (AVX2): Σ x·q per pair, times the weight row's scale.</summary>
    static void Int8Block2x4(float* x, int xStride, int rows, sbyte* w, float* scales, int n, float* y, int yStride, bool accumulate)
    {
        float* x0 = x, x1 = rows > 1 ? x + xStride : x;
        sbyte* w0 = w, w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        byte* next = (byte*)(w + 8 * n);
        for (int i = 0; i < n; i += 8)
        {
            Sse.Prefetch0(next + 4 * i);
            var u0 = Avx.LoadVector256(x0 + i);
            var u1 = Avx.LoadVector256(x1 + i);
            var v = I8(w0 + i); a00 = Fma.MultiplyAdd(u0, v, a00); a10 = Fma.MultiplyAdd(u1, v, a10);
            v = I8(w1 + i); a01 = Fma.MultiplyAdd(u0, v, a01); a11 = Fma.MultiplyAdd(u1, v, a11);
            v = I8(w2 + i); a02 = Fma.MultiplyAdd(u0, v, a02); a12 = Fma.MultiplyAdd(u1, v, a12);
            v = I8(w3 + i); a03 = Fma.MultiplyAdd(u0, v, a03); a13 = Fma.MultiplyAdd(u1, v, a13);
        }
        Store(y, Vector256.Sum(a00) * scales[0], accumulate); Store(y + 1, Vector256.Sum(a01) * scales[1], accumulate);
        Store(y + 2, Vector256.Sum(a02) * scales[2], accumulate); Store(y + 3, Vector256.Sum(a03) * scales[3], accumulate);
        if (rows < 2) return;
        float* y1 = y + yStride;
        Store(y1, Vector256.Sum(a10) * scales[0], accumulate); Store(y1 + 1, Vector256.Sum(a11) * scales[1], accumulate);
        Store(y1 + 2, Vector256.Sum(a12) * scales[2], accumulate); Store(y1 + 3, Vector256.Sum(a13) * scales[3], accumulate);
    }

    static void Int8Block2x4Tail(float* x, int xStride, int rows, sbyte* w, float scale, int n, float* y, int yStride, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* xr = x + (long)r * xStride;
            var a = Vector256<float>.Zero;
            for (int i = 0; i < n; i += 8) a = Fma.MultiplyAdd(Avx.LoadVector256(xr + i), I8(w + i), a);
            Store(y + (long)r * yStride, Vector256.Sum(a) * scale, accumulate);
        }
    }

    static void Widen(ushort* source, Span<float> destination) => RowWeights.Widen(source, destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Bf16(ushort* p) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(p)), 16).AsSingle();

    /// <summary>One or two rows × four bfloat16 weight rows, widened 8 at a time in registers (AVX2).</summary>
    static void Bf16Block2x4(float* x, int xStride, int rows, ushort* w, int n, float* y, int yStride, bool accumulate)
    {
        float* x0 = x, x1 = rows > 1 ? x + xStride : x;
        ushort* w0 = w, w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        byte* next = (byte*)(w + 8 * n);
        for (int i = 0; i < n; i += 8)
        {
            Sse.Prefetch0(next + 8 * i);
            var u0 = Avx.LoadVector256(x0 + i);
            var u1 = Avx.LoadVector256(x1 + i);
            var v = Bf16(w0 + i); a00 = Fma.MultiplyAdd(u0, v, a00); a10 = Fma.MultiplyAdd(u1, v, a10);
            v = Bf16(w1 + i); a01 = Fma.MultiplyAdd(u0, v, a01); a11 = Fma.MultiplyAdd(u1, v, a11);
            v = Bf16(w2 + i); a02 = Fma.MultiplyAdd(u0, v, a02); a12 = Fma.MultiplyAdd(u1, v, a12);
            v = Bf16(w3 + i); a03 = Fma.MultiplyAdd(u0, v, a03); a13 = Fma.MultiplyAdd(u1, v, a13);
        }
        Store(y, Vector256.Sum(a00), accumulate); Store(y + 1, Vector256.Sum(a01), accumulate);
        Store(y + 2, Vector256.Sum(a02), accumulate); Store(y + 3, Vector256.Sum(a03), accumulate);
        if (rows < 2) return;
        float* y1 = y + yStride;
        Store(y1, Vector256.Sum(a10), accumulate); Store(y1 + 1, Vector256.Sum(a11), accumulate);
        Store(y1 + 2, Vector256.Sum(a12), accumulate); Store(y1 + 3, Vector256.Sum(a13), accumulate);
    }

    static void Bf16Block2x4Tail(float* x, int xStride, int rows, ushort* w, int n, float* y, int yStride, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* xr = x + (long)r * xStride;
            var a = Vector256<float>.Zero;
            for (int i = 0; i < n; i += 8) a = Fma.MultiplyAdd(Avx.LoadVector256(xr + i), Bf16(w + i), a);
            Store(y + (long)r * yStride, Vector256.Sum(a), accumulate);
        }
    }

    /// <summary>Single-threaded core over output columns <c>[start, end)</c>.</summary>
    public static void Multiply(float* x, int xStride, int rows, float* w, int inDim, int start, int end, float* y, int yStride, LinearOutput mode)
    {
        bool accumulate = mode == LinearOutput.Accumulate;
        int o = start;
        for (; o + 4 <= end; o += 4)
        {
            float* w4 = w + (long)o * inDim;
            int r = 0;
            for (; r + 4 <= rows; r += 4)
                Block4x4(x + (long)r * xStride, xStride, w4, inDim, y + (long)r * yStride + o, yStride, accumulate);
            for (; r + 2 <= rows; r += 2)
                Block2x4(x + (long)r * xStride, xStride, w4, inDim, y + (long)r * yStride + o, yStride, accumulate);
            for (; r < rows; r++)
                Block1x4(x + (long)r * xStride, w4, inDim, y + (long)r * yStride + o, accumulate);
        }
        for (; o < end; o++)
            for (int r = 0; r < rows; r++)
            {
                float s = Dot(x + (long)r * xStride, w + (long)o * inDim, inDim);
                float* dst = y + (long)r * yStride + o;
                *dst = accumulate ? *dst + s : s;
            }
        if (mode == LinearOutput.Gelu)
            for (int r = 0; r < rows; r++)
                Gelu.Apply(new Span<float>(y + (long)r * yStride + start, end - start));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* dst, float s, bool accumulate) => *dst = accumulate ? *dst + s : s;

    static float Dot(float* a, float* b, int n)
    {
        int i = 0;
        float s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
            s = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc);
            s = Vector256.Sum(acc);
        }
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    static void Block1x4(float* x, float* w, int n, float* y, bool accumulate)
    {
        float* w0 = w, w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 16 <= n; i += 16)
            {
                var xv = Vector512.Load(x + i);
                a0 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w0 + i), a0);
                a1 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w1 + i), a1);
                a2 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w2 + i), a2);
                a3 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w3 + i), a3);
            }
            s0 = Vector512.Sum(a0); s1 = Vector512.Sum(a1); s2 = Vector512.Sum(a2); s3 = Vector512.Sum(a3);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 8 <= n; i += 8)
            {
                var xv = Vector256.Load(x + i);
                a0 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w0 + i), a0);
                a1 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w1 + i), a1);
                a2 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w2 + i), a2);
                a3 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w3 + i), a3);
            }
            s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
        }
        for (; i < n; i++)
        {
            float xi = x[i];
            s0 += xi * w0[i]; s1 += xi * w1[i]; s2 += xi * w2[i]; s3 += xi * w3[i];
        }
        Store(y, s0, accumulate); Store(y + 1, s1, accumulate); Store(y + 2, s2, accumulate); Store(y + 3, s3, accumulate);
    }

    static void Block2x4(float* x, int xStride, float* w, int n, float* y, int yStride, bool accumulate)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            if (Vector256.IsHardwareAccelerated) Block2x4Avx2(x, xStride, w, n, y, yStride, accumulate);
            else
            {
                Block1x4(x, w, n, y, accumulate);
                Block1x4(x + xStride, w, n, y + yStride, accumulate);
            }
            return;
        }
        float* x0 = x, x1 = x + xStride;
        float* w0 = w, w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var v0 = Vector512.Load(w0 + i); var v1 = Vector512.Load(w1 + i);
            var v2 = Vector512.Load(w2 + i); var v3 = Vector512.Load(w3 + i);
            var u0 = Vector512.Load(x0 + i); var u1 = Vector512.Load(x1 + i);
            a00 = Vector512.FusedMultiplyAdd(u0, v0, a00); a01 = Vector512.FusedMultiplyAdd(u0, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(u0, v2, a02); a03 = Vector512.FusedMultiplyAdd(u0, v3, a03);
            a10 = Vector512.FusedMultiplyAdd(u1, v0, a10); a11 = Vector512.FusedMultiplyAdd(u1, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(u1, v2, a12); a13 = Vector512.FusedMultiplyAdd(u1, v3, a13);
        }
        Span<float> s = stackalloc float[8];
        s[0] = Vector512.Sum(a00); s[1] = Vector512.Sum(a01); s[2] = Vector512.Sum(a02); s[3] = Vector512.Sum(a03);
        s[4] = Vector512.Sum(a10); s[5] = Vector512.Sum(a11); s[6] = Vector512.Sum(a12); s[7] = Vector512.Sum(a13);
        for (; i < n; i++)
            for (int k = 0; k < 4; k++)
            {
                float wk = w[k * n + i];
                s[k] += x0[i] * wk;
                s[4 + k] += x1[i] * wk;
            }
        for (int k = 0; k < 4; k++)
        {
            Store(y + k, s[k], accumulate);
            Store(y + yStride + k, s[4 + k], accumulate);
        }
    }

    /// <summary>
    /// Two rows × four weight rows with 256-bit vectors: each weight vector loaded once for both rows (11 of the 16
    /// registers). Per row the sums run in the same order as <see cref="Block1x4"/>'s, so results are identical to it.
    /// </summary>
    static void Block2x4Avx2(float* x, int xStride, float* w, int n, float* y, int yStride, bool accumulate)
    {
        float* x0 = x, x1 = x + xStride;
        float* w0 = w, w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        int i = 0;
        byte* next = (byte*)(w + 8 * n);
        for (; i + 8 <= n; i += 8)
        {
            Sse.Prefetch0(next + 16 * i);
            Sse.Prefetch0(next + 16 * i + 64);
            var u0 = Vector256.Load(x0 + i);
            var u1 = Vector256.Load(x1 + i);
            var v = Vector256.Load(w0 + i); a00 = Vector256.FusedMultiplyAdd(u0, v, a00); a10 = Vector256.FusedMultiplyAdd(u1, v, a10);
            v = Vector256.Load(w1 + i); a01 = Vector256.FusedMultiplyAdd(u0, v, a01); a11 = Vector256.FusedMultiplyAdd(u1, v, a11);
            v = Vector256.Load(w2 + i); a02 = Vector256.FusedMultiplyAdd(u0, v, a02); a12 = Vector256.FusedMultiplyAdd(u1, v, a12);
            v = Vector256.Load(w3 + i); a03 = Vector256.FusedMultiplyAdd(u0, v, a03); a13 = Vector256.FusedMultiplyAdd(u1, v, a13);
        }
        float s00 = Vector256.Sum(a00), s01 = Vector256.Sum(a01), s02 = Vector256.Sum(a02), s03 = Vector256.Sum(a03);
        float s10 = Vector256.Sum(a10), s11 = Vector256.Sum(a11), s12 = Vector256.Sum(a12), s13 = Vector256.Sum(a13);
        for (; i < n; i++)
        {
            float xi = x0[i], xj = x1[i];
            s00 += xi * w0[i]; s01 += xi * w1[i]; s02 += xi * w2[i]; s03 += xi * w3[i];
            s10 += xj * w0[i]; s11 += xj * w1[i]; s12 += xj * w2[i]; s13 += xj * w3[i];
        }
        Store(y, s00, accumulate); Store(y + 1, s01, accumulate); Store(y + 2, s02, accumulate); Store(y + 3, s03, accumulate);
        float* y1 = y + yStride;
        Store(y1, s10, accumulate); Store(y1 + 1, s11, accumulate); Store(y1 + 2, s12, accumulate); Store(y1 + 3, s13, accumulate);
    }

    static void Block4x4(float* x, int xStride, float* w, int n, float* y, int yStride, bool accumulate)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            Block2x4(x, xStride, w, n, y, yStride, accumulate);
            Block2x4(x + 2 * xStride, xStride, w, n, y + 2 * yStride, yStride, accumulate);
            return;
        }
        float* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        float* w0 = w, w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var v0 = Vector512.Load(w0 + i); var v1 = Vector512.Load(w1 + i);
            var v2 = Vector512.Load(w2 + i); var v3 = Vector512.Load(w3 + i);
            var u = Vector512.Load(x0 + i);
            a00 = Vector512.FusedMultiplyAdd(u, v0, a00); a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(u, v2, a02); a03 = Vector512.FusedMultiplyAdd(u, v3, a03);
            u = Vector512.Load(x1 + i);
            a10 = Vector512.FusedMultiplyAdd(u, v0, a10); a11 = Vector512.FusedMultiplyAdd(u, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(u, v2, a12); a13 = Vector512.FusedMultiplyAdd(u, v3, a13);
            u = Vector512.Load(x2 + i);
            a20 = Vector512.FusedMultiplyAdd(u, v0, a20); a21 = Vector512.FusedMultiplyAdd(u, v1, a21);
            a22 = Vector512.FusedMultiplyAdd(u, v2, a22); a23 = Vector512.FusedMultiplyAdd(u, v3, a23);
            u = Vector512.Load(x3 + i);
            a30 = Vector512.FusedMultiplyAdd(u, v0, a30); a31 = Vector512.FusedMultiplyAdd(u, v1, a31);
            a32 = Vector512.FusedMultiplyAdd(u, v2, a32); a33 = Vector512.FusedMultiplyAdd(u, v3, a33);
        }
        Span<float> s = stackalloc float[16];
        s[0] = Vector512.Sum(a00); s[1] = Vector512.Sum(a01); s[2] = Vector512.Sum(a02); s[3] = Vector512.Sum(a03);
        s[4] = Vector512.Sum(a10); s[5] = Vector512.Sum(a11); s[6] = Vector512.Sum(a12); s[7] = Vector512.Sum(a13);
        s[8] = Vector512.Sum(a20); s[9] = Vector512.Sum(a21); s[10] = Vector512.Sum(a22); s[11] = Vector512.Sum(a23);
        s[12] = Vector512.Sum(a30); s[13] = Vector512.Sum(a31); s[14] = Vector512.Sum(a32); s[15] = Vector512.Sum(a33);
        for (; i < n; i++)
            for (int k = 0; k < 4; k++)
            {
                float wk = w[k * n + i];
                s[k] += x0[i] * wk; s[4 + k] += x1[i] * wk; s[8 + k] += x2[i] * wk; s[12 + k] += x3[i] * wk;
            }
        for (int r = 0; r < 4; r++)
            for (int k = 0; k < 4; k++)
                Store(y + r * yStride + k, s[4 * r + k], accumulate);
    }
}

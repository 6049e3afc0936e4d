using System.Numerics.Tensors;

namespace Stage.Inference.Kernels;

/// <summary>
/// <see cref="CachedCausalAttention"/> for many consecutive rows of one stream at once (a prefill), over a bfloat16 or int8
/// cache kept head-major (<c>[head][slot][headDim]</c>, as <c>LmStream</c> keeps it). Per head and block of rows, the scores
/// are a GEMM of the rows' queries against the cached keys, then a causal softmax per row, then a GEMM of the
/// probabilities against the cached values, both through the GEMM's register tiles (<see cref="MatMul.PanelProduct"/>).
/// Row by row, every row had read its head's whole cache once for the scores and once for the values.
/// </summary>
/// <remarks>
/// Row i of the call sits at slot <c>firstSlot + i</c> and attends to slots <c>0 … firstSlot + i</c>, all of which the
/// caller has stored. Key panels a block's rows cannot see are skipped; the probabilities past a row's own slot are 0.
/// Prefill only: it packs panels and grows its scratch on first use.
/// </remarks>
public sealed unsafe class CausalAttentionRows : IChunkedWork
{
    const int Width = LinearWeights.PanelWidth;
    const int BlockRows = 48;

    readonly WorkerPool _pool;
    float[][] _scores = [], _panels = [];

    float* _q, _out;
    ushort* _keys, _values;              // a bfloat16 cache
    sbyte* _keys8, _values8;             // or an int8 one, each slot's head with one scale
    float* _keyScales, _valueScales;
    int _rows, _firstSlot, _heads, _headDim, _ldq, _ldo, _blocks, _ld;
    long _headStride, _scaleStride;
    float _scale;

    public CausalAttentionRows(WorkerPool pool) => _pool = pool;

    /// <summary>
    /// <c>out[i, h] = softmax(q[i, h]·K[h, 0 … firstSlot + i]ᵀ·scale)·V[h, 0 … firstSlot + i]</c> for rows i of q and out
    /// (strides <paramref name="ldq"/>, <paramref name="ldo"/>; head h at columns <c>h·headDim</c>). Head h's keys and
    /// values start at <c>h·headStride</c> elements.
    /// </summary>
    public void Attend(float* q, int ldq, int rows, int firstSlot, ushort* keys, ushort* values, long headStride, int heads, int headDim,
        float scale, float* output, int ldo)
    {
        _keys = keys; _values = values;
        Run(q, ldq, rows, firstSlot, headStride, heads, headDim, scale, output, ldo);
    }

    /// <summary>
    /// As the bfloat16 overload, over an int8 cache: slot s of head h is its codes times
    /// <c>scales[h·scaleStride + s]</c>, widened exactly as the float32 product rounds it.
    /// </summary>
    public void Attend(float* q, int ldq, int rows, int firstSlot, sbyte* keys, float* keyScales, sbyte* values, float* valueScales,
        long headStride, long scaleStride, int heads, int headDim, float scale, float* output, int ldo)
    {
        _keys8 = keys; _values8 = values; _keyScales = keyScales; _valueScales = valueScales; _scaleStride = scaleStride;
        Run(q, ldq, rows, firstSlot, headStride, heads, headDim, scale, output, ldo);
    }

    void Run(float* q, int ldq, int rows, int firstSlot, long headStride, int heads, int headDim, float scale, float* output, int ldo)
    {
        try
        {
            if (rows <= 0) return;
            int length = firstSlot + rows;
            _ld = (length + Width - 1) / Width * Width;
            EnsureScratch(Math.Max(headDim, length));
            _q = q; _ldq = ldq; _rows = rows; _firstSlot = firstSlot; _headStride = headStride;
            _heads = heads; _headDim = headDim; _scale = scale; _out = output; _ldo = ldo;
            _blocks = (rows + BlockRows - 1) / BlockRows;
            _pool.Run(this, heads * _blocks);
        }
        finally
        {
            _q = _out = _keyScales = _valueScales = null;
            _keys = _values = null;
            _keys8 = _values8 = null;
        }
    }

    void EnsureScratch(int depth)
    {
        if (_scores.Length >= _pool.Workers && _scores[0].Length >= BlockRows * _ld && _panels[0].Length >= depth * Width) return;
        var scores = new float[_pool.Workers][];
        var panels = new float[_pool.Workers][];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = GC.AllocateArray<float>(BlockRows * _ld, pinned: true);
            panels[i] = GC.AllocateArray<float>(depth * Width, pinned: true);
        }
        _scores = scores;
        _panels = panels;
    }

    /// <summary>One head, one block of rows.</summary>
    public void RunChunk(int chunk, int worker)
    {
        int h = chunk / _blocks, first = chunk % _blocks * BlockRows, end = Math.Min(_rows, first + BlockRows), n = end - first;
        int depth = _firstSlot + end;   // the block's last row sees this many slots
        ushort* keys = _keys + h * _headStride, values = _values + h * _headStride;
        float* q = _q + (long)first * _ldq + h * _headDim;
        fixed (float* s = _scores[worker])
        fixed (float* panel = _panels[worker])
        {
            for (int i = 0; i < n; i++) new Span<float>(s + (long)i * _ld, _ld).Clear();
            for (int j = 0; j < depth; j += Width)
            {
                // rows before slot j − firstSlot do not see these keys
                int from = Math.Max(0, j - _firstSlot - first);
                if (from >= n) break;
                if (_keys8 != null)
                    WeightPanel.Pack(_keys8 + h * _headStride + (long)j * _headDim, _keyScales + h * _scaleStride + j, Math.Min(Width, depth - j), _headDim, panel);
                else WeightPanel.Pack(keys + (long)j * _headDim, Math.Min(Width, depth - j), _headDim, panel);
                MatMul.PanelProduct(q + (long)from * _ldq, _ldq, n - from, panel, _headDim, s + (long)from * _ld + j, _ld, Math.Min(Width, depth - j));
            }
            for (int i = 0; i < n; i++)
            {
                int seen = _firstSlot + first + i + 1;
                var row = new Span<float>(s + (long)i * _ld, seen);
                TensorPrimitives.Multiply(row, _scale, row);
                Softmax.Rows(row, seen);
                new Span<float>(s + (long)i * _ld + seen, depth - seen).Clear();
            }
            for (int o = 0; o < _headDim; o += Width)
            {
                int cols = Math.Min(Width, _headDim - o);
                if (_values8 != null)
                    WeightPanel.PackLines(_values8 + h * _headStride + o, _valueScales + h * _scaleStride, _headDim, depth, cols, panel);
                else WeightPanel.PackLines(values + o, _headDim, depth, cols, panel);
                float* y = _out + (long)first * _ldo + h * _headDim + o;
                for (int i = 0; i < n; i++) new Span<float>(y + (long)i * _ldo, cols).Clear();
                MatMul.PanelProduct(s, _ld, n, panel, depth, y, _ldo, cols);
            }
        }
    }
}

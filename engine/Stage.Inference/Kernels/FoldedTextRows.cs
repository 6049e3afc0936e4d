using System.Numerics.Tensors;

namespace Stage.Inference.Kernels;

/// <summary>
/// <see cref="FoldedTextAttention"/> for many rows of one stream at once (a prefill): every head's scores are one GEMM
/// <c>S = X·K̃ᵀ</c> against all the folded keys, a softmax per row and head, and the output one more, <c>Y += S·Ṽ</c>.
/// Row by row, each row read the layer's K̃ and Ṽ (1.3 MB for a 20-token prompt) once; here each is read once per
/// panel for all the rows, through the GEMM's register tiles (<see cref="MatMul.PanelProduct"/>).
/// </summary>
/// <remarks>
/// Folded keys and values are <c>[heads · length, dim]</c> bfloat16, head-major, as <c>LmStream</c> keeps them. A row's
/// scores for head h are columns <c>h·length … h·length + length − 1</c> of S, so the softmax runs over each such run.
/// Prefill only: it packs panels and grows its scratch on first use.
/// </remarks>
public sealed unsafe class FoldedTextRows : IChunkedWork
{
    const int Width = LinearWeights.PanelWidth;
    const int SoftmaxRowsPerChunk = 16;

    enum Phase { Scores, Softmax, Mix }

    readonly WorkerPool _pool;
    float[][] _panels = [];
    PinnedFloats _scores = new(0);

    Phase _phase;
    float* _x, _y, _s;
    ushort* _keys, _values;
    int _rows, _dim, _heads, _length, _ldx, _ldy, _ld;
    float _scale;

    public FoldedTextRows(WorkerPool pool) => _pool = pool;

    /// <summary>
    /// <c>y[r] += Σ_h Σ_j softmax_j(x[r]·K̃[h, j]·scale)·Ṽ[h, j]</c> for <paramref name="rows"/> rows of x and y (strides
    /// <paramref name="ldx"/>, <paramref name="ldy"/>), over <paramref name="heads"/> heads of <paramref name="length"/>
    /// text tokens each.
    /// </summary>
    public void Attend(float* x, int ldx, int rows, ushort* keys, ushort* values, int heads, int length, int dim, float scale, float* y, int ldy)
    {
        if (rows <= 0 || length <= 0) return;
        int columns = heads * length;
        int ld = (columns + Width - 1) / Width * Width;
        EnsureScratch((long)rows * ld, Math.Max(dim, columns));
        _x = x; _ldx = ldx; _rows = rows; _keys = keys; _values = values; _heads = heads; _length = length; _dim = dim;
        _scale = scale; _y = y; _ldy = ldy; _ld = ld; _s = _scores.Pointer;

        _phase = Phase.Scores;
        _pool.Run(this, ld / Width);
        _phase = Phase.Softmax;
        _pool.Run(this, (rows + SoftmaxRowsPerChunk - 1) / SoftmaxRowsPerChunk);
        _phase = Phase.Mix;
        _pool.Run(this, (dim + Width - 1) / Width);
        _x = _y = _s = null;
        _keys = _values = null;
    }

    void EnsureScratch(long scores, int depth)
    {
        if (_scores.Length < scores) _scores = new PinnedFloats(scores);
        if (_panels.Length >= _pool.Workers && _panels[0].Length >= depth * Width) return;
        var panels = new float[_pool.Workers][];
        for (int i = 0; i < panels.Length; i++) panels[i] = GC.AllocateArray<float>(depth * Width, pinned: true);
        _panels = panels;
    }

    public void RunChunk(int chunk, int worker)
    {
        fixed (float* panel = _panels[worker])
            switch (_phase)
            {
                case Phase.Scores: Scores(chunk, panel); break;
                case Phase.Softmax: Softmax(chunk); break;
                default: Mix(chunk, panel); break;
            }
    }

    /// <summary>Columns <c>32c …</c> of S: 32 folded keys packed k-major, times every row.</summary>
    void Scores(int chunk, float* panel)
    {
        int first = chunk * Width, cols = Math.Min(Width, _heads * _length - first);
        for (int r = 0; r < _rows; r++) new Span<float>(_s + (long)r * _ld + first, Width).Clear();
        if (cols <= 0) return;
        WeightPanel.Pack(_keys + (long)first * _dim, cols, _dim, panel);
        MatMul.PanelProduct(_x, _ldx, _rows, panel, _dim, _s + first, _ld, cols);
    }

    void Softmax(int chunk)
    {
        int end = Math.Min(_rows, (chunk + 1) * SoftmaxRowsPerChunk);
        for (int r = chunk * SoftmaxRowsPerChunk; r < end; r++)
        {
            var row = new Span<float>(_s + (long)r * _ld, _heads * _length);
            TensorPrimitives.Multiply(row, _scale, row);
            Kernels.Softmax.Rows(row, _length);
        }
    }

    /// <summary>Outputs <c>32c …</c> of y: column block c of every Ṽ row (Ṽ is k-major already), times S.</summary>
    void Mix(int chunk, float* panel)
    {
        int first = chunk * Width, cols = Math.Min(Width, _dim - first), depth = _heads * _length;
        WeightPanel.PackLines(_values + first, _dim, depth, cols, panel);
        MatMul.PanelProduct(_s, _ld, _rows, panel, depth, _y + first, _ldy, cols);
    }
}

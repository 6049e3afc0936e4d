using Stage.Inference.Kernels;

namespace Stage.Inference.Models.T5;

/// <summary>
/// One of T5's bias-free linears, stored as float32 GEMM panels (exact: STAGE's goldens) or as bfloat16 rows (half the
/// memory; widened into the same GEMM panels per call by <see cref="RowsLinear"/>). The text runs once per request, so
/// its speed hardly matters; its 340 MB of float32 weights sit in the engine's working set all the time.
/// </summary>
sealed unsafe class T5Linear
{
    readonly LinearWeights? _float32;
    readonly RowWeights? _bfloat16;

    public T5Linear(float[] rowMajor, int outFeatures, int inFeatures, bool bfloat16)
    {
        if (!bfloat16)
        {
            _float32 = LinearWeights.FromRows(rowMajor, outFeatures, inFeatures);
            return;
        }
        _bfloat16 = RowWeights.BFloat16From(rowMajor, outFeatures, inFeatures);
    }

    public bool IsBFloat16 => _bfloat16 is not null;

    /// <summary>y [rows, out] = x [rows, in]·Wᵀ, or y += … when <paramref name="accumulate"/>; <paramref name="linear"/> runs the bfloat16 rows.</summary>
    public void Run(RowsLinear linear, ReadOnlySpan<float> x, int rows, Span<float> y, bool accumulate = false)
    {
        if (_float32 is not null)
        {
            MatMul.Linear(x, rows, _float32, y, accumulate);
            return;
        }
        var w = _bfloat16!;
        if (x.Length < rows * w.Cols || y.Length < rows * w.Rows) throw new ArgumentException($"[{rows}, {w.Cols}] → [{rows}, {w.Rows}] does not fit the buffers");
        fixed (float* px = x)
        fixed (float* py = y)
            linear.Run(px, w.Cols, rows, w, py, w.Rows, accumulate ? LinearOutput.Accumulate : LinearOutput.Store);
    }
}

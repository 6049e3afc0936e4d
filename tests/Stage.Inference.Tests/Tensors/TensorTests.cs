using Stage.Inference.Kernels;
using Stage.Inference.Tensors;

namespace Stage.Inference.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void ShapesViewsAndRows()
    {
        var t = new Tensor(2, 3, 4);
        Assert.Equal(24, t.Length);
        Assert.Equal(3, t.Rank);
        Assert.Equal(4, t.Dim(-1));
        for (int i = 0; i < 24; i++) t.Span[i] = i;

        Assert.Equal(12f, t[1][0]);
        var m = t.Reshape(-1, 4);
        Assert.Equal([6, 4], m.Shape);
        Assert.Equal([20f, 21f, 22f, 23f], m[5].ToArray());
        m[0][0] = 100f;                       // views share the buffer
        Assert.Equal(100f, t.Span[0]);

        var rows = m.Narrow(2, 3);
        Assert.Equal([3, 4], rows.Shape);
        Assert.Equal(8f, rows.Span[0]);
        Assert.Equal(8, rows.Offset);

        var copy = rows.Clone();
        copy.Span[0] = -1f;
        Assert.Equal(8f, rows.Span[0]);
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new Tensor(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => new Tensor(2, -1));
        Assert.Throws<ArgumentException>(() => new Tensor(2, 3).Reshape(4, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Tensor(2, 3).Narrow(1, 2));
        Assert.Throws<IndexOutOfRangeException>(() => { _ = new Tensor(2, 3)[2].Length; });
    }

    [Fact]
    public void CpuBackendRunsTheKernelsOnTensors()
    {
        IComputeBackend backend = CpuBackend.Instance;
        var x = new Tensor([1f, 2f, 3f, 4f], 2, 2);
        var w = LinearWeights.FromRows([1f, 0f, 1f, 1f, 0f, 2f], 3, 2, [0.5f, 0f, -1f]);
        var y = new Tensor(2, 3);
        backend.Linear(x, w, y);
        Assert.Equal([1.5f, 3f, 3f, 3.5f, 7f, 7f], y.Span.ToArray());

        var norm = new NormWeights([1f, 1f], [0f, 0f]);
        backend.LayerNorm(x, y.Reshape(-1).Narrow(0, 4).Reshape(2, 2), norm, 1e-5f);
        Assert.Equal(-1f, y.Span[0], 3);
        backend.Softmax(x, x);
        Assert.Equal(1f, x.Span[0] + x.Span[1], 6);
    }
}

using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Tensors;

namespace Stage.Inference.Models.EnCodec;

/// <summary>
/// SEANetResnetBlock with true_skip: y = x + conv_1(ELU(conv_k(ELU(x)))), the first conv
/// compressing the channels (dim / compress), the second a 1×1 back to dim.
/// </summary>
sealed class SeanetResidualBlock
{
    readonly SeanetConv1d _compress;
    readonly SeanetConv1d _expand;

    SeanetResidualBlock(SeanetConv1d compress, SeanetConv1d expand)
    {
        _compress = compress;
        _expand = expand;
    }

    /// <param name="convPrefix">Maps the index inside the block (1 or 3) to the conv's checkpoint prefix.</param>
    public static SeanetResidualBlock Load(IComputeBackend backend, SafetensorsFile file, Func<int, string> convPrefix, int dim, int hidden,
        int kernelSize, int dilation, PaddingMode padding, bool bfloat16)
    {
        var compress = SeanetConv1d.Load(backend, file, convPrefix(1), dim, hidden, kernelSize, 1, dilation, padding, bfloat16);
        var expand = SeanetConv1d.Load(backend, file, convPrefix(3), hidden, dim, 1, 1, 1, padding, bfloat16);
        return new SeanetResidualBlock(compress, expand);
    }

    /// <summary>Frames of x, either side, that one output frame depends on.</summary>
    public int Reach => _compress.Reach + _expand.Reach;

    /// <summary>x ← x + block(x), in place: the identity shortcut needs no copy of x.</summary>
    public void ForwardInPlace(Tensor x)
    {
        var hidden = _compress.Forward(x, eluInput: true);
        _expand.ForwardAdd(hidden, eluInput: true, x);
    }
}

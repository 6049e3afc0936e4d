using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Tensors;

namespace Stage.Inference.Models.EnCodec;

/// <summary>SConvTranspose1d, non-causal: weight-normed ConvTranspose1d, then trim k − stride frames (§4.4).</summary>
sealed class SeanetConvTranspose1d
{
    readonly IComputeBackend _backend;
    readonly ConvTranspose1dWeights _weights;

    SeanetConvTranspose1d(IComputeBackend backend, ConvTranspose1dWeights weights)
    {
        _backend = backend;
        _weights = weights;
    }

    /// <summary>
    /// Input frames, either side of a frame, that its own outputs and <paramref name="outputReach"/> outputs beyond
    /// them depend on. Trimmed output p comes from untrimmed q = p + trim_left, which inputs (q − k, q] / stride feed.
    /// </summary>
    public int InputReach(int outputReach)
    {
        int k = _weights.KernelSize, s = _weights.Stride;
        int left = ConvTranspose1d.NonCausalTrim(k, s).Left;
        int before = (outputReach - left + k - 1) / s;          // from the frame's first output minus the reach
        int after = (s - 1 + outputReach + left) / s;           // to its last output plus the reach
        return Math.Max(Math.Max(before, after), 0);
    }

    public static SeanetConvTranspose1d Load(IComputeBackend backend, SafetensorsFile file, string prefix, int inChannels, int outChannels, int kernelSize, int stride,
        bool bfloat16)
    {
        // ConvTranspose1d stores [in, out, k]; weight norm's dim 0 is therefore the input channel.
        var weight = WeightNorm.Read(file, prefix, [inChannels, outChannels, kernelSize]);
        var bias = file.ReadFloat32(prefix + ".bias", outChannels);
        var weights = ConvTranspose1dWeights.FromPyTorch(weight, inChannels, outChannels, kernelSize, bias, stride);
        return new SeanetConvTranspose1d(backend, bfloat16 ? weights.ToBFloat16() : weights);
    }

    /// <summary>x [T, in] → [T·stride, out] of ELU(x) when <paramref name="eluInput"/>.</summary>
    public Tensor Forward(Tensor x, bool eluInput)
    {
        int length = x.Dim(0);
        var (left, right) = ConvTranspose1d.NonCausalTrim(_weights.KernelSize, _weights.Stride);
        int outLength = ConvTranspose1d.FullLength(length, _weights) - left - right;
        var y = new Tensor(Math.Max(0, outLength), _weights.OutChannels);
        _backend.ConvTranspose1d(x, _weights, left, right, y, eluInput);
        return y;
    }
}

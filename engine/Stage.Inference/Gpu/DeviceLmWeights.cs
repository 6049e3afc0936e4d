using ILGPU;
using ILGPU.Runtime;
using Stage.Inference.Models.Lm;

namespace Stage.Inference.Gpu;

/// <summary>
/// One <see cref="MusicGenLm"/>'s weights on a device: the matrices in the device's <see cref="WeightPrecision"/>,
/// the codebook embeddings (only four rows of each are read per step) and the LayerNorms in float32.
/// Uploaded once per model and device, shared by every decoder of that model.
/// </summary>
sealed class DeviceLmWeights : IDisposable
{
    public DeviceLmWeights(Accelerator accelerator, MusicGenLm lm, WeightPrecision precision)
    {
        var d = lm.Dims;
        int width = d.AttentionDim;
        var all = new List<IDisposable>();
        _owned = all;
        MemoryBuffer1D<float, Stride1D.Dense> Floats(ReadOnlySpan<float> host)
        {
            var buffer = accelerator.Allocate1D<float>(host.Length);
            buffer.Flat().CopyFromCPU(host);
            all.Add(buffer);
            Bytes += buffer.LengthInBytes;
            return buffer;
        }
        DeviceMatrix Matrix(Kernels.RowWeights host, int rows, int cols)
        {
            // float32 on the host is uploaded as it is; a bfloat16 host copy is widened first (exactly).
            float[] values = new float[(long)host.Rows * host.Cols];
            host.CopyTo(values);
            var m = new DeviceMatrix(accelerator, values, rows, cols, precision);
            all.Add(m);
            Bytes += m.Bytes;
            return m;
        }
        DeviceNorm Norm(MusicGenLm.Norm n) => new(Floats(n.Weight).View, Floats(n.Bias).View);

        try
        {
            var embeddings = new float[(long)d.Codebooks * d.InputCard * d.Dim];
            for (int q = 0; q < d.Codebooks; q++)
                lm.TokenEmbeddings[q].CopyAll(embeddings.AsSpan(q * d.InputCard * d.Dim));
            Embeddings = Floats(embeddings).View;
            Layers = new DeviceLmLayer[d.Layers];
            for (int l = 0; l < d.Layers; l++)
            {
                var layer = lm.Layers[l];
                Layers[l] = new DeviceLmLayer(
                    Norm(layer.SelfNorm), Matrix(layer.SelfQkv, 3 * width, d.Dim), Matrix(layer.SelfOut, d.Dim, width),
                    Norm(layer.CrossNorm), Matrix(layer.CrossQuery, width, d.Dim), Matrix(layer.CrossKey, width, d.TextDim),
                    Matrix(layer.CrossValue, width, d.TextDim), Matrix(layer.CrossOut, d.Dim, width),
                    Norm(layer.FfnNorm), Matrix(layer.FfnIn, d.FfnDim, d.Dim), Matrix(layer.FfnOut, d.Dim, d.FfnDim));
            }
            FinalNorm = Norm(lm.FinalNorm);
            Heads = Matrix(lm.OutputHeads, d.Codebooks * d.Card, d.Dim);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    readonly List<IDisposable> _owned;

    /// <summary>Device memory the weights take.</summary>
    public long Bytes { get; private set; }

    public ArrayView<float> Embeddings { get; }
    public DeviceLmLayer[] Layers { get; } = [];
    public DeviceNorm FinalNorm { get; }
    public DeviceMatrix Heads { get; } = null!;

    public void Dispose()
    {
        foreach (var item in _owned) item.Dispose();
        _owned.Clear();
    }
}

readonly record struct DeviceNorm(ArrayView<float> Weight, ArrayView<float> Bias);

sealed record DeviceLmLayer(
    DeviceNorm SelfNorm, DeviceMatrix SelfQkv, DeviceMatrix SelfOut,
    DeviceNorm CrossNorm, DeviceMatrix CrossQuery, DeviceMatrix CrossKey, DeviceMatrix CrossValue, DeviceMatrix CrossOut,
    DeviceNorm FfnNorm, DeviceMatrix FfnIn, DeviceMatrix FfnOut);

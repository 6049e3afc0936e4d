using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Tensors;

namespace Stage.Inference.Models.EnCodec;

/// <summary>
/// Residual VQ (model-spec §4.7): each codebook quantises what the previous ones left over, picking
/// the nearest entry by argmax of −(‖x‖² − 2·x·e + ‖e‖²) in float32 (ties → lowest index, as
/// torch.argmax); decoding sums the chosen entries in codebook order.
/// </summary>
sealed class ResidualVectorQuantizer
{
    readonly float[][] _embed;        // per codebook [bins, dim]
    readonly float[][] _embedNorm;    // per codebook ‖e‖² [bins]
    readonly LinearWeights[] _scores; // x·eᵀ as a GEMM over all frames at once

    ResidualVectorQuantizer(int dimension, int bins, float[][] embed)
    {
        Dimension = dimension;
        Bins = bins;
        _embed = embed;
        _embedNorm = new float[embed.Length][];
        _scores = new LinearWeights[embed.Length];
        for (int q = 0; q < embed.Length; q++)
        {
            var norms = new float[bins];
            for (int e = 0; e < bins; e++)
            {
                float s = 0;
                var row = embed[q].AsSpan(e * dimension, dimension);
                foreach (float v in row) s += v * v;
                norms[e] = s;
            }
            _embedNorm[q] = norms;
            _scores[q] = LinearWeights.FromRows(embed[q], bins, dimension);
        }
    }

    public int Dimension { get; }
    public int Bins { get; }
    public int Codebooks => _embed.Length;

    public static ResidualVectorQuantizer Load(SafetensorsFile file, EncodecConfig c)
    {
        var embed = new float[c.Codebooks][];
        for (int q = 0; q < c.Codebooks; q++) embed[q] = file.ReadFloat32(StageCheckpointLayout.Encodec.Codebook(q), c.Bins, c.Dimension);
        return new ResidualVectorQuantizer(c.Dimension, c.Bins, embed);
    }

    /// <summary>latent [T, dim] → codes [codebooks, T].</summary>
    public CodeMatrix Encode(Tensor latent)
    {
        int frames = latent.Dim(0), dim = Dimension;
        var codes = new CodeMatrix(Codebooks, frames);
        var residual = latent.Clone();
        var scores = new float[frames * Bins];
        for (int q = 0; q < Codebooks; q++)
        {
            MatMul.Linear(residual.ReadOnlySpan, frames, _scores[q], scores);
            var norms = _embedNorm[q];
            var row = codes.Codebook(q);
            for (int t = 0; t < frames; t++)
            {
                var x = residual[t];
                float xx = 0;
                foreach (float v in x) xx += v * v;
                var s = scores.AsSpan(t * Bins, Bins);
                int best = 0;
                float bestScore = float.NegativeInfinity;
                for (int e = 0; e < Bins; e++)
                {
                    float d = -(xx - 2f * s[e] + norms[e]);
                    if (d > bestScore) { bestScore = d; best = e; }
                }
                row[t] = best;
                var entry = _embed[q].AsSpan(best * dim, dim);
                System.Numerics.Tensors.TensorPrimitives.Subtract(x, entry, x);
            }
        }
        return codes;
    }

    /// <summary>codes [codebooks, T] → latent [T, dim] = Σ_q embed_q[code].</summary>
    public Tensor Decode(CodeMatrix codes)
    {
        if (codes.Codebooks > Codebooks) throw new ArgumentException($"codes have {codes.Codebooks} codebooks, the quantizer {Codebooks}");
        int frames = codes.Frames, dim = Dimension;
        var latent = new Tensor(frames, dim);
        for (int q = 0; q < codes.Codebooks; q++)
        {
            var row = codes.Codebook(q);
            for (int t = 0; t < frames; t++)
            {
                int code = row[t];
                if ((uint)code >= (uint)Bins) throw new ArgumentOutOfRangeException(nameof(codes), $"code {code} at codebook {q}, frame {t} is outside [0, {Bins})");
                Elementwise.AddInPlace(latent[t], _embed[q].AsSpan(code * dim, dim));
            }
        }
        return latent;
    }
}

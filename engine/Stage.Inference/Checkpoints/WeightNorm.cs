namespace Stage.Inference.Checkpoints;

/// <summary>
/// Weight normalisation folded once at load time: w = g · v / ‖v‖ with the norm over every axis but
/// dim 0 and no epsilon (torch._weight_norm(v, g, 0)). Dim 0 is the output channel of a Conv1d
/// ([out, in, k]) but the input channel of a ConvTranspose1d ([in, out, k]); the fold is the same.
/// </summary>
public static class WeightNorm
{
    /// <summary>
    /// The effective weight of module <paramref name="prefix"/> (e.g. "encodec_model.encoder.model.0.conv.conv"),
    /// stored either as <c>parametrizations.weight.original0/1</c> (g, v), as <c>weight_g/weight_v</c>,
    /// or already folded as <c>weight</c>.
    /// </summary>
    public static float[] Read(SafetensorsFile file, string prefix, int[] expectedShape)
    {
        string g, v;
        if (file.Contains(prefix + ".parametrizations.weight.original1"))
        {
            g = prefix + ".parametrizations.weight.original0";
            v = prefix + ".parametrizations.weight.original1";
        }
        else if (file.Contains(prefix + ".weight_v"))
        {
            g = prefix + ".weight_g";
            v = prefix + ".weight_v";
        }
        else if (file.Contains(prefix + ".weight"))
        {
            return file.ReadFloat32(prefix + ".weight", expectedShape);
        }
        else
        {
            throw new CheckpointException($"{file.Path}: missing tensor '{prefix}.parametrizations.weight.original1' (nor '{prefix}.weight_v' or '{prefix}.weight')");
        }
        var direction = file.ReadFloat32(v, expectedShape);
        var gain = file.ReadFloat32(g, WithOnes(expectedShape));
        Fold(gain, direction, expectedShape[0]);
        return direction;
    }

    static int[] WithOnes(int[] shape)
    {
        var s = new int[shape.Length];
        s[0] = shape[0];
        for (int i = 1; i < s.Length; i++) s[i] = 1;
        return s;
    }

    /// <summary>In place: v[i, …] ← g[i] · v[i, …] / ‖v[i, …]‖ for each of the <paramref name="dim0"/> slices.</summary>
    public static void Fold(ReadOnlySpan<float> g, Span<float> v, int dim0)
    {
        if (g.Length != dim0 || v.Length % dim0 != 0) throw new ArgumentException("g must hold dim0 values and v whole slices");
        int inner = v.Length / dim0;
        for (int i = 0; i < dim0; i++)
        {
            var slice = v.Slice(i * inner, inner);
            double sq = 0;
            foreach (float x in slice) sq += (double)x * x;
            float norm = (float)Math.Sqrt(sq);
            float scale = g[i] / norm;
            for (int j = 0; j < inner; j++) slice[j] = slice[j] * scale;
        }
    }
}

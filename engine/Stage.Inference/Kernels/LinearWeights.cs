namespace Stage.Inference.Kernels;

/// <summary>
/// The weight of y = x·Wᵀ + b, prepared once at load time for <see cref="MatMul"/>: W [out, in]
/// is repacked into column panels of <see cref="PanelWidth"/> outputs, each panel stored k-major
/// ([in][PanelWidth]), so the GEMM micro-kernel streams one contiguous panel per output block and
/// every weight is read once per call however many rows x has. Layers with fewer than
/// <see cref="PanelWidth"/>/2 outputs keep the row layout and use dot products instead.
/// <para>
/// <see cref="ToBFloat16"/> keeps the panels as bfloat16 (half the memory; EnCodec's weights below a float32 LM): the GEMM
/// widens one depth block of a panel at a time, exactly, and runs its float32 tiles over it, so the widening is paid once
/// per block of rows and a one-row product (the LSTM's recurrent step) reads half the bytes.
/// </para>
/// </summary>
public sealed unsafe class LinearWeights : PreparedWeights
{
    public const int PanelWidth = 32;

    LinearWeights(int outFeatures, int inFeatures, float[]? panels, float[]? rows, float[] bias, bool hasBias, ushort[]? bfloat16Panels = null)
    {
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Panels = panels;
        BFloat16Panels = bfloat16Panels;
        Rows = rows;
        Bias = bias;
        HasBias = hasBias;
    }

    public int OutFeatures { get; }
    public int InFeatures { get; }
    public bool HasBias { get; }

    /// <summary>Packed panels [ceil(out/32)][in][32], zero-filled past OutFeatures; null in row layout or as bfloat16.</summary>
    internal float[]? Panels { get; }
    /// <summary>The same panels as bfloat16 (see <see cref="ToBFloat16"/>); null otherwise.</summary>
    internal ushort[]? BFloat16Panels { get; }

    /// <summary>Whether the panels are kept as bfloat16.</summary>
    public bool IsBFloat16 => BFloat16Panels is not null;
    /// <summary>Row layout [out][in]; null when packed.</summary>
    internal float[]? Rows { get; }
    /// <summary>Bias [out] (zeros when the layer has none).</summary>
    internal float[] Bias { get; }

    internal int PanelCount => (OutFeatures + PanelWidth - 1) / PanelWidth;

    /// <summary>The weight back in the PyTorch layout [out, in] (for a backend that keeps its own copy).</summary>
    internal float[] RowMajor()
    {
        if (Rows is not null) return Rows;
        var rows = new float[(long)OutFeatures * InFeatures];
        for (int o = 0; o < OutFeatures; o++)
        {
            long baseIndex = (long)(o / PanelWidth) * InFeatures * PanelWidth + o % PanelWidth;
            for (int k = 0; k < InFeatures; k++)
            {
                long at = baseIndex + (long)k * PanelWidth;
                rows[(long)o * InFeatures + k] = Panels is not null ? Panels[at] : BitConverter.UInt32BitsToSingle((uint)BFloat16Panels![at] << 16);
            }
        }
        return rows;
    }

    /// <summary>
    /// The same weights with their panels rounded to bfloat16, to nearest even (this one is left as it is). The row layout
    /// of a small layer and the bias stay float32.
    /// </summary>
    public LinearWeights ToBFloat16()
    {
        if (Panels is null) return this;
        var bf16 = new ushort[Panels.Length];
        fixed (float* source = Panels)
        fixed (ushort* target = bf16)
            RowWeights.RoundToBFloat16(source, target, Panels.Length);
        return new LinearWeights(OutFeatures, InFeatures, null, null, Bias, HasBias, bf16);
    }

    /// <summary>From the PyTorch nn.Linear layout W [out, in] (row-major) and an optional bias [out].</summary>
    public static LinearWeights FromRows(ReadOnlySpan<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> bias = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        if (weight.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"weight holds {weight.Length} floats, expected [{outFeatures}, {inFeatures}]");
        if (!bias.IsEmpty && bias.Length != outFeatures)
            throw new ArgumentException($"bias holds {bias.Length} floats, expected [{outFeatures}]");
        var b = new float[outFeatures];
        bias.CopyTo(b);
        if (outFeatures < PanelWidth / 2)
            return new LinearWeights(outFeatures, inFeatures, null, weight.ToArray(), b, !bias.IsEmpty);

        int panelCount = (outFeatures + PanelWidth - 1) / PanelWidth;
        var panels = new float[(long)panelCount * inFeatures * PanelWidth];
        for (int o = 0; o < outFeatures; o++)
        {
            int p = o / PanelWidth, c = o % PanelWidth;
            var row = weight.Slice(o * inFeatures, inFeatures);
            long baseIndex = (long)p * inFeatures * PanelWidth + c;
            for (int k = 0; k < inFeatures; k++) panels[baseIndex + (long)k * PanelWidth] = row[k];
        }
        return new LinearWeights(outFeatures, inFeatures, panels, null, b, !bias.IsEmpty);
    }
}

namespace Stage.Inference.Models.T5;

/// <summary>
/// The cross-attention memory for one prompt, as STAGE's <c>T5Embedder.embed</c> returns it:
/// <c>output_proj(T5(ids)) · mask</c>, shape [<see cref="Length"/>, <see cref="Dim"/>] row-major.
/// The null condition (prompt <c>""</c> or none) is all zeros with an all-zero mask; STAGE's LM
/// then attends those zero vectors (it rewrites a fully masked row to zeros + all-true mask), and
/// since the cross-attention projections have no bias the text contributes exactly 0.
/// </summary>
public sealed class TextCondition
{
    public TextCondition(float[] states, byte[] mask, int[] inputIds, int dim, bool isNull)
    {
        if (mask.Length != inputIds.Length) throw new ArgumentException("mask and ids differ in length");
        if (states.Length != mask.Length * dim) throw new ArgumentException($"states hold {states.Length} floats, expected {mask.Length}×{dim}");
        States = states;
        Mask = mask;
        InputIds = inputIds;
        Dim = dim;
        IsNull = isNull;
    }

    /// <summary>Projected T5 states [Length, Dim]; exactly 0 wherever <see cref="Mask"/> is 0.</summary>
    public float[] States { get; }
    /// <summary>1 = a real token (incl. EOS), 0 = padding or the null condition.</summary>
    public byte[] Mask { get; }
    /// <summary>The T5 input ids (EOS-terminated, pad-filled).</summary>
    public int[] InputIds { get; }
    public int Length => Mask.Length;
    /// <summary>The LM width (the projection's output size).</summary>
    public int Dim { get; }
    /// <summary>True for the unconditional (empty-prompt) memory: zeros, fully masked.</summary>
    public bool IsNull { get; }

    /// <summary>The null condition of one position (what STAGE's T5Embedder gives for <c>""</c> on its own).</summary>
    public static TextCondition Null(int dim, int eosId = 1) => new(new float[dim], [0], [eosId], dim, isNull: true);
}

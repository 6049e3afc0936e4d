namespace Stage.Inference.Models.Lm;

/// <summary>
/// Sizes of a MusicGen LM as STAGE builds it. Read from the checkpoint's shapes, never assumed: STAGE
/// hard-codes a head dimension of 64, so attention width is <c>Heads · 64</c>, which equals
/// <see cref="Dim"/> only at full size.
/// </summary>
public sealed record LmDimensions(int Dim, int Layers, int Heads, int HeadDim, int FfnDim, int Codebooks, int InputCard, int Card, int TextDim)
{
    /// <summary>Width of q, k and v: heads × head dimension.</summary>
    public int AttentionDim => Heads * HeadDim;

    /// <summary>STAGE's released size (MusicGen-Small): dim 1024, 24 layers, 16 heads of 64, FFN 4096.</summary>
    public static LmDimensions MusicGenSmall { get; } = new(1024, 24, 16, 64, 4096, 4, 2050, 2048, 1024);

    /// <summary>Weights of the layers a decode step reads (embeddings excluded: only four rows each are touched).</summary>
    public long StepParameters =>
        (long)Layers * (4L * Dim * AttentionDim + 2L * Dim * AttentionDim + 2L * Dim * FfnDim) + (long)Codebooks * Card * Dim;
}

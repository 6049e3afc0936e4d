namespace Stage.Inference.Models.Lm;

/// <summary>
/// How an <see cref="LmStream"/> keeps its self-attention keys and values. A decode step reads the whole cache, the largest
/// thing it reads after the weights (a fifth of an int8 step's time before the int8 cache), so the cache follows the
/// weights: float32 weights keep a float32 cache (exact results), bfloat16 weights a bfloat16 cache, int8 weights an int8
/// cache.
/// </summary>
public enum CachePrecision
{
    Float32,

    /// <summary>Rounded to nearest even, widened exactly when read.</summary>
    BFloat16,

    /// <summary>
    /// Each head's 64 values of a step scaled so the largest magnitude is 127 and rounded to nearest, with one float32
    /// scale per head and step (68 bytes where float32 takes 256).
    /// </summary>
    Int8,
}

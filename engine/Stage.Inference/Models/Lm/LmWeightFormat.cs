namespace Stage.Inference.Models.Lm;

/// <summary>How the LM keeps its linear weights in memory (embeddings and norms stay float32).</summary>
public enum LmWeightFormat
{
    /// <summary>As trained and as the goldens were made: exact.</summary>
    Float32,

    /// <summary>
    /// IEEE half precision (11-bit significand, rounded to nearest once at load): half the bytes a decode
    /// step streams, which is what bounds its speed; activations and accumulation stay float32. MusicGen
    /// itself runs in float16 on GPUs. Logits move by ~1e-3 relative, so greedy ties may resolve differently.
    /// </summary>
    Float16,
}

using System.Numerics.Tensors;

namespace Stage.Inference.Generation;

/// <summary>STAGE's guidance on raw logits: <c>uncond + (cond − uncond) · g</c>, in that operation order.</summary>
public static class ClassifierFreeGuidance
{
    /// <summary>STAGE hard-codes 3.0.</summary>
    public const float DefaultScale = 3.0f;

    public static void Combine(ReadOnlySpan<float> conditional, ReadOnlySpan<float> unconditional, float scale, Span<float> guided)
    {
        if (conditional.Length != unconditional.Length || guided.Length < conditional.Length)
            throw new ArgumentException("guidance needs logits of equal length");
        TensorPrimitives.Subtract(conditional, unconditional, guided);
        TensorPrimitives.Multiply(guided, scale, guided);
        TensorPrimitives.Add(guided, unconditional, guided);
    }
}

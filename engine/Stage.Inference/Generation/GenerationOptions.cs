namespace Stage.Inference.Generation;

/// <summary>What to generate and how to sample it (defaults = STAGE's released inference).</summary>
public sealed record GenerationOptions
{
    /// <summary>Stem frames to generate (50 per second).</summary>
    public int Frames { get; init; }

    /// <summary>Softmax temperature on the guided logits; 0 is greedy. STAGE has none (1.0).</summary>
    public float Temperature { get; init; } = 1.0f;

    /// <summary>Top-k of the sampler; 1 is greedy, 0 keeps every token. STAGE hard-codes 250.</summary>
    public int TopK { get; init; } = 250;

    /// <summary>Classifier-free guidance scale on raw logits. STAGE hard-codes 3.0.</summary>
    public float Guidance { get; init; } = ClassifierFreeGuidance.DefaultScale;

    /// <summary>Seed of the <see cref="Xoshiro256StarStar"/> sampler; the same seed gives the same codes.</summary>
    public ulong Seed { get; init; }

    /// <summary>Text description for the T5 condition; null or empty is the null condition.</summary>
    public string? Prompt { get; init; }

    /// <summary>
    /// STAGE's audio prompt (continuation): codes <c>[4][P]</c> that fill the first P stem frames, after the
    /// context token; generation continues after them. <see cref="Frames"/> counts only the new frames.
    /// </summary>
    public int[][]? PromptCodes { get; init; }
}

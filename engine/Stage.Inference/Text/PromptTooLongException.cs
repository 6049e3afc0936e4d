namespace Stage.Inference.Text;

/// <summary>A prompt that encodes to more tokens than the text encoder accepts.</summary>
public sealed class PromptTooLongException(int tokenCount, int maxTokens)
    : ArgumentException(
        $"the prompt is {tokenCount} tokens long (counting the end-of-sequence token) but the T5 text encoder " +
        $"takes at most {maxTokens} tokens; shorten the prompt")
{
    public int TokenCount { get; } = tokenCount;
    public int MaxTokens { get; } = maxTokens;
}

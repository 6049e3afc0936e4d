namespace Stage.Inference.Text;

/// <summary>
/// Prompts tokenised together, right-padded to the longest with the pad id (T5Tokenizer
/// <c>padding=True</c>). Row-major <c>[Count, Length]</c>; <see cref="Mask"/> is 1 for real tokens
/// (including EOS) and 0 for padding.
/// </summary>
public sealed class TokenBatch
{
    public required int Count { get; init; }
    public required int Length { get; init; }
    public required int[] Ids { get; init; }
    public required byte[] Mask { get; init; }
    /// <summary>Unpadded token count of each row.</summary>
    public required int[] Lengths { get; init; }

    public ReadOnlySpan<int> Row(int index) => Ids.AsSpan(index * Length, Length);
    public ReadOnlySpan<byte> MaskRow(int index) => Mask.AsSpan(index * Length, Length);
}

namespace Stage.Inference.Models.Lm;

/// <summary>
/// One step to append to a stream: the four codebook tokens of that step and its position. Rows of the
/// same stream in one forward call must come in step order. <see cref="WantsLogits"/> asks for the
/// logits predicting the next step.
/// </summary>
public readonly struct LmRow
{
    public LmRow(LmStream stream, int position, ReadOnlySpan<int> tokens, bool wantsLogits)
    {
        if (tokens.Length != 4) throw new ArgumentException($"a step has 4 codebook tokens, got {tokens.Length}", nameof(tokens));
        Stream = stream;
        Position = position;
        Token0 = tokens[0]; Token1 = tokens[1]; Token2 = tokens[2]; Token3 = tokens[3];
        WantsLogits = wantsLogits;
    }

    public LmStream Stream { get; }
    public int Position { get; }
    public int Token0 { get; }
    public int Token1 { get; }
    public int Token2 { get; }
    public int Token3 { get; }
    public bool WantsLogits { get; }

    public int Token(int codebook) => codebook switch
    {
        0 => Token0,
        1 => Token1,
        2 => Token2,
        3 => Token3,
        _ => throw new ArgumentOutOfRangeException(nameof(codebook)),
    };
}

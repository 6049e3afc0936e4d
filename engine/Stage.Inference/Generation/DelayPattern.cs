namespace Stage.Inference.Generation;

/// <summary>
/// MusicGen's delay pattern with delays [0, 1, 2, 3] (audiocraft <c>DelayedPatternProvider</c>,
/// empty first step): a code matrix of <c>T</c> frames becomes <c>T + 4</c> interleaved steps; step 0 is
/// all special, and codebook q of frame t sits at step <c>t + q + 1</c>.
/// </summary>
public static class DelayPattern
{
    public const int Codebooks = 4;

    /// <summary>Interleaved steps for <paramref name="frames"/> frames: one leading empty step plus the largest delay.</summary>
    public static int StepCount(int frames) => frames + Codebooks;

    /// <summary>The step at which codebook <paramref name="codebook"/> of frame <paramref name="frame"/> sits.</summary>
    public static int StepOf(int frame, int codebook) => frame + codebook + 1;

    /// <summary>The frame that codebook <paramref name="codebook"/> holds at step <paramref name="step"/>;
    /// outside <c>[0, frames)</c> the step is delay padding.</summary>
    public static int FrameAt(int step, int codebook) => step - codebook - 1;

    /// <summary>Interleaves <c>codes[q][t]</c> into <c>[q][step]</c>, <paramref name="special"/> where no frame sits.</summary>
    public static int[][] Interleave(int[][] codes, int special)
    {
        int frames = FrameCount(codes);
        int steps = StepCount(frames);
        var sequence = new int[Codebooks][];
        for (int q = 0; q < Codebooks; q++)
        {
            sequence[q] = new int[steps];
            for (int s = 0; s < steps; s++)
            {
                int t = FrameAt(s, q);
                sequence[q][s] = t >= 0 && t < frames ? codes[q][t] : special;
            }
        }
        return sequence;
    }

    /// <summary>Inverse of <see cref="Interleave"/>: <c>codes[q][t] = sequence[q][t + q + 1]</c>.</summary>
    public static int[][] Revert(int[][] sequence)
    {
        if (sequence.Length != Codebooks)
            throw new ArgumentException($"expected {Codebooks} codebooks, got {sequence.Length}", nameof(sequence));
        int frames = sequence[0].Length - Codebooks;
        if (frames < 0)
            throw new ArgumentException($"a delayed sequence has at least {Codebooks} steps, got {sequence[0].Length}", nameof(sequence));
        var codes = new int[Codebooks][];
        for (int q = 0; q < Codebooks; q++)
        {
            if (sequence[q].Length != frames + Codebooks)
                throw new ArgumentException("codebooks of a delayed sequence differ in length", nameof(sequence));
            codes[q] = sequence[q].AsSpan(q + 1, frames).ToArray();
        }
        return codes;
    }

    /// <summary>Validity of each (codebook, step): true iff a real frame sits there.</summary>
    public static bool IsValid(int step, int codebook, int frames)
    {
        int t = FrameAt(step, codebook);
        return t >= 0 && t < frames;
    }

    internal static int FrameCount(int[][] codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.Length != Codebooks)
            throw new ArgumentException($"expected {Codebooks} codebooks, got {codes.Length}", nameof(codes));
        for (int q = 0; q < Codebooks; q++)
            if (codes[q] is null) throw new ArgumentException($"codebook {q} is missing (null)", nameof(codes));
        int frames = codes[0].Length;
        for (int q = 1; q < Codebooks; q++)
            if (codes[q].Length != frames)
                throw new ArgumentException($"codebook {q} has {codes[q].Length} frames, codebook 0 has {frames}", nameof(codes));
        return frames;
    }
}

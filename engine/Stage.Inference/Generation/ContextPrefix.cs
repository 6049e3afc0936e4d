namespace Stage.Inference.Generation;

/// <summary>The two rows STAGE feeds the LM for classifier-free guidance.</summary>
public enum PrefixRow
{
    /// <summary>Context codes, the context token, then the stem; attends to the text.</summary>
    Conditional,
    /// <summary>Context codes replaced by the special token (and masked), no text.</summary>
    Unconditional,
}

/// <summary>
/// STAGE's sequence layout (spec §1.3–1.5): per codebook the frames
/// <c>[context (C) | one frame of ContextToken | prompt (P) | generated (N)]</c>, interleaved with the
/// <see cref="DelayPattern"/>. Unknown generated entries hold −1 until sampled.
/// <para>
/// STAGE masks every step whose entries are all special tokens inside the conditioning area and counts
/// positions from the first unmasked step. Masked steps are never attended, so each row is exactly a
/// causal stream starting at <see cref="FirstStep"/> with position <c>step − FirstStep</c>:
/// the conditional stream starts on the first context step, the unconditional one on the context-token step.
/// </para>
/// </summary>
public sealed class ContextPrefix
{
    /// <summary>Delay padding and masked context (embedding row 2048, zero in STAGE).</summary>
    public const int SpecialToken = 2048;
    /// <summary>STAGE's context token ("sep"), one full frame between the context and the stem.</summary>
    public const int ContextToken = 2049;
    /// <summary>Codes EnCodec produces: 0 .. Card−1.</summary>
    public const int Card = 2048;
    const int Unknown = -1;

    readonly int[][] _frames; // [codebook][frame], the un-interleaved X of the spec

    public ContextPrefix(int[][] contextCodes, int[][]? promptCodes, int generatedFrames)
    {
        ArgumentNullException.ThrowIfNull(contextCodes);
        ContextFrames = DelayPattern.FrameCount(contextCodes);
        PromptFrames = promptCodes is null ? 0 : DelayPattern.FrameCount(promptCodes);
        if (generatedFrames < 1)
            throw new ArgumentOutOfRangeException(nameof(generatedFrames), generatedFrames, "at least one frame must be generated");
        GeneratedFrames = generatedFrames;
        CheckCodes(contextCodes, "context");
        if (promptCodes is not null) CheckCodes(promptCodes, "prompt");

        _frames = new int[DelayPattern.Codebooks][];
        for (int q = 0; q < DelayPattern.Codebooks; q++)
        {
            var row = new int[Frames];
            contextCodes[q].CopyTo(row, 0);
            row[ContextFrames] = ContextToken;
            promptCodes?[q].CopyTo(row, ContextFrames + 1);
            row.AsSpan(FirstGeneratedFrame).Fill(Unknown);
            _frames[q] = row;
        }
    }

    public int ContextFrames { get; }
    public int PromptFrames { get; }
    public int GeneratedFrames { get; }

    /// <summary>All frames: context, the context-token frame, prompt and generated.</summary>
    public int Frames => ContextFrames + 1 + PromptFrames + GeneratedFrames;

    /// <summary>Interleaved steps of the whole sequence.</summary>
    public int Steps => DelayPattern.StepCount(Frames);

    /// <summary>Index (in frames) of the first generated frame.</summary>
    public int FirstGeneratedFrame => ContextFrames + 1 + PromptFrames;

    /// <summary>The first step that holds a generated entry (STAGE's start_offset); every earlier step is known.</summary>
    public int StartStep => DelayPattern.StepOf(FirstGeneratedFrame, 0);

    /// <summary>First unmasked step of a row: the first context step (conditional) or the context-token step (unconditional).</summary>
    public int FirstStep(PrefixRow row) => row == PrefixRow.Conditional ? 1 : DelayPattern.StepOf(ContextFrames, 0);

    /// <summary>Position of an unmasked step in its row.</summary>
    public int Position(PrefixRow row, int step) => step - FirstStep(row);

    /// <summary>Token of a row at (step, codebook): −1 where not yet generated.</summary>
    public int Token(PrefixRow row, int step, int codebook)
    {
        int t = DelayPattern.FrameAt(step, codebook);
        if (t < 0 || t >= Frames) return SpecialToken;
        if (row == PrefixRow.Unconditional && t < ContextFrames) return SpecialToken;
        return _frames[codebook][t];
    }

    /// <summary>The four tokens of a step, all of which must be known.</summary>
    public void StepTokens(PrefixRow row, int step, Span<int> tokens)
    {
        for (int q = 0; q < DelayPattern.Codebooks; q++)
        {
            int token = Token(row, step, q);
            if (token == Unknown)
                throw new InvalidOperationException($"step {step} codebook {q} has not been generated yet");
            tokens[q] = token;
        }
    }

    /// <summary>The generated frame that codebook <paramref name="codebook"/> receives at <paramref name="step"/>,
    /// or −1 when that entry is context, prompt or padding (then the sampled token is discarded).</summary>
    public int GeneratedFrameAt(int step, int codebook)
    {
        int t = DelayPattern.FrameAt(step, codebook) - FirstGeneratedFrame;
        return t >= 0 && t < GeneratedFrames ? t : -1;
    }

    /// <summary>Writes a sampled code into the generated entry that <paramref name="step"/> holds for
    /// <paramref name="codebook"/>, if it holds one that is still unknown; returns whether it did.</summary>
    public bool Write(int step, int codebook, int code)
    {
        int t = GeneratedFrameAt(step, codebook);
        if (t < 0) return false;
        ref int entry = ref _frames[codebook][FirstGeneratedFrame + t];
        if (entry != Unknown) return false;
        if ((uint)code >= Card)
            throw new ArgumentOutOfRangeException(nameof(code), code, $"codes are 0..{Card - 1}");
        entry = code;
        return true;
    }

    /// <summary>Code of generated frame <paramref name="frame"/> (0-based among the generated), −1 if unknown.</summary>
    public int Generated(int codebook, int frame) => _frames[codebook][FirstGeneratedFrame + frame];

    /// <summary>The generated codes <c>[4][N]</c> (pattern undone, context/prompt dropped).</summary>
    public int[][] GeneratedCodes()
    {
        var codes = new int[DelayPattern.Codebooks][];
        for (int q = 0; q < codes.Length; q++)
            codes[q] = _frames[q].AsSpan(FirstGeneratedFrame, GeneratedFrames).ToArray();
        return codes;
    }

    // ---- The full-sequence view STAGE computes (prepare_for_generation, MusicgenLm.forward). ----

    /// <summary>Interleaved tokens of a row, <c>[codebook][step]</c>.</summary>
    public int[][] Sequence(PrefixRow row)
    {
        var tokens = new int[DelayPattern.Codebooks][];
        for (int q = 0; q < tokens.Length; q++)
        {
            tokens[q] = new int[Steps];
            for (int s = 0; s < Steps; s++) tokens[q][s] = Token(row, s, q);
        }
        return tokens;
    }

    /// <summary>STAGE's per-entry mask: pattern-valid and not a special token inside the conditioning area
    /// (the steps before each codebook's first generated entry).</summary>
    public bool[][] FinalMask(PrefixRow row)
    {
        var mask = new bool[DelayPattern.Codebooks][];
        for (int q = 0; q < mask.Length; q++)
        {
            mask[q] = new bool[Steps];
            int lastConditioningStep = StartStep + q - 2;
            for (int s = 0; s < Steps; s++)
            {
                bool valid = DelayPattern.IsValid(s, q, Frames);
                bool masked = Token(row, s, q) == SpecialToken && s <= lastConditioningStep;
                mask[q][s] = valid && !masked;
            }
        }
        return mask;
    }

    /// <summary>Per-step key mask: a step is attended iff any of its entries is valid.</summary>
    public bool[] AttentionMask(PrefixRow row)
    {
        var entries = FinalMask(row);
        var mask = new bool[Steps];
        for (int s = 0; s < Steps; s++)
            for (int q = 0; q < entries.Length; q++)
                mask[s] |= entries[q][s];
        return mask;
    }

    /// <summary>Positions as MusicgenLm computes them: <c>s − first</c> from the first attended step, 0 before.</summary>
    public int[] Positions(PrefixRow row)
    {
        var mask = AttentionMask(row);
        int first = Array.IndexOf(mask, true);
        if (first < 0) first = 0;
        var positions = new int[Steps];
        for (int s = first; s < Steps; s++) positions[s] = s - first;
        return positions;
    }

    static void CheckCodes(int[][] codes, string what)
    {
        for (int q = 0; q < codes.Length; q++)
            foreach (int code in codes[q])
                if ((uint)code >= Card)
                    throw new ArgumentException($"{what} code {code} in codebook {q} is outside 0..{Card - 1}");
    }
}

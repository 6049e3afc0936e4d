namespace Stage.Inference.Generation;

/// <summary>
/// Generates stems longer than STAGE's 10 s training window, window by window (spec §1.12; STAGE itself has no
/// such mode, this is the project's design on top of STAGE's audio-prompt continuation).
/// </summary>
/// <remarks>
/// <para>Window 0 generates the first <see cref="WindowFrames"/> frames (10 s) with the context's first 10 s.
/// Every later window starts <see cref="OverlapFrames"/> frames before the end of what exists: those frames are
/// fed back as STAGE's audio prompt (they fill the first target frames after the context token) and the window
/// generates up to <see cref="WindowFrames"/> − <see cref="OverlapFrames"/> new frames. Its context is the
/// context signal from the window's start, at most 10 s, re-encoded — the context advances in step with the stem,
/// keeping the t = 0 alignment of context and target that STAGE was trained with. Positions stay within
/// C + 1 + 500 + 3 ≤ 1004, the longest sequence STAGE saw in training.</para>
/// <para>Limits: the model only hears the last <see cref="OverlapFrames"/> frames (5 s) of its own stem, so
/// structure longer than that (a fill every 8 bars) is not planned across windows; each later window costs a
/// re-encoded context and a prompt prefill; when the context audio has ended, later windows are generated with
/// no context (C = 0), i.e. from the text and the stem's own past only. Window w uses seed + w·7919 so windows
/// do not replay one random stream.</para>
/// </remarks>
public static class WindowedStemGenerator
{
    /// <summary>Stem frames per window: STAGE's 10 s training target.</summary>
    public const int WindowFrames = 500;

    /// <summary>Frames of the previous window fed back as the prompt of the next: 5 s.</summary>
    public const int OverlapFrames = 250;

    /// <param name="contextCodes">The EnCodec codes [4][C] of the context heard by a window starting at the given
    /// stem frame (see <see cref="StemContext.Window"/>); the same for every variation, so callers may cache them.</param>
    /// <param name="options">Sampling options; <see cref="GenerationOptions.Frames"/> is the whole stem's length.</param>
    /// <param name="onStep">(frames done, frames requested) over the whole stem, after every LM step.</param>
    /// <param name="onFrame">Each stem frame once final, in order, numbered over the whole stem.</param>
    public static int[][] Generate(StageGenerator generator, StageModel model, Func<int, int[][]> contextCodes, GenerationOptions options,
        Action<int, int>? onStep, FrameCallback? onFrame, CancellationToken cancel)
    {
        int total = options.Frames;
        var codes = new int[DelayPattern.Codebooks][];
        for (int q = 0; q < codes.Length; q++) codes[q] = new int[total];
        var text = model.EncodeText(options.Prompt);   // the same prompt steers every window
        int done = 0;
        for (int window = 0; done < total; window++)
        {
            int prompt = window == 0 ? 0 : Math.Min(OverlapFrames, done);
            int start = done - prompt;
            int fresh = Math.Min(WindowFrames - prompt, total - done);
            int[][]? promptCodes = null;
            if (prompt > 0)
            {
                promptCodes = new int[codes.Length][];
                for (int q = 0; q < codes.Length; q++) promptCodes[q] = codes[q][start..done];
            }
            var windowOptions = options with
            {
                Frames = fresh,
                PromptCodes = promptCodes,
                Seed = unchecked(options.Seed + (ulong)window * 7919),
            };
            int offset = done;
            var generated = generator.Generate(model.Lm, contextCodes(start), text, windowOptions, 1,
                onStep: onStep is null ? null : (frames, _) => onStep(offset + frames, total),
                onFrame: (frame, frameCodes) =>
                {
                    for (int q = 0; q < codes.Length; q++) codes[q][offset + frame] = frameCodes[q];
                    onFrame?.Invoke(offset + frame, frameCodes);
                },
                cancel)[0];
            for (int q = 0; q < codes.Length; q++) generated[q].AsSpan(0, fresh).CopyTo(codes[q].AsSpan(offset));
            done += fresh;
        }
        return codes;
    }
}

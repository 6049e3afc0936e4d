using Stage.Inference.Models.Lm;

namespace Stage.Inference.Generation;

/// <summary>
/// STAGE's generation loop (spec §1.8, §1.15) on two KV-cached streams per candidate: the conditional one
/// (context, context token, stem; cross-attending to the text) and the unconditional one (context token
/// and stem only, no text). Both are prefilled with everything known, then each step takes both streams'
/// logits for the next interleaved step, guides them (<c>uncond + g·(cond − uncond)</c>), samples one token
/// per codebook, writes it only where that step holds a stem frame still to generate, and appends the step
/// to both streams in one batched forward pass.
/// <para>
/// One generator keeps its workspace and caches between calls (grown when needed), so steps allocate
/// nothing. Not thread-safe; use one per concurrent generation.
/// </para>
/// </summary>
public sealed class StageGenerator
{
    /// <summary>STAGE was trained on up to 10 s of context (500 frames at 50 Hz).</summary>
    public const int MaxContextFrames = 500;

    /// <summary>STAGE was trained on 10 s stems: prompt plus generated frames of one window.</summary>
    public const int MaxStemFrames = 500;

    const int PrefillRows = 64;

    LmWorkspace? _workspace;
    LmStream[] _conditional = [], _unconditional = [];
    float[] _logits = [], _guided = [];
    LmRow[] _rows = [];
    int[] _rowDestination = [];
    readonly TopKSampler _sampler = new();

    /// <summary>Optional tap on the guided logits of every step (tests compare them with STAGE's).</summary>
    public GuidedLogitsObserver? GuidedLogits { get; set; }

    /// <summary>Generates one stem: codes <c>[4][Frames]</c>, delay pattern undone. <paramref name="onStep"/>
    /// gets (frames complete, frames requested) after each step.</summary>
    public int[][] Generate(StageModel model, int[][] contextCodes, GenerationOptions options,
        Action<int, int>? onStep, CancellationToken cancel) =>
        Generate(model, contextCodes, options, onStep, null, cancel);

    /// <summary>As above, also streaming each frame through <paramref name="onFrame"/> once its four codes are final.</summary>
    public int[][] Generate(StageModel model, int[][] contextCodes, GenerationOptions options,
        Action<int, int>? onStep, FrameCallback? onFrame, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var text = model.EncodeText(options.Prompt);
        return Generate(model.Lm, contextCodes, text, options, 1, onStep, onFrame, cancel)[0];
    }

    /// <summary>
    /// <paramref name="variations"/> candidates from the same context and text in one batched pass (2 rows per
    /// candidate per step; the prefilled prefix is computed once and copied). Candidate v samples with seed
    /// <c>Seed + v</c>, so candidate 0 equals <see cref="Generate(StageModel,int[][],GenerationOptions,Action{int,int}?,CancellationToken)"/>.
    /// </summary>
    public int[][][] GenerateVariations(StageModel model, int[][] contextCodes, GenerationOptions options, int variations,
        Action<int, int>? onStep, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var text = model.EncodeText(options.Prompt);
        return Generate(model.Lm, contextCodes, text, options, variations, onStep, null, cancel);
    }

    /// <summary>
    /// The loop on the LM alone: <paramref name="text"/> is the projected T5 states <c>[L, TextDim]</c>
    /// (empty for the null condition; <see cref="GenerationOptions.Prompt"/> is not read here).
    /// <paramref name="onFrame"/> reports candidate 0.
    /// </summary>
    public int[][][] Generate(MusicGenLm lm, int[][] contextCodes, ReadOnlyMemory<float> text, GenerationOptions options,
        int variations, Action<int, int>? onStep, FrameCallback? onFrame, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(lm);
        ArgumentNullException.ThrowIfNull(contextCodes);
        ArgumentNullException.ThrowIfNull(options);
        Validate(lm, contextCodes, text, options, variations);

        var prefixes = new ContextPrefix[variations];
        for (int v = 0; v < variations; v++) prefixes[v] = new ContextPrefix(contextCodes, options.PromptCodes, options.Frames);
        var prefix = prefixes[0];
        int textLength = text.Length / lm.Dims.TextDim;
        Prepare(lm, variations, prefix, textLength);
        var ws = _workspace!;

        var randoms = new Xoshiro256StarStar[variations];
        for (int v = 0; v < variations; v++) randoms[v] = new Xoshiro256StarStar(unchecked(options.Seed + (ulong)v));

        for (int v = 0; v < variations; v++)
        {
            _conditional[v].Reset();
            _unconditional[v].Reset();
        }
        lm.AttachText(ws, _conditional[0], text.Span, textLength);
        Prefill(lm, ws, prefix, cancel);
        for (int v = 1; v < variations; v++)
        {
            _conditional[v].CopyFrom(_conditional[0]);
            _unconditional[v].CopyFrom(_unconditional[0]);
            _logits.AsSpan(0, 2 * lm.LogitsPerRow).CopyTo(_logits.AsSpan(2 * v * lm.LogitsPerRow));
        }

        int perRow = lm.LogitsPerRow, card = lm.Dims.Card;
        int last = prefix.Steps - 1, framesDone = 0;
        Span<int> tokens = stackalloc int[DelayPattern.Codebooks];
        for (int step = prefix.StartStep; ; step++)
        {
            for (int v = 0; v < variations; v++)
            {
                var guided = _guided.AsSpan(0, perRow);
                ClassifierFreeGuidance.Combine(_logits.AsSpan(2 * v * perRow, perRow), _logits.AsSpan((2 * v + 1) * perRow, perRow), options.Guidance, guided);
                if (v == 0) GuidedLogits?.Invoke(step, guided);
                for (int q = 0; q < DelayPattern.Codebooks; q++)
                {
                    int token = _sampler.Sample(guided.Slice(q * card, card), options.TopK, options.Temperature, randoms[v]);
                    prefixes[v].Write(step, q, token);
                }
            }

            int finished = prefix.GeneratedFrameAt(step, DelayPattern.Codebooks - 1);
            if (finished >= 0)
            {
                framesDone = finished + 1;
                if (onFrame is not null)
                {
                    for (int q = 0; q < DelayPattern.Codebooks; q++) tokens[q] = prefix.Generated(q, finished);
                    onFrame(finished, tokens);
                }
            }
            onStep?.Invoke(framesDone, options.Frames);
            if (step == last) break;
            cancel.ThrowIfCancellationRequested();

            for (int v = 0; v < variations; v++)
            {
                prefixes[v].StepTokens(PrefixRow.Conditional, step, tokens);
                _rows[2 * v] = new LmRow(_conditional[v], prefixes[v].Position(PrefixRow.Conditional, step), tokens, wantsLogits: true);
                prefixes[v].StepTokens(PrefixRow.Unconditional, step, tokens);
                _rows[2 * v + 1] = new LmRow(_unconditional[v], prefixes[v].Position(PrefixRow.Unconditional, step), tokens, wantsLogits: true);
            }
            lm.Forward(ws, _rows.AsSpan(0, 2 * variations), _logits);
        }

        var result = new int[variations][][];
        for (int v = 0; v < variations; v++) result[v] = prefixes[v].GeneratedCodes();
        return result;
    }

    /// <summary>
    /// Runs every known step through both streams of candidate 0 — conditional steps 1 .. StartStep−1,
    /// unconditional steps from the context token on — in chunks, and leaves the logits predicting
    /// StartStep in <c>_logits[0]</c> (conditional) and <c>_logits[1]</c> (unconditional).
    /// </summary>
    void Prefill(MusicGenLm lm, LmWorkspace ws, ContextPrefix prefix, CancellationToken cancel)
    {
        Span<int> tokens = stackalloc int[DelayPattern.Codebooks];
        int perRow = lm.LogitsPerRow;
        var streams = new (PrefixRow Row, LmStream Stream)[] { (PrefixRow.Conditional, _conditional[0]), (PrefixRow.Unconditional, _unconditional[0]) };
        int count = 0;
        for (int i = 0; i < streams.Length; i++)
        {
            var (row, stream) = streams[i];
            for (int step = prefix.FirstStep(row); step < prefix.StartStep; step++)
            {
                prefix.StepTokens(row, step, tokens);
                bool lastOfStream = step == prefix.StartStep - 1;
                _rows[count] = new LmRow(stream, prefix.Position(row, step), tokens, lastOfStream);
                _rowDestination[count] = lastOfStream ? i : -1;
                if (++count == ws.MaxRows) { RunChunk(count); count = 0; }
            }
        }
        if (count > 0) RunChunk(count);

        void RunChunk(int rows)
        {
            cancel.ThrowIfCancellationRequested();
            var chunkLogits = _logits.AsSpan(2 * perRow * _conditional.Length); // scratch after the step logits
            lm.Forward(ws, _rows.AsSpan(0, rows), chunkLogits);
            int wanted = 0;
            for (int r = 0; r < rows; r++)
                if (_rowDestination[r] >= 0)
                    chunkLogits.Slice(wanted++ * perRow, perRow).CopyTo(_logits.AsSpan(_rowDestination[r] * perRow, perRow));
        }
    }

    void Prepare(MusicGenLm lm, int variations, ContextPrefix prefix, int textLength)
    {
        var dims = lm.Dims;
        int conditionalSteps = prefix.Steps - 2; // steps 1 .. Steps−2 are appended (the last is only sampled)
        int unconditionalSteps = prefix.Steps - 2 - prefix.ContextFrames;
        int maxRows = Math.Max(PrefillRows, 2 * variations);
        int maxSteps = Math.Max(conditionalSteps, textLength);
        if (_workspace is null || _workspace.Dims != dims || _workspace.MaxRows < maxRows || _workspace.MaxSteps < maxSteps)
            _workspace = new LmWorkspace(dims, maxRows, maxSteps);
        if (_conditional.Length < variations || _conditional[0].Dims != dims
            || _conditional[0].Capacity < conditionalSteps || _unconditional[0].Capacity < unconditionalSteps)
        {
            _conditional = new LmStream[variations];
            _unconditional = new LmStream[variations];
            for (int v = 0; v < variations; v++)
            {
                _conditional[v] = new LmStream(dims, conditionalSteps);
                _unconditional[v] = new LmStream(dims, unconditionalSteps);
            }
        }
        // Step logits of every candidate (cond, uncond), then prefill scratch for up to maxRows rows.
        int logits = (2 * _conditional.Length + maxRows) * lm.LogitsPerRow;
        if (_logits.Length < logits) _logits = new float[logits];
        if (_guided.Length < lm.LogitsPerRow) _guided = new float[lm.LogitsPerRow];
        if (_rows.Length < maxRows) { _rows = new LmRow[maxRows]; _rowDestination = new int[maxRows]; }
    }

    static void Validate(MusicGenLm lm, int[][] contextCodes, ReadOnlyMemory<float> text, GenerationOptions options, int variations)
    {
        if (variations < 1) throw new ArgumentOutOfRangeException(nameof(variations), variations, "at least one candidate");
        if (options.Frames < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.Frames, "Frames must be at least 1");
        int contextFrames = DelayPattern.FrameCount(contextCodes);
        if (contextFrames > MaxContextFrames)
            throw new ArgumentException($"context of {contextFrames} frames ({contextFrames / 50.0:0.##} s) exceeds STAGE's {MaxContextFrames} frames (10 s); pass the last 10 s of the context", nameof(contextCodes));
        int promptFrames = options.PromptCodes is null ? 0 : DelayPattern.FrameCount(options.PromptCodes);
        if (options.Frames + promptFrames > MaxStemFrames)
            throw new ArgumentException(
                $"{options.Frames} frames to generate{(promptFrames > 0 ? $" after {promptFrames} prompt frames" : "")} exceed STAGE's window of {MaxStemFrames} stem frames (10 s at 50 frames/s); generate longer stems window by window with PromptCodes", nameof(options));
        if (text.Length % lm.Dims.TextDim != 0)
            throw new ArgumentException($"text states must be [L, {lm.Dims.TextDim}], got {text.Length} floats", nameof(text));
        if (!(options.Temperature >= 0) || float.IsInfinity(options.Temperature))
            throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "Temperature must be finite and ≥ 0");
        if (options.TopK < 0) throw new ArgumentOutOfRangeException(nameof(options), options.TopK, "TopK must be ≥ 0");
        if (!float.IsFinite(options.Guidance)) throw new ArgumentOutOfRangeException(nameof(options), options.Guidance, "Guidance must be finite");
    }
}

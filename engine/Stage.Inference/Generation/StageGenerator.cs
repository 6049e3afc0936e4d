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
/// <para>
/// It also keeps the last prefill of a first window (no stem prompt): a producer's next take of the same bars with the
/// same prompt runs exactly the same prefill rows against the same text, so the streams are restored instead of
/// recomputed, which skips the longest wait before the first audio. The rows and text are compared whole, so any
/// difference (another context, prompt, model or decoder) prefills afresh.
/// </para>
/// </summary>
public sealed class StageGenerator : IDisposable
{
    /// <summary>STAGE was trained on up to 10 s of context (500 frames at 50 Hz).</summary>
    public const int MaxContextFrames = 500;

    /// <summary>STAGE was trained on 10 s stems: prompt plus generated frames of one window.</summary>
    public const int MaxStemFrames = 500;

    // A 10 s context prefills in one pass: each pass packs every weight into GEMM panels once (RowsLinear).
    const int PrefillRows = 512;

    readonly InferenceDevice _device;
    LmDecoder? _decoder;
    MusicGenLm? _decoderLm;
    DecoderRow[] _rows = [];
    double[] _uniforms = [];
    int[] _tokens = [];
    float[] _guided = [];
    DecoderRow[] _prefillRows = [];
    PrefillKey? _keptKey;   // what the decoder's kept prefill was made from

    /// <summary>What a kept prefill was made from: the LM, the decoder, every prefill row and the text.</summary>
    sealed record PrefillKey(MusicGenLm Lm, LmDecoder Decoder, DecoderRow[] Rows, float[] Text)
    {
        public bool Matches(MusicGenLm lm, LmDecoder decoder, ReadOnlySpan<DecoderRow> rows, ReadOnlySpan<float> text) =>
            ReferenceEquals(Lm, lm) && ReferenceEquals(Decoder, decoder) && rows.SequenceEqual(Rows) && text.SequenceEqual(Text);
    }

    /// <summary>Whether the last generation's prefill was restored from the one kept before it (tests and logs).</summary>
    public bool LastPrefillWasKept { get; private set; }

    /// <summary>Whether the kept prefill is still the live streams' first steps rather than a copy (tests).</summary>
    internal bool KeptPrefillInPlace => (_decoder as CpuLmDecoder)?.KeptInPlace ?? false;

    /// <summary>A generator on the CPU engine.</summary>
    public StageGenerator() : this(InferenceDevice.Cpu) { }

    /// <summary>A generator whose LM runs on <paramref name="device"/> (which it does not own).</summary>
    public StageGenerator(InferenceDevice device) => _device = device ?? throw new ArgumentNullException(nameof(device));

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
        var decoder = Prepare(lm, variations, prefix, textLength);

        var randoms = new Xoshiro256StarStar[variations];
        for (int v = 0; v < variations; v++) randoms[v] = new Xoshiro256StarStar(unchecked(options.Seed + (ulong)v));
        bool greedy = TopKSampler.IsGreedy(options.TopK, options.Temperature);

        int prefillRows = PrefillRowsOf(prefix);
        var rows = _prefillRows.AsSpan(0, prefillRows);
        LastPrefillWasKept = _keptKey is not null && _keptKey.Matches(lm, decoder, rows, text.Span) && decoder.RestorePrefill();
        if (!LastPrefillWasKept)
        {
            // Later windows continue a stem (a prompt), which no next take repeats: keep first windows only. A first window
            // replaces the kept one, which can go before this prefill writes over it.
            bool keep = options.PromptCodes is null;
            if (keep)
            {
                decoder.ForgetPrefill();
                _keptKey = null;
            }
            decoder.AttachText(text.Span, textLength);
            Prefill(decoder, rows, cancel);
            if (keep && decoder.KeepPrefill()) _keptKey = new PrefillKey(lm, decoder, rows.ToArray(), text.ToArray());
        }
        decoder.CopyCandidateZero(variations);

        int codebooks = DelayPattern.Codebooks;
        int last = prefix.Steps - 1, framesDone = 0;
        Span<int> tokens = stackalloc int[codebooks];
        for (int step = prefix.StartStep; ; step++)
        {
            // The draws each candidate's sampler would make, in its order (one per codebook; none when greedy).
            if (!greedy)
                for (int v = 0; v < variations; v++)
                    for (int q = 0; q < codebooks; q++) _uniforms[v * codebooks + q] = randoms[v].NextDouble();
            decoder.GuideAndSample(variations, options.Guidance, options.TopK, options.Temperature, _uniforms, _tokens);
            if (GuidedLogits is not null)
            {
                decoder.ReadGuidedLogits(_guided);
                GuidedLogits(step, _guided);
            }
            for (int v = 0; v < variations; v++)
                for (int q = 0; q < codebooks; q++) prefixes[v].Write(step, q, _tokens[v * codebooks + q]);

            int finished = prefix.GeneratedFrameAt(step, codebooks - 1);
            if (finished >= 0)
            {
                framesDone = finished + 1;
                if (onFrame is not null)
                {
                    for (int q = 0; q < codebooks; q++) tokens[q] = prefix.Generated(q, finished);
                    onFrame(finished, tokens);
                }
            }
            onStep?.Invoke(framesDone, options.Frames);
            if (step == last) break;
            cancel.ThrowIfCancellationRequested();

            for (int v = 0; v < variations; v++)
            {
                prefixes[v].StepTokens(PrefixRow.Conditional, step, tokens);
                _rows[2 * v] = new DecoderRow(v, PrefixRow.Conditional, prefixes[v].Position(PrefixRow.Conditional, step), tokens, wantsLogits: true);
                prefixes[v].StepTokens(PrefixRow.Unconditional, step, tokens);
                _rows[2 * v + 1] = new DecoderRow(v, PrefixRow.Unconditional, prefixes[v].Position(PrefixRow.Unconditional, step), tokens, wantsLogits: true);
            }
            decoder.Forward(_rows.AsSpan(0, 2 * variations));
        }

        var result = new int[variations][][];
        for (int v = 0; v < variations; v++) result[v] = prefixes[v].GeneratedCodes();
        return result;
    }

    /// <summary>
    /// Every known step of both streams of candidate 0 — conditional steps 1 .. StartStep−1, unconditional steps
    /// from the context token on — as rows in <see cref="_prefillRows"/>; the last of each leaves the logits
    /// predicting StartStep. Returns how many.
    /// </summary>
    int PrefillRowsOf(ContextPrefix prefix)
    {
        int total = prefix.StartStep - prefix.FirstStep(PrefixRow.Conditional) + prefix.StartStep - prefix.FirstStep(PrefixRow.Unconditional);
        if (_prefillRows.Length < total) _prefillRows = new DecoderRow[total];
        Span<int> tokens = stackalloc int[DelayPattern.Codebooks];
        int count = 0;
        foreach (var row in (ReadOnlySpan<PrefixRow>)[PrefixRow.Conditional, PrefixRow.Unconditional])
            for (int step = prefix.FirstStep(row); step < prefix.StartStep; step++)
            {
                prefix.StepTokens(row, step, tokens);
                _prefillRows[count++] = new DecoderRow(0, row, prefix.Position(row, step), tokens, step == prefix.StartStep - 1);
            }
        return count;
    }

    /// <summary>Runs the prefill rows through the decoder in chunks of <see cref="PrefillRows"/>.</summary>
    static void Prefill(LmDecoder decoder, ReadOnlySpan<DecoderRow> rows, CancellationToken cancel)
    {
        for (int start = 0; start < rows.Length; start += PrefillRows)
        {
            cancel.ThrowIfCancellationRequested();
            decoder.Forward(rows.Slice(start, Math.Min(PrefillRows, rows.Length - start)));
        }
    }

    LmDecoder Prepare(MusicGenLm lm, int variations, ContextPrefix prefix, int textLength)
    {
        if (_decoder is null || !ReferenceEquals(_decoderLm, lm))
        {
            _decoder?.Dispose();
            _decoder = _device.CreateDecoder(lm);
            _decoderLm = lm;
        }
        int conditionalSteps = prefix.Steps - 2; // steps 1 .. Steps−2 are appended (the last is only sampled)
        int unconditionalSteps = prefix.Steps - 2 - prefix.ContextFrames;
        int maxRows = Math.Max(PrefillRows, 2 * variations);
        _decoder.Prepare(variations, conditionalSteps, unconditionalSteps, textLength, maxRows);
        int codebooks = DelayPattern.Codebooks;
        if (_rows.Length < maxRows) _rows = new DecoderRow[maxRows];
        if (_uniforms.Length < variations * codebooks) { _uniforms = new double[variations * codebooks]; _tokens = new int[variations * codebooks]; }
        if (_guided.Length < lm.LogitsPerRow) _guided = new float[lm.LogitsPerRow];
        return _decoder;
    }

    /// <summary>Releases the decoder (device memory, for a GPU); the device itself stays with its owner.</summary>
    public void Dispose()
    {
        _keptKey = null;
        _decoder?.Dispose();
        _decoder = null;
        _decoderLm = null;
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

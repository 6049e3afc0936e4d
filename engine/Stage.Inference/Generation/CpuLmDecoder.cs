using Stage.Inference.Models.Lm;

namespace Stage.Inference.Generation;

/// <summary>
/// <see cref="LmDecoder"/> on the CPU engine: <see cref="MusicGenLm.Forward"/> over pinned KV caches, guidance
/// and <see cref="TopKSampler"/> on the host. Keeps its workspace and streams between generations.
/// </summary>
public sealed class CpuLmDecoder(MusicGenLm lm) : LmDecoder
{
    readonly MusicGenLm _lm = lm ?? throw new ArgumentNullException(nameof(lm));
    readonly TopKSampler _sampler = new(lm.Dims.Card);
    LmWorkspace? _workspace;
    LmStream[] _streams = [];      // 2·candidate + row
    float[] _stepLogits = [];      // per stream: the logits of its last row that wanted them
    float[] _scratch = [];         // logits of one forward call
    float[] _guided = [];
    LmRow[] _rows = [];

    public override LmDimensions Dims => _lm.Dims;

    public override string DeviceName => $"cpu ({Kernels.KernelThreads.Count} threads)";

    public override void Prepare(int candidates, int conditionalSteps, int unconditionalSteps, int textLength, int maxRows)
    {
        var dims = _lm.Dims;
        int maxSteps = Math.Max(conditionalSteps, textLength);
        if (_workspace is null || _workspace.MaxRows < maxRows || _workspace.MaxSteps < maxSteps)
            _workspace = new LmWorkspace(dims, maxRows, Math.Max(1, maxSteps));
        if (_streams.Length < 2 * candidates || _streams[0].Capacity < conditionalSteps || _streams[1].Capacity < unconditionalSteps)
        {
            CopyOutKeptPrefill();
            // the cache follows the weights: a lower precision moves the logits less than the weights' own already do
            // (lm --quality measures both together)
            var cache = _lm.Precision switch
            {
                Gpu.WeightPrecision.Int8 => CachePrecision.Int8,
                Gpu.WeightPrecision.BFloat16 => CachePrecision.BFloat16,
                _ => CachePrecision.Float32,
            };
            _streams = new LmStream[2 * candidates];
            for (int v = 0; v < candidates; v++)
            {
                _streams[2 * v] = new LmStream(dims, Math.Max(1, conditionalSteps), cache);
                _streams[2 * v + 1] = new LmStream(dims, Math.Max(1, unconditionalSteps), cache);
            }
        }
        foreach (var stream in _streams) stream.Reset();
        int perRow = _lm.LogitsPerRow;
        if (_stepLogits.Length < _streams.Length * perRow) _stepLogits = new float[_streams.Length * perRow];
        // logits only for the rows that want them: a decode step's two per candidate (a 512-row prefill wants one or two)
        if (_scratch.Length < 2 * candidates * perRow) _scratch = new float[2 * candidates * perRow];
        if (_guided.Length < candidates * perRow) _guided = new float[candidates * perRow];
        if (_rows.Length < maxRows) _rows = new LmRow[maxRows];
    }

    public override void AttachText(ReadOnlySpan<float> text, int length)
    {
        CopyOutKeptPrefill();
        _lm.AttachText(Workspace, _streams[0], text, length);
    }

    public override void Forward(ReadOnlySpan<DecoderRow> rows)
    {
        if (_keptInPlace && (_streams[0].Length < _keptConditionalSteps || _streams[1].Length < _keptUnconditionalSteps))
            CopyOutKeptPrefill();   // these rows would land on the kept steps
        Span<int> tokens = stackalloc int[4];
        int wanting = 0;
        foreach (var row in rows) wanting += row.WantsLogits ? 1 : 0;
        if (_scratch.Length < wanting * _lm.LogitsPerRow) _scratch = new float[wanting * _lm.LogitsPerRow];
        for (int r = 0; r < rows.Length; r++)
        {
            for (int q = 0; q < 4; q++) tokens[q] = rows[r].Token(q);
            _rows[r] = new LmRow(_streams[rows[r].StreamIndex], rows[r].Position, tokens, rows[r].WantsLogits);
        }
        _lm.Forward(Workspace, _rows.AsSpan(0, rows.Length), _scratch);
        int perRow = _lm.LogitsPerRow, wanted = 0;
        for (int r = 0; r < rows.Length; r++)
            if (rows[r].WantsLogits)
                _scratch.AsSpan(wanted++ * perRow, perRow).CopyTo(_stepLogits.AsSpan(rows[r].StreamIndex * perRow, perRow));
    }

    public override void CopyCandidateZero(int candidates)
    {
        int pair = 2 * _lm.LogitsPerRow;
        for (int v = 1; v < candidates; v++)
        {
            _streams[2 * v].CopyFrom(_streams[0]);
            _streams[2 * v + 1].CopyFrom(_streams[1]);
            _stepLogits.AsSpan(0, pair).CopyTo(_stepLogits.AsSpan(v * pair, pair));
        }
    }

    // The kept prefill. In place it is the live streams' first steps, which a next take only rewinds to: nothing copied.
    // Before anything would write over those steps (a later window's prefill, a text, larger streams), it is copied out.
    LmStream? _keptConditional, _keptUnconditional;
    int _keptConditionalSteps, _keptUnconditionalSteps, _keptTextLength;
    bool _keptInPlace;
    float[] _keptLogits = [];

    public override bool KeepPrefill()
    {
        (_keptConditional, _keptUnconditional) = (_streams[0], _streams[1]);
        (_keptConditionalSteps, _keptUnconditionalSteps, _keptTextLength) = (_streams[0].Length, _streams[1].Length, _streams[0].TextLength);
        _keptInPlace = true;
        int pair = 2 * _lm.LogitsPerRow;
        if (_keptLogits.Length != pair) _keptLogits = new float[pair];
        _stepLogits.AsSpan(0, pair).CopyTo(_keptLogits);
        return true;
    }

    public override bool RestorePrefill()
    {
        if (_keptConditional is null) return false;
        if (_keptInPlace)
        {
            // Prepare only forgot the steps; every write below them would have copied the prefill out first
            _streams[0].Rewind(_keptConditionalSteps, _keptTextLength);
            _streams[1].Rewind(_keptUnconditionalSteps, 0);
        }
        else
        {
            _streams[0].CopyFrom(_keptConditional);
            _streams[1].CopyFrom(_keptUnconditional!);
            (_keptConditional, _keptUnconditional, _keptInPlace) = (_streams[0], _streams[1], true);   // the copies can go
        }
        _keptLogits.CopyTo(_stepLogits.AsSpan(0, _keptLogits.Length));
        return true;
    }

    public override void ForgetPrefill()
    {
        (_keptConditional, _keptUnconditional, _keptInPlace) = (null, null, false);
    }

    /// <summary>Copies a prefill kept in place out of the live streams, which are about to be written over.</summary>
    void CopyOutKeptPrefill()
    {
        if (!_keptInPlace) return;
        var conditional = new LmStream(_lm.Dims, Math.Max(1, _keptConditionalSteps), _keptConditional!.Precision);
        var unconditional = new LmStream(_lm.Dims, Math.Max(1, _keptUnconditionalSteps), _keptUnconditional!.Precision);
        conditional.CopyFrom(_keptConditional, _keptConditionalSteps, _keptTextLength);
        unconditional.CopyFrom(_keptUnconditional, _keptUnconditionalSteps, 0);
        (_keptConditional, _keptUnconditional, _keptInPlace) = (conditional, unconditional, false);
    }

    /// <summary>Whether the kept prefill is still the live streams' first steps (tests).</summary>
    internal bool KeptInPlace => _keptInPlace;

    public override void GuideAndSample(int candidates, float guidance, int topK, float temperature, ReadOnlySpan<double> uniforms, Span<int> tokens)
    {
        int perRow = _lm.LogitsPerRow, card = _lm.Dims.Card, codebooks = _lm.Dims.Codebooks;
        bool greedy = TopKSampler.IsGreedy(topK, temperature);
        for (int v = 0; v < candidates; v++)
        {
            var guided = _guided.AsSpan(v * perRow, perRow);
            ClassifierFreeGuidance.Combine(_stepLogits.AsSpan(2 * v * perRow, perRow), _stepLogits.AsSpan((2 * v + 1) * perRow, perRow), guidance, guided);
            for (int q = 0; q < codebooks; q++)
                tokens[v * codebooks + q] = _sampler.Sample(guided.Slice(q * card, card), topK, temperature, greedy ? 0 : uniforms[v * codebooks + q]);
        }
    }

    public override void ReadStepLogits(int candidate, PrefixRow row, Span<float> logits)
    {
        int perRow = _lm.LogitsPerRow;
        _stepLogits.AsSpan(new DecoderRow(candidate, row, 0, 0, 0, 0, 0, false).StreamIndex * perRow, perRow).CopyTo(logits);
    }

    public override void ReadGuidedLogits(Span<float> guided) => _guided.AsSpan(0, _lm.LogitsPerRow).CopyTo(guided);

    LmWorkspace Workspace => _workspace ?? throw new InvalidOperationException("Prepare the decoder first");
}

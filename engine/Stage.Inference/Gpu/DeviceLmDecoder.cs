using ILGPU;
using ILGPU.Runtime;
using Stage.Inference.Generation;
using Stage.Inference.Models.Lm;

namespace Stage.Inference.Gpu;

/// <summary>
/// <see cref="LmDecoder"/> on an ILGPU accelerator. The network is <see cref="MusicGenLm"/>'s, layer for layer
/// (x-transformers pre-norm: h += SelfAttention(LN(h)); h += CrossAttention(LN(h), text); h += FFN(LN(h));
/// logits = Heads(LN(h))), with every tensor resident on the device: the weights
/// (<see cref="DeviceLmWeights"/>), the KV caches of all streams, the text keys/values (projected once in
/// <see cref="AttachText"/>), the step logits and the sampler's scratch. A forward call uploads one small
/// int array (tokens, positions, slots); a step downloads only the sampled tokens. Every call binds the
/// accelerator to the calling thread first: the server runs each job on its own thread, and a CUDA context is
/// current per thread.
/// </summary>
sealed class DeviceLmDecoder : LmDecoder
{
    readonly IlgpuDevice _device;
    readonly Accelerator _accelerator;
    readonly LmKernelSet _k;
    readonly DeviceLmWeights _w;
    readonly MusicGenLm _lm;
    readonly List<MemoryBuffer> _buffers = [];

    // Sizes of the current allocation.
    int _streams, _capacity, _maxText, _maxRows, _positions;
    int[] _streamCapacity = [], _length = [], _textLength = [];
    int[] _rowInts = [];
    RowLayout _layout;
    float[] _uniforms = [];

    MemoryBuffer1D<float, Stride1D.Dense> _hidden = null!, _normed = null!, _qkv = null!, _attended = null!, _ffn = null!, _scores = null!,
        _logits = null!, _stepLogits = null!, _guided = null!, _probs = null!, _select = null!, _uniformsOnDevice = null!,
        _keys = null!, _values = null!, _textKeys = null!, _textValues = null!, _text = null!, _positionTable = null!;
    MemoryBuffer1D<int, Stride1D.Dense> _rowIntsOnDevice = null!, _tokens = null!;

    public DeviceLmDecoder(IlgpuDevice device, MusicGenLm lm, DeviceLmWeights weights, LmKernelSet kernels)
    {
        _device = device;
        _accelerator = device.Accelerator;
        _lm = lm;
        _w = weights;
        _k = kernels;
    }

    public override LmDimensions Dims => _lm.Dims;

    public override string DeviceName => _device.Name;

    public override void Prepare(int candidates, int conditionalSteps, int unconditionalSteps, int textLength, int maxRows)
    {
        _accelerator.Bind();
        var d = _lm.Dims;
        int streams = 2 * candidates, capacity = Math.Max(1, Math.Max(conditionalSteps, unconditionalSteps));
        int maxText = Math.Max(1, textLength);
        if (_buffers.Count == 0 || streams > _streams || capacity > _capacity || maxText > _maxText || maxRows > _maxRows)
        {
            Release();
            _streams = Math.Max(streams, _streams);
            _capacity = Math.Max(capacity, _capacity);
            _maxText = Math.Max(maxText, _maxText);
            _maxRows = Math.Max(maxRows, _maxRows);
            Allocate();
        }
        _streamCapacity = new int[_streams];
        for (int v = 0; v < candidates; v++)
        {
            _streamCapacity[2 * v] = Math.Max(1, conditionalSteps);
            _streamCapacity[2 * v + 1] = Math.Max(1, unconditionalSteps);
        }
        Array.Clear(_length);
        Array.Clear(_textLength);
        // A position is a step index of the conditional stream, the longest.
        EnsurePositions(_capacity);
    }

    void Allocate()
    {
        var d = _lm.Dims;
        int width = d.AttentionDim, perRow = _lm.LogitsPerRow, samplers = _streams / 2 * d.Codebooks;
        MemoryBuffer1D<float, Stride1D.Dense> Floats(long n) { var b = _accelerator.Allocate1D<float>(Math.Max(1, n)); _buffers.Add(b); return b; }
        _hidden = Floats((long)_maxRows * d.Dim);
        _normed = Floats((long)_maxRows * d.Dim);
        _qkv = Floats((long)_maxRows * 3 * width);
        _attended = Floats((long)_maxRows * width);
        _ffn = Floats((long)_maxRows * d.FfnDim);
        _scores = Floats((long)_maxRows * d.Heads * Math.Max(_capacity, _maxText));
        _logits = Floats((long)_maxRows * perRow);
        _stepLogits = Floats((long)_streams * perRow);
        _guided = Floats((long)_streams / 2 * perRow);
        _probs = Floats((long)samplers * d.Card);
        _select = Floats((long)samplers * d.Card);
        _uniformsOnDevice = Floats(samplers);
        long cache = (long)d.Layers * _streams * _capacity * width, text = (long)d.Layers * _streams * _maxText * width;
        _keys = Floats(cache);
        _values = Floats(cache);
        _textKeys = Floats(text);
        _textValues = Floats(text);
        _text = Floats((long)_maxText * d.TextDim);
        _tokens = _accelerator.Allocate1D<int>(samplers);
        _buffers.Add(_tokens);
        _layout = new RowLayout
        {
            Tokens = 0, Positions = 4 * _maxRows, Streams = 5 * _maxRows, SelfLengths = 6 * _maxRows,
            TextLengths = 7 * _maxRows, HeadRows = 8 * _maxRows, HeadDestinations = 9 * _maxRows,
        };
        _rowInts = new int[10 * _maxRows];
        _rowIntsOnDevice = _accelerator.Allocate1D<int>(_rowInts.Length);
        _buffers.Add(_rowIntsOnDevice);
        _length = new int[_streams];
        _textLength = new int[_streams];
        _uniforms = new float[samplers];
        _positions = 0;
        foreach (var b in _buffers) _bytes += b.LengthInBytes;
        _device.TrackDecoderBytes(_bytes);
    }

    long _bytes;

    /// <summary>The sinusoidal table PE[p] for p &lt; <paramref name="positions"/>, made by the CPU's <see cref="SinusoidalPositions"/> (bit-identical embeddings).</summary>
    void EnsurePositions(int positions)
    {
        if (positions <= _positions) return;
        int dim = _lm.Dims.Dim;
        var table = new float[(long)positions * dim];
        var sinusoid = new SinusoidalPositions(dim);
        for (int p = 0; p < positions; p++) sinusoid.AddTo(p, table.AsSpan(p * dim, dim));
        if (_positionTable is not null)
        {
            _buffers.Remove(_positionTable);
            _device.TrackDecoderBytes(-_positionTable.LengthInBytes);
            _bytes -= _positionTable.LengthInBytes;
            _positionTable.Dispose();
        }
        _positionTable = _accelerator.Allocate1D(table);
        _buffers.Add(_positionTable);
        _device.TrackDecoderBytes(_positionTable.LengthInBytes);
        _bytes += _positionTable.LengthInBytes;
        _positions = positions;
    }

    public override void AttachText(ReadOnlySpan<float> text, int length)
    {
        _accelerator.Bind();
        var d = _lm.Dims;
        if (length < 0 || text.Length != length * d.TextDim)
            throw new ArgumentException($"text states must be [{length}, {d.TextDim}], got {text.Length} floats", nameof(text));
        if (length > _maxText) throw new ArgumentException($"text of {length} tokens exceeds the prepared {_maxText}", nameof(text));
        _textLength[0] = 0;
        if (length == 0) return;
        int width = d.AttentionDim;
        _text.Flat().SubView(0, text.Length).CopyFromCPU(text);
        for (int l = 0; l < d.Layers; l++)
        {
            long at = TextOffset(l, 0);
            _k.RunLinear(_text.Flat(), d.TextDim, length, _w.Layers[l].CrossKey, _textKeys.Flat().SubView(at, (long)length * width), width, LinearShape.Store);
            _k.RunLinear(_text.Flat(), d.TextDim, length, _w.Layers[l].CrossValue, _textValues.Flat().SubView(at, (long)length * width), width, LinearShape.Store);
        }
        _textLength[0] = length;
    }

    public override void Forward(ReadOnlySpan<DecoderRow> rows)
    {
        _accelerator.Bind();
        var d = _lm.Dims;
        int n = rows.Length, width = d.AttentionDim;
        int wanted = LayOutRows(rows);
        _rowIntsOnDevice.Flat().SubView(0, _rowInts.Length).CopyFromCPU(_rowInts);
        ArrayView<int> rowInts = _rowIntsOnDevice.Flat();

        _k.Embed(n * d.Dim, rowInts, _layout, _w.Embeddings, _positionTable.Flat(), _hidden.Flat(), d.Dim, d.InputCard);
        bool anyText = false;
        for (int r = 0; r < n; r++) anyText |= _textLength[rows[r].StreamIndex] > 0;
        for (int l = 0; l < d.Layers; l++)
        {
            var layer = _w.Layers[l];

            // Self-attention: q, k, v from LN(h); k, v appended to the cache; h += Wo · attention.
            Normalize(layer.SelfNorm, n);
            _k.RunLinear(_normed.Flat(), d.Dim, n, layer.SelfQkv, _qkv.Flat(), 3 * width, LinearShape.Store);
            _k.AppendKeysValues(n * width, _qkv.Flat(), _keys.Flat(), _values.Flat(), rowInts, _layout, CacheOffset(l, 0), (long)_capacity * width, width);
            Attend(n, _keys, _values, CacheOffset(l, 0), (long)_capacity * width, 3 * width, _layout.SelfLengths);
            _k.RunLinear(_attended.Flat(), width, n, layer.SelfOut, _hidden.Flat(), d.Dim, LinearShape.Accumulate);

            // Cross-attention to the text (adds exactly 0 for rows without text, skipped when none has any).
            if (anyText)
            {
                Normalize(layer.CrossNorm, n);
                _k.RunLinear(_normed.Flat(), d.Dim, n, layer.CrossQuery, _qkv.Flat(), width, LinearShape.Store);
                Attend(n, _textKeys, _textValues, TextOffset(l, 0), (long)_maxText * width, width, _layout.TextLengths);
                _k.RunLinear(_attended.Flat(), width, n, layer.CrossOut, _hidden.Flat(), d.Dim, LinearShape.Accumulate);
            }

            // Feed-forward: h += W2 · GELU(W1 · LN(h)).
            Normalize(layer.FfnNorm, n);
            _k.RunLinear(_normed.Flat(), d.Dim, n, layer.FfnIn, _ffn.Flat(), d.FfnDim, LinearShape.Gelu);
            _k.RunLinear(_ffn.Flat(), d.FfnDim, n, layer.FfnOut, _hidden.Flat(), d.Dim, LinearShape.Accumulate);
        }

        // logits_q = W_q · LN_final(h) for the rows that want them, to their streams' step logits.
        if (wanted > 0)
        {
            int perRow = _lm.LogitsPerRow;
            _k.LayerNorm(wanted, _hidden.Flat(), _normed.Flat(), _w.FinalNorm.Weight, _w.FinalNorm.Bias, rowInts, _layout.HeadRows, d.Dim, MusicGenLm.NormEps);
            _k.RunLinear(_normed.Flat(), d.Dim, wanted, _w.Heads, _logits.Flat(), perRow, LinearShape.Store);
            _k.ScatterLogits(wanted * perRow, _logits.Flat(), _stepLogits.Flat(), rowInts, _layout.HeadDestinations, perRow);
        }
        for (int r = 0; r < n; r++) _length[rows[r].StreamIndex]++;
    }

    void Normalize(DeviceNorm norm, int rows) =>
        _k.LayerNorm(rows, _hidden.Flat(), _normed.Flat(), norm.Weight, norm.Bias, _rowIntsOnDevice.Flat(), -1, _lm.Dims.Dim, MusicGenLm.NormEps);

    void Attend(int rows, MemoryBuffer1D<float, Stride1D.Dense> keys, MemoryBuffer1D<float, Stride1D.Dense> values, long layerOffset, long streamStride,
        int queryStride, int lengthsAt)
    {
        var d = _lm.Dims;
        var shape = new AttentionShape
        {
            Heads = d.Heads, HeadDim = d.HeadDim, QueryStride = queryStride, MaxSteps = Math.Max(_capacity, _maxText),
            LengthsAt = lengthsAt, StreamsAt = _layout.Streams, LayerOffset = layerOffset, StreamStride = streamStride,
            Scale = 1f / MathF.Sqrt(d.HeadDim),
        };
        _k.Attention(new KernelConfig(rows * d.Heads, _k.GroupSize), _qkv.Flat(), keys.Flat(), values.Flat(), _rowIntsOnDevice.Flat(), _scores.Flat(), _attended.Flat(), shape);
    }

    /// <summary>Checks the rows as <see cref="MusicGenLm.Forward"/> does and fills the per-row ints; returns how many want logits.</summary>
    int LayOutRows(ReadOnlySpan<DecoderRow> rows)
    {
        var d = _lm.Dims;
        if (rows.Length > _maxRows) throw new ArgumentException($"{rows.Length} rows exceed the prepared {_maxRows}", nameof(rows));
        Span<int> pending = stackalloc int[_streams];
        int wanted = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var row = rows[r];
            int s = row.StreamIndex;
            if ((uint)s >= (uint)_streams) throw new ArgumentException($"row of candidate {row.Candidate}, which was not prepared", nameof(rows));
            for (int q = 0; q < 4; q++)
            {
                int token = row.Token(q);
                if ((uint)token >= (uint)d.InputCard)
                    throw new ArgumentException($"token {token} of codebook {q} is outside 0..{d.InputCard - 1}", nameof(rows));
                _rowInts[_layout.Tokens + 4 * r + q] = token;
            }
            if (row.Position < 0) throw new ArgumentException($"negative position {row.Position}", nameof(rows));
            if (row.Position >= _positions) throw new ArgumentException($"position {row.Position} beyond the prepared {_positions}", nameof(rows));
            int slot = _length[s] + pending[s]++;
            if (slot >= _streamCapacity[s]) throw new InvalidOperationException($"stream is full: {_streamCapacity[s]} steps");
            _rowInts[_layout.Positions + r] = row.Position;
            _rowInts[_layout.Streams + r] = s;
            _rowInts[_layout.SelfLengths + r] = slot + 1;
            _rowInts[_layout.TextLengths + r] = _textLength[s];
            if (row.WantsLogits)
            {
                _rowInts[_layout.HeadRows + wanted] = r;
                _rowInts[_layout.HeadDestinations + wanted] = s;
                wanted++;
            }
        }
        return wanted;
    }

    public override void CopyCandidateZero(int candidates)
    {
        _accelerator.Bind();
        var d = _lm.Dims;
        int width = d.AttentionDim, perRow = _lm.LogitsPerRow;
        for (int v = 1; v < candidates; v++)
        {
            for (int row = 0; row < 2; row++)
            {
                int from = row, to = 2 * v + row;
                long steps = (long)_length[from] * width, text = (long)_textLength[from] * width;
                for (int l = 0; l < d.Layers; l++)
                {
                    if (steps > 0)
                    {
                        _keys.Flat().SubView(CacheOffset(l, from), steps).CopyTo(_keys.Flat().SubView(CacheOffset(l, to), steps));
                        _values.Flat().SubView(CacheOffset(l, from), steps).CopyTo(_values.Flat().SubView(CacheOffset(l, to), steps));
                    }
                    if (text > 0)
                    {
                        _textKeys.Flat().SubView(TextOffset(l, from), text).CopyTo(_textKeys.Flat().SubView(TextOffset(l, to), text));
                        _textValues.Flat().SubView(TextOffset(l, from), text).CopyTo(_textValues.Flat().SubView(TextOffset(l, to), text));
                    }
                }
                _stepLogits.Flat().SubView((long)from * perRow, perRow).CopyTo(_stepLogits.Flat().SubView((long)to * perRow, perRow));
                _length[to] = _length[from];
                _textLength[to] = _textLength[from];
            }
        }
    }

    public override void GuideAndSample(int candidates, float guidance, int topK, float temperature, ReadOnlySpan<double> uniforms, Span<int> tokens)
    {
        _accelerator.Bind();
        var d = _lm.Dims;
        int perRow = _lm.LogitsPerRow, samplers = candidates * d.Codebooks;
        bool greedy = TopKSampler.IsGreedy(topK, temperature);
        _k.Guide(candidates * perRow, _stepLogits.Flat(), _guided.Flat(), perRow, guidance);
        if (!greedy)
        {
            for (int i = 0; i < samplers; i++) _uniforms[i] = (float)uniforms[i];
            _uniformsOnDevice.Flat().SubView(0, samplers).CopyFromCPU(_uniforms.AsSpan(0, samplers));
        }
        var shape = new SampleShape { Card = d.Card, TopK = topK, Greedy = greedy ? 1 : 0, Temperature = temperature };
        _k.Sample(samplers, _guided.Flat(), _probs.Flat(), _select.Flat(), _uniformsOnDevice.Flat(), _tokens.Flat(), shape);
        _tokens.Flat().SubView(0, samplers).CopyToCPU(tokens[..samplers]);
    }

    public override void ReadStepLogits(int candidate, PrefixRow row, Span<float> logits)
    {
        _accelerator.Bind();
        int perRow = _lm.LogitsPerRow, stream = new DecoderRow(candidate, row, 0, 0, 0, 0, 0, false).StreamIndex;
        _stepLogits.Flat().SubView((long)stream * perRow, perRow).CopyToCPU(logits[..perRow]);
    }

    public override void ReadGuidedLogits(Span<float> guided)
    {
        _accelerator.Bind();
        _guided.Flat().SubView(0, _lm.LogitsPerRow).CopyToCPU(guided[.._lm.LogitsPerRow]);
    }

    long CacheOffset(int layer, int stream) => ((long)layer * _streams + stream) * _capacity * _lm.Dims.AttentionDim;

    long TextOffset(int layer, int stream) => ((long)layer * _streams + stream) * _maxText * _lm.Dims.AttentionDim;

    void Release()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
        _device.TrackDecoderBytes(-_bytes);
        _bytes = 0;
        _positionTable = null!;
        _positions = 0;
    }

    public override void Dispose()
    {
        _accelerator.Bind();
        Release();
        base.Dispose();
    }
}

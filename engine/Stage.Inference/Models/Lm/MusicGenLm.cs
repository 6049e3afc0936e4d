using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using L = Stage.Inference.Checkpoints.StageCheckpointLayout.Lm;

namespace Stage.Inference.Models.Lm;

/// <summary>
/// MusicGen-Small's language model as STAGE fine-tuned it (x-transformers layout, spec §1.14): four summed
/// codebook embeddings of <c>InputCard</c> (2050) rows — 2048 the special/pad token, 2049 STAGE's context
/// token — plus sinusoidal positions; per layer pre-norm self-attention, cross-attention to the projected
/// T5 states and a GELU feed-forward, each added to the residual stream; a final LayerNorm and four
/// output heads of 2048 logits. LayerNorms have eps 1e-5 and a bias, linears none.
/// <para>
/// <see cref="Forward"/> appends rows to one or more <see cref="LmStream"/>s (their KV caches) in a single
/// pass: all rows go through every linear together, so a decode step of STAGE's two guidance streams
/// reads each weight once.
/// </para>
/// </summary>
public sealed unsafe class MusicGenLm : IDisposable
{
    public const float NormEps = 1e-5f;

    readonly EmbeddingTable[] _tokenEmbeddings;   // [codebook] → [InputCard, Dim]; loaded ones stay in the checkpoint
    readonly SinusoidalPositions _positions;
    readonly LmLayer[] _layers;
    readonly Norm _finalNorm;
    readonly RowWeights _heads;                  // the four output heads stacked: [Codebooks · Card, Dim]

    readonly IDisposable? _mapping;               // the converted file the matrices are used from, if they are

    MusicGenLm(LmDimensions dims, EmbeddingTable[] tokenEmbeddings, LmLayer[] layers, Norm finalNorm, RowWeights heads, IDisposable? mapping = null)
    {
        _mapping = mapping;
        Dims = dims;
        _tokenEmbeddings = tokenEmbeddings;
        _positions = new SinusoidalPositions(dims.Dim);
        _layers = layers;
        _finalNorm = finalNorm;
        _heads = heads;
    }

    public LmDimensions Dims { get; }

    /// <summary>Logits per forward row that asked for them: <c>Codebooks · Card</c> (codebook-major).</summary>
    public int LogitsPerRow => Dims.Codebooks * Dims.Card;

    // The weights as loaded, for a device backend to upload (Gpu/DeviceLmWeights); read only.
    internal ReadOnlySpan<EmbeddingTable> TokenEmbeddings => _tokenEmbeddings;
    internal ReadOnlySpan<LmLayer> Layers => _layers;
    internal Norm FinalNorm => _finalNorm;
    internal RowWeights OutputHeads => _heads;

    /// <summary>Closes the files the LM reads from (its embeddings' checkpoint, its converted matrices); it must not be used after.</summary>
    public void Dispose()
    {
        foreach (var table in _tokenEmbeddings) table.Dispose();
        _mapping?.Dispose();
    }

    /// <summary>Whether the matrices are stored as bfloat16 (<see cref="InBFloat16"/>) rather than float32.</summary>
    public bool IsBFloat16 => _heads.IsBFloat16;

    /// <summary>How the matrices are stored.</summary>
    public Gpu.WeightPrecision Precision =>
        _heads.IsInt8 ? Gpu.WeightPrecision.Int8 : _heads.IsBFloat16 ? Gpu.WeightPrecision.BFloat16 : Gpu.WeightPrecision.Float32;

    /// <summary>Bytes of matrix weights one decode step streams (embeddings and norms aside).</summary>
    public long MatrixBytes
    {
        get
        {
            long bytes = _heads.Bytes;
            foreach (var l in _layers)
                bytes += l.SelfQkv.Bytes + l.SelfOut.Bytes + l.CrossQuery.Bytes + l.CrossOut.Bytes + l.FfnIn.Bytes + l.FfnOut.Bytes;
            return bytes;
        }
    }

    /// <summary>
    /// Bytes of weights a decode step over a text of <paramref name="textLength"/> tokens reads: <see cref="MatrixBytes"/>,
    /// or with the text folded (<see cref="AttachText"/>) the folded rows in place of the cross-attention's query and output projections.
    /// </summary>
    public long StepBytes(int textLength)
    {
        if (!FoldsText(textLength)) return MatrixBytes;
        long bytes = MatrixBytes;
        foreach (var l in _layers) bytes -= l.CrossQuery.Bytes + l.CrossOut.Bytes;
        return bytes + (long)_layers.Length * 2 * Dims.Heads * textLength * Dims.Dim * sizeof(ushort);
    }

    /// <summary>Every stored matrix under the name <see cref="ConvertedLm"/> keeps it by, in the order <see cref="Load"/> reads them.</summary>
    internal IEnumerable<(string Name, RowWeights Weights)> Matrices()
    {
        for (int l = 0; l < _layers.Length; l++)
        {
            var x = _layers[l];
            yield return (ConvertedLm.MatrixName(l, "self_qkv"), x.SelfQkv);
            yield return (ConvertedLm.MatrixName(l, "self_out"), x.SelfOut);
            yield return (ConvertedLm.MatrixName(l, "cross_q"), x.CrossQuery);
            yield return (ConvertedLm.MatrixName(l, "cross_k"), x.CrossKey);
            yield return (ConvertedLm.MatrixName(l, "cross_v"), x.CrossValue);
            yield return (ConvertedLm.MatrixName(l, "cross_out"), x.CrossOut);
            yield return (ConvertedLm.MatrixName(l, "ffn_in"), x.FfnIn);
            yield return (ConvertedLm.MatrixName(l, "ffn_out"), x.FfnOut);
        }
        yield return (ConvertedLm.HeadsName, _heads);
    }

    /// <summary>
    /// The same LM with every matrix rounded to bfloat16: half the bytes a decode step streams, sums still in
    /// float32. The logits move (the lm benchmark's --quality measures by how much); float32 keeps every golden exact.
    /// </summary>
    public MusicGenLm InBFloat16() => In(Gpu.WeightPrecision.BFloat16);

    /// <summary>
    /// The same LM with every matrix stored in <paramref name="precision"/> (f32, bf16, or int8 with a scale per row,
    /// a quarter of float32's bytes), made from float32 weights; this LM when it is already stored so.
    /// </summary>
    public MusicGenLm In(Gpu.WeightPrecision precision)
    {
        if (Precision == precision) return this;
        if (Precision != Gpu.WeightPrecision.Float32)
            throw new InvalidOperationException($"the LM is stored as {Gpu.WeightPrecisions.Name(Precision)}; load it again to store it as {Gpu.WeightPrecisions.Name(precision)}");
        var store = Storage(precision);
        var layers = new LmLayer[_layers.Length];
        for (int l = 0; l < layers.Length; l++)
        {
            var x = _layers[l];
            layers[l] = x with
            {
                SelfQkv = store(x.SelfQkv), SelfOut = store(x.SelfOut),
                CrossQuery = store(x.CrossQuery), CrossKey = store(x.CrossKey), CrossValue = store(x.CrossValue), CrossOut = store(x.CrossOut),
                FfnIn = store(x.FfnIn), FfnOut = store(x.FfnOut),
            };
        }
        return new MusicGenLm(Dims, _tokenEmbeddings, layers, _finalNorm, store(_heads));
    }

    /// <summary>How a float32 matrix is turned into <paramref name="precision"/>'s storage.</summary>
    static Func<RowWeights, RowWeights> Storage(Gpu.WeightPrecision precision) => precision switch
    {
        Gpu.WeightPrecision.Float32 => static w => w,
        Gpu.WeightPrecision.BFloat16 => static w => w.ToBFloat16(),
        Gpu.WeightPrecision.Int8 => static w => w.ToInt8(),
        _ => throw new ArgumentException($"the CPU engine stores the LM as f32, bf16 or int8, not {Gpu.WeightPrecisions.Name(precision)}", nameof(precision)),
    };

    // ---- The forward pass ----

    /// <summary>
    /// Appends <paramref name="rows"/> to their streams and writes, for each row with
    /// <see cref="LmRow.WantsLogits"/>, its <see cref="LogitsPerRow"/> logits (in row order) to
    /// <paramref name="logits"/>.
    /// </summary>
    public void Forward(LmWorkspace ws, ReadOnlySpan<LmRow> rows, Span<float> logits)
    {
        int n = rows.Length;
        CheckRows(ws, rows, logits);
        AssignSlots(ws, rows);
        try
        {
            Embed(ws, rows);
            for (int l = 0; l < _layers.Length; l++)
            {
                ws.Layer = l;
                SelfAttention(ws, _layers[l], n);
                CrossAttention(ws, _layers[l], n);
                FeedForward(ws, _layers[l], n);
            }
            Heads(ws, rows, logits);
            foreach (var row in rows) { row.Stream.Length += row.Stream.Pending; row.Stream.Pending = 0; }
        }
        finally
        {
            foreach (var row in rows) row.Stream.Pending = 0;
            Array.Clear(ws.RowStreams);
        }
    }

    /// <summary>h = Σ_q E_q[token_q] + PE(position).</summary>
    void Embed(LmWorkspace ws, ReadOnlySpan<LmRow> rows)
    {
        int dim = Dims.Dim;
        for (int r = 0; r < rows.Length; r++)
        {
            var h = ws.Hidden.Span.Slice(r * dim, dim);
            var scratch = ws.Normed.Span.Slice(r * dim, dim);   // free until the first layer normalises
            h.Clear();
            for (int q = 0; q < Dims.Codebooks; q++)
                _tokenEmbeddings[q].AddRow(rows[r].Token(q), h, scratch);
            _positions.AddTo(rows[r].Position, h);
        }
    }

    /// <summary>h += Wo · softmax(q·kᵀ/8 causal) · v, with q, k, v from LN(h); k and v appended to the cache.</summary>
    void SelfAttention(LmWorkspace ws, LmLayer layer, int rows)
    {
        int dim = Dims.Dim, width = Dims.AttentionDim;
        Normalize(ws, layer.SelfNorm, rows);
        ws.Linear.Run(ws.Normed.Pointer, dim, rows, layer.SelfQkv, ws.Qkv.Pointer, 3 * width, LinearOutput.Store);
        for (int r = 0; r < rows; r++)
        {
            var stream = ws.RowStreams[r];
            var qkv = ws.Qkv.Span.Slice(r * 3 * width, 3 * width);
            for (int h = 0, hd = Dims.HeadDim; h < Dims.Heads; h++)
                stream.Store(ws.Layer, h, ws.Slots[r], qkv.Slice(width + h * hd, hd), qkv.Slice(2 * width + h * hd, hd));
        }
        // a prefill's rows over a bfloat16 or int8 cache attend together; a decode step's (and float32's) row by row
        if (rows <= LmWorkspace.DecodeRows || !ws.AttendCausalRows(rows)) ws.Pool.Run(ws.SelfAttention, rows * Dims.Heads);
        ws.Linear.Run(ws.Attended.Pointer, width, rows, layer.SelfOut, ws.Hidden.Pointer, dim, LinearOutput.Accumulate);
    }

    /// <summary>
    /// h += Wo' · softmax(q'·k'ᵀ/8) · v' over the stream's text; skipped (adds exactly 0) when no row has text. A decode
    /// step or prefill over folded text (see <see cref="AttachText"/>) reads the folded rows instead of Wq' and Wo'.
    /// </summary>
    void CrossAttention(LmWorkspace ws, LmLayer layer, int rows)
    {
        bool anyText = false, allFolded = true;
        for (int r = 0; r < rows; r++)
        {
            var stream = ws.RowStreams[r];
            anyText |= stream.TextLength > 0;
            allFolded &= stream.TextLength == 0 || stream.TextFolded;
        }
        if (!anyText) return;
        int dim = Dims.Dim, width = Dims.AttentionDim;
        Normalize(ws, layer.CrossNorm, rows);
        if (allFolded)
        {
            if (rows <= LmWorkspace.DecodeRows)
            {
                // a decode step: each row's heads split between the workers
                ws.Pool.Run(ws.FoldedTextAttention, rows * ws.HeadGroups);
                ws.AddFoldedText(rows);
            }
            else ws.AttendFoldedTextRows(rows);
            return;
        }
        ws.Linear.Run(ws.Normed.Pointer, dim, rows, layer.CrossQuery, ws.Qkv.Pointer, width, LinearOutput.Store);
        ws.Pool.Run(ws.TextAttention, rows * Dims.Heads);
        ws.Linear.Run(ws.Attended.Pointer, width, rows, layer.CrossOut, ws.Hidden.Pointer, dim, LinearOutput.Accumulate);
    }

    /// <summary>h += W2 · GELU(W1 · LN(h)).</summary>
    void FeedForward(LmWorkspace ws, LmLayer layer, int rows)
    {
        int dim = Dims.Dim, ffn = Dims.FfnDim;
        Normalize(ws, layer.FfnNorm, rows);
        ws.Linear.Run(ws.Normed.Pointer, dim, rows, layer.FfnIn, ws.FeedForward.Pointer, ffn, LinearOutput.Gelu);
        ws.Linear.Run(ws.FeedForward.Pointer, ffn, rows, layer.FfnOut, ws.Hidden.Pointer, dim, LinearOutput.Accumulate);
    }

    /// <summary>logits_q = W_q · LN_final(h) for the rows that want them.</summary>
    void Heads(LmWorkspace ws, ReadOnlySpan<LmRow> rows, Span<float> logits)
    {
        int dim = Dims.Dim, wanted = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            if (!rows[r].WantsLogits) continue;
            Norms.LayerNorm(ws.Hidden.Span.Slice(r * dim, dim), ws.Normed.Span.Slice(wanted * dim, dim), dim, _finalNorm.Weight, _finalNorm.Bias, NormEps);
            wanted++;
        }
        if (wanted == 0) return;
        fixed (float* y = logits)
            ws.Linear.Run(ws.Normed.Pointer, dim, wanted, _heads, y, LogitsPerRow, LinearOutput.Store);
    }

    void Normalize(LmWorkspace ws, Norm norm, int rows)
    {
        int dim = Dims.Dim;
        Norms.LayerNorm(ws.Hidden.Span[..(rows * dim)], ws.Normed.Span[..(rows * dim)], dim, norm.Weight, norm.Bias, NormEps);
    }

    // ---- Text conditioning ----

    /// <summary>
    /// Gives <paramref name="stream"/> the projected T5 states <c>[length, TextDim]</c> to cross-attend to
    /// (every token attended: STAGE's conditional row is unpadded). An empty text is the null condition.
    /// <para>
    /// Below float32, each layer's cross-attention query and output projections are also folded into the text
    /// (<see cref="TextFolding"/>) when that reads fewer bytes per step: a prompt of 20 tokens, 1.3 MB a layer instead of
    /// bf16's 4 MB. Float32 keeps STAGE's order of operations, so its results stay those of the reference.
    /// </para>
    /// </summary>
    public void AttachText(LmWorkspace ws, LmStream stream, ReadOnlySpan<float> text, int length)
    {
        if (length < 0 || text.Length != length * Dims.TextDim)
            throw new ArgumentException($"text states must be [{length}, {Dims.TextDim}], got {text.Length} floats", nameof(text));
        if (length > ws.MaxSteps)
            throw new ArgumentException($"text of {length} tokens exceeds the workspace's {ws.MaxSteps} attention steps", nameof(text));
        stream.TextLength = 0;
        if (length == 0) return;
        stream.EnsureText(length);
        int width = Dims.AttentionDim;
        fixed (float* x = text)
            for (int l = 0; l < _layers.Length; l++)
            {
                ws.Linear.Run(x, Dims.TextDim, length, _layers[l].CrossKey, stream.TextKeys![l].Pointer, width, LinearOutput.Store);
                ws.Linear.Run(x, Dims.TextDim, length, _layers[l].CrossValue, stream.TextValues![l].Pointer, width, LinearOutput.Store);
            }
        // used once per prompt: where the LM is mapped from its converted file, these two matrices (75 MB at bf16) leave the
        // working set until the next prompt (and with the text folded, the query and output projections too)
        for (int l = 0; l < _layers.Length; l++)
        {
            _layers[l].CrossKey.LeaveWorkingSet();
            _layers[l].CrossValue.LeaveWorkingSet();
        }
        stream.TextFolded = false;
        if (FoldsText(length))
        {
            stream.EnsureFoldedText(length);
            stream.FoldedStride = length;
            for (int l = 0; l < _layers.Length; l++)
            {
                TextFolding.Fold(ws.Pool, Dims, _layers[l].CrossQuery, _layers[l].CrossOut, stream, l, length);
                // read again only to fold the next prompt, or for a stream whose text is not folded
                _layers[l].CrossQuery.LeaveWorkingSet();
                _layers[l].CrossOut.LeaveWorkingSet();
            }
            stream.TextFolded = true;
        }
        stream.TextLength = length;
    }

    /// <summary>Whether a text of <paramref name="length"/> tokens is folded: below float32, where it reads fewer bytes per step.</summary>
    bool FoldsText(int length) =>
        Precision != Gpu.WeightPrecision.Float32 && TextFolding.Pays(Dims, _layers[0].CrossQuery, _layers[0].CrossOut, length);

    // ---- Checks ----

    void CheckRows(LmWorkspace ws, ReadOnlySpan<LmRow> rows, Span<float> logits)
    {
        if (ws.Dims != Dims) throw new ArgumentException("workspace was made for another model size", nameof(ws));
        if (rows.Length > ws.MaxRows) throw new ArgumentException($"{rows.Length} rows exceed the workspace's {ws.MaxRows}", nameof(rows));
        int wanted = 0;
        foreach (var row in rows)
        {
            if (row.Stream is null) throw new ArgumentException("row without a stream", nameof(rows));
            if (row.Stream.Dims != Dims) throw new ArgumentException("stream was made for another model size", nameof(rows));
            for (int q = 0; q < Dims.Codebooks; q++)
                if ((uint)row.Token(q) >= (uint)Dims.InputCard)
                    throw new ArgumentException($"token {row.Token(q)} of codebook {q} is outside 0..{Dims.InputCard - 1}", nameof(rows));
            if (row.Position < 0) throw new ArgumentException($"negative position {row.Position}", nameof(rows));
            if (row.WantsLogits) wanted++;
        }
        if (logits.Length < wanted * LogitsPerRow)
            throw new ArgumentException($"{wanted} rows want logits: need {wanted * LogitsPerRow} floats, got {logits.Length}", nameof(logits));
    }

    static void AssignSlots(LmWorkspace ws, ReadOnlySpan<LmRow> rows)
    {
        if (ws.RowStreams.Length < ws.MaxRows) ws.RowStreams = new LmStream[ws.MaxRows];
        foreach (var row in rows) row.Stream.Pending = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var stream = rows[r].Stream;
            int slot = stream.Length + stream.Pending++;
            if (slot >= stream.Capacity)
            {
                foreach (var row in rows) row.Stream.Pending = 0;
                throw new InvalidOperationException($"stream is full: {stream.Capacity} steps");
            }
            if (slot >= ws.MaxSteps)
            {
                foreach (var row in rows) row.Stream.Pending = 0;
                throw new InvalidOperationException($"step {slot + 1} exceeds the workspace's {ws.MaxSteps} attention steps");
            }
            ws.Slots[r] = slot;
            ws.RowStreams[r] = stream;
        }
    }

    // ---- Weights ----

    internal sealed record Norm(float[] Weight, float[] Bias);

    internal sealed record LmLayer(
        Norm SelfNorm, RowWeights SelfQkv, RowWeights SelfOut,
        Norm CrossNorm, RowWeights CrossQuery, RowWeights CrossKey, RowWeights CrossValue, RowWeights CrossOut,
        Norm FfnNorm, RowWeights FfnIn, RowWeights FfnOut);

    /// <summary>
    /// Reads the LM from a STAGE checkpoint (<see cref="StageCheckpointLayout.Lm"/> names), sizes taken from the tensor
    /// shapes. Each matrix is turned into <paramref name="precision"/>'s storage as soon as it is read, through one reused
    /// float32 buffer per shape, so memory peaks at the stored weights plus those few buffers (no float32 garbage waiting
    /// for a collection: that alone put bf16 drums over 1.7 GB). With <paramref name="converted"/> (a
    /// <see cref="ConvertedLm"/> file made from this checkpoint at this precision) the matrices are used where that file
    /// is mapped, with no conversion, and the checkpoint gives only the embeddings and norms.
    /// </summary>
    public static MusicGenLm Load(SafetensorsFile file, Gpu.WeightPrecision precision = Gpu.WeightPrecision.Float32, SafetensorsFile? converted = null)
    {
        var staging = new MatrixStaging(precision);
        // A stored matrix: the converted file's, or the checkpoint's tensors (each [rows, cols]) stacked and converted.
        RowWeights Matrix(string convertedName, int cols, params (string Name, int Rows)[] parts)
        {
            int rows = 0;
            foreach (var part in parts) rows += part.Rows;
            if (converted is not null) return ConvertedLm.Matrix(converted, convertedName, rows, cols, precision);
            var buffer = staging.Buffer(rows, cols);
            int at = 0;
            foreach (var part in parts)
            {
                ReadInto(file, part.Name, buffer.Slice(at * cols, part.Rows * cols), part.Rows, cols);
                at += part.Rows;
            }
            return staging.Store();
        }

        var embedding0 = file.Entry(L.TokenEmbedding(0));
        var q0 = file.Entry(L.SelfAttention(0, "to_q"));
        var ffn0 = file.Entry(L.FeedForwardIn(0));
        var crossK0 = file.Entry(L.CrossAttention(0, "to_k"));
        var head0 = file.Entry(L.OutputHead(0));
        int layers = 0;
        while (file.Contains(L.SelfAttention(layers, "to_q"))) layers++;
        int codebooks = 0;
        while (file.Contains(L.TokenEmbedding(codebooks))) codebooks++;
        if (embedding0.Shape.Length != 2 || q0.Shape.Length != 2 || ffn0.Shape.Length != 2 || crossK0.Shape.Length != 2 || head0.Shape.Length != 2)
            throw new CheckpointException($"{file.Path}: LM weights must be matrices");
        int dim = embedding0.Shape[1], inputCard = embedding0.Shape[0], width = q0.Shape[0];
        const int headDim = 64; // STAGE's MusicgenLm hard-codes attn_dim_head=64
        if (width % headDim != 0)
            throw new CheckpointException($"{file.Path}: attention width {width} is not a multiple of STAGE's head dimension {headDim}");
        if (codebooks != 4)
            throw new CheckpointException($"{file.Path}: STAGE's LM has 4 codebook embeddings, found {codebooks}");
        var dims = new LmDimensions(dim, layers, width / headDim, headDim, ffn0.Shape[0], codebooks, inputCard, head0.Shape[0], crossK0.Shape[1]);

        var embeddings = new EmbeddingTable[codebooks];
        for (int q = 0; q < codebooks; q++) embeddings[q] = EmbeddingTable.InFile(file, L.TokenEmbedding(q), inputCard, dim);

        var blocks = new LmLayer[layers];
        for (int l = 0; l < layers; l++)
        {
            string Name(string matrix) => ConvertedLm.MatrixName(l, matrix);
            blocks[l] = new LmLayer(
                ReadNorm(file, L.SelfAttentionNorm(l), dim),
                Matrix(Name("self_qkv"), dim, (L.SelfAttention(l, "to_q"), width), (L.SelfAttention(l, "to_k"), width), (L.SelfAttention(l, "to_v"), width)),
                Matrix(Name("self_out"), width, (L.SelfAttention(l, "to_out"), dim)),
                ReadNorm(file, L.CrossAttentionNorm(l), dim),
                Matrix(Name("cross_q"), dim, (L.CrossAttention(l, "to_q"), width)),
                Matrix(Name("cross_k"), dims.TextDim, (L.CrossAttention(l, "to_k"), width)),
                Matrix(Name("cross_v"), dims.TextDim, (L.CrossAttention(l, "to_v"), width)),
                Matrix(Name("cross_out"), width, (L.CrossAttention(l, "to_out"), dim)),
                ReadNorm(file, L.FeedForwardNorm(l), dim),
                Matrix(Name("ffn_in"), dim, (L.FeedForwardIn(l), dims.FfnDim)),
                Matrix(Name("ffn_out"), dims.FfnDim, (L.FeedForwardOut(l), dim)));
        }

        var headParts = new (string, int)[codebooks];
        for (int q = 0; q < codebooks; q++) headParts[q] = (L.OutputHead(q), dims.Card);
        var heads = Matrix(ConvertedLm.HeadsName, dim, headParts);
        if (converted is not null && converted.Names.Count != ConvertedLm.TensorCount(layers, precision))
            throw new CheckpointException($"{converted.Path}: holds {converted.Names.Count} tensors, not the {ConvertedLm.TensorCount(layers, precision)} of this LM");
        return new MusicGenLm(dims, embeddings, blocks, ReadNorm(file, L.FinalNorm, dim), heads, converted);
    }

    /// <summary>
    /// Where a float32 matrix is put before it is stored. As float32 it is a new pinned buffer that becomes the stored
    /// matrix; below float32, one ordinary array per length, reused, that the conversion reads: staged on the pinned heap,
    /// those buffers left holes there after the load that no collection can close.
    /// </summary>
    sealed class MatrixStaging(Gpu.WeightPrecision precision)
    {
        readonly Dictionary<long, float[]> _buffers = [];
        PinnedFloats? _float32;
        float[]? _staged;
        int _rows, _cols;

        /// <summary>The buffer for the next matrix, <c>[rows, cols]</c>, to fill before <see cref="Store"/>.</summary>
        public Span<float> Buffer(int rows, int cols)
        {
            long length = (long)rows * cols;
            (_rows, _cols) = (rows, cols);
            if (precision == Gpu.WeightPrecision.Float32) return (_float32 = new PinnedFloats(length)).Span;
            if (!_buffers.TryGetValue(length, out _staged)) _buffers[length] = _staged = new float[length];
            return _staged;
        }

        /// <summary>The filled buffer as stored weights.</summary>
        public RowWeights Store() => precision switch
        {
            Gpu.WeightPrecision.Float32 => new RowWeights(_float32!, _rows, _cols),
            Gpu.WeightPrecision.BFloat16 => RowWeights.BFloat16From(_staged, _rows, _cols),
            Gpu.WeightPrecision.Int8 => RowWeights.Int8From(_staged, _rows, _cols),
            _ => throw new ArgumentException($"the CPU engine stores the LM as f32, bf16 or int8, not {Gpu.WeightPrecisions.Name(precision)}", nameof(precision)),
        };
    }

    static void ReadInto(SafetensorsFile file, string name, Span<float> destination, int rows, int cols)
    {
        var entry = file.Entry(name);
        if (entry.Shape.Length != 2 || entry.Shape[0] != rows || entry.Shape[1] != cols)
            throw new CheckpointException($"{file.Path}: tensor '{name}' has shape {entry.ShapeText}, expected [{rows}, {cols}]");
        file.ReadFloat32(entry, destination);
    }

    static Norm ReadNorm(SafetensorsFile file, string module, int dim) =>
        new(file.ReadFloat32(module + ".weight", dim), file.ReadFloat32(module + ".bias", dim));

    /// <summary>An LM of the given size with random weights (for benchmarks; no file), its matrices stored in <paramref name="precision"/> as made.</summary>
    public static MusicGenLm CreateRandom(LmDimensions dims, int seed, Gpu.WeightPrecision precision = Gpu.WeightPrecision.Float32)
    {
        var staging = new MatrixStaging(precision);
        var random = new Random(seed);
        void Fill(Span<float> values, int cols)
        {
            float scale = 1f / MathF.Sqrt(cols);
            for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        }
        EmbeddingTable Embedding()
        {
            var table = new float[dims.InputCard * dims.Dim];
            Fill(table, dims.Dim);
            return EmbeddingTable.InMemory(table, dims.InputCard, dims.Dim);
        }
        RowWeights Matrix(int rows, int cols)
        {
            Fill(staging.Buffer(rows, cols), cols);
            return staging.Store();
        }
        Norm UnitNorm()
        {
            var w = new float[dims.Dim];
            Array.Fill(w, 1f);
            return new Norm(w, new float[dims.Dim]);
        }
        int width = dims.AttentionDim;
        var embeddings = new EmbeddingTable[dims.Codebooks];
        for (int q = 0; q < dims.Codebooks; q++) embeddings[q] = Embedding();
        var blocks = new LmLayer[dims.Layers];
        for (int l = 0; l < dims.Layers; l++)
            blocks[l] = new LmLayer(UnitNorm(), Matrix(3 * width, dims.Dim), Matrix(dims.Dim, width),
                UnitNorm(), Matrix(width, dims.Dim), Matrix(width, dims.TextDim), Matrix(width, dims.TextDim), Matrix(dims.Dim, width),
                UnitNorm(), Matrix(dims.FfnDim, dims.Dim), Matrix(dims.Dim, dims.FfnDim));
        return new MusicGenLm(dims, embeddings, blocks, UnitNorm(), Matrix(dims.Codebooks * dims.Card, dims.Dim));
    }
}

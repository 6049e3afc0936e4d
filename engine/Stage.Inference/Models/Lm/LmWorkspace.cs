using Stage.Inference.Kernels;

namespace Stage.Inference.Models.Lm;

/// <summary>
/// Scratch for one forward call of up to <see cref="MaxRows"/> rows, allocated once (pinned) so that a
/// decode step allocates nothing. Also holds the per-call kernel jobs. Not thread-safe: one per generation.
/// </summary>
public sealed class LmWorkspace
{
    public LmWorkspace(LmDimensions dims, int maxRows, int maxSteps, WorkerPool? pool = null)
    {
        if (maxRows < 1) throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, "at least one row");
        if (maxSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "at least one step");
        Dims = dims;
        MaxRows = maxRows;
        MaxSteps = maxSteps;
        Pool = pool ?? WorkerPool.Shared;
        int wide = Math.Max(dims.Dim, dims.AttentionDim);
        Hidden = new PinnedFloats((long)maxRows * dims.Dim);
        Normed = new PinnedFloats((long)maxRows * dims.Dim);
        Qkv = new PinnedFloats((long)maxRows * 3 * dims.AttentionDim);
        Attended = new PinnedFloats((long)maxRows * wide);
        FeedForward = new PinnedFloats((long)maxRows * dims.FfnDim);
        Slots = new int[maxRows];
        Scores = new float[Pool.Workers][];
        for (int w = 0; w < Scores.Length; w++) Scores[w] = new float[maxSteps];
        Linear = new RowsLinear(Pool);
        SelfAttention = new SelfAttentionJob(this);
        TextAttention = new TextAttentionJob(this);
        HeadGroups = Math.Min(Pool.Workers, dims.Heads);
        FoldedPartials = new PinnedFloats((long)HeadGroups * DecodeRows * dims.Dim);
        FoldedTextAttention = new FoldedTextAttentionJob(this);
        FoldedTextRows = new FoldedTextRows(Pool);
        CausalRows = new CausalAttentionRows(Pool);
    }

    /// <summary>
    /// Calls of at most this many rows are decode steps: over folded text each row's heads are split between the workers.
    /// Longer calls are a prefill, whose attention goes through the blocked kernels (<see cref="AttendFoldedTextRows"/>,
    /// <see cref="AttendCausalRows"/>).
    /// </summary>
    internal const int DecodeRows = 16;

    /// <summary>Folded cross-attention splits a row's heads into this many groups, one chunk each.</summary>
    internal readonly int HeadGroups;

    // [group, row, Dim]: each head group's share of a row's cross-attention output
    internal readonly PinnedFloats FoldedPartials;
    internal readonly FoldedTextAttentionJob FoldedTextAttention;
    internal readonly FoldedTextRows FoldedTextRows;
    internal readonly CausalAttentionRows CausalRows;

    /// <summary>h += the head groups' shares of the folded cross-attention, row by row.</summary>
    internal unsafe void AddFoldedText(int rows)
    {
        int dim = Dims.Dim;
        for (int g = 0; g < HeadGroups; g++)
            for (int r = 0; r < rows; r++)
            {
                var h = Hidden.Span.Slice(r * dim, dim);
                System.Numerics.Tensors.TensorPrimitives.Add(h, FoldedPartials.Span.Slice((g * DecodeRows + r) * dim, dim), h);
            }
    }

    public LmDimensions Dims { get; }
    public int MaxRows { get; }

    /// <summary>Longest stream (self-attention) or text (cross-attention) this workspace can attend over.</summary>
    public int MaxSteps { get; }
    public WorkerPool Pool { get; }

    internal readonly PinnedFloats Hidden, Normed, Qkv, Attended, FeedForward;
    internal readonly int[] Slots;
    internal readonly float[][] Scores;
    internal readonly RowsLinear Linear;
    internal readonly SelfAttentionJob SelfAttention;
    internal readonly TextAttentionJob TextAttention;

    /// <summary>The rows of the call in progress (valid only inside <see cref="MusicGenLm.Forward"/>).</summary>
    internal LmStream[] RowStreams = [];
    internal int Layer;

    /// <summary>
    /// A prefill's causal self-attention over bfloat16 or int8 caches: each run of consecutive rows of one stream at
    /// consecutive slots goes through <see cref="CausalAttentionRows"/> together. False (nothing done) when a row's cache
    /// is float32, which keeps the row-by-row <see cref="SelfAttention"/> and STAGE's order of operations.
    /// </summary>
    internal unsafe bool AttendCausalRows(int rows)
    {
        for (int r = 0; r < rows; r++)
            if (RowStreams[r].Precision == CachePrecision.Float32) return false;
        int width = Dims.AttentionDim, hd = Dims.HeadDim;
        float scale = 1f / MathF.Sqrt(hd);
        for (int first = 0, end; first < rows; first = end)
        {
            var stream = RowStreams[first];
            for (end = first + 1; end < rows && RowStreams[end] == stream && Slots[end] == Slots[first] + end - first;) end++;
            float* q = Qkv.Pointer + (long)first * 3 * width, output = Attended.Pointer + (long)first * width;
            if (stream.Precision == CachePrecision.BFloat16)
                CausalRows.Attend(q, 3 * width, end - first, Slots[first], stream.KeysBFloat16(Layer), stream.ValuesBFloat16(Layer),
                    stream.HeadOffset(1), Dims.Heads, hd, scale, output, width);
            else
                CausalRows.Attend(q, 3 * width, end - first, Slots[first], stream.KeysInt8(Layer), stream.KeyScales![Layer].Pointer,
                    stream.ValuesInt8(Layer), stream.ValueScales![Layer].Pointer, stream.HeadOffset(1), stream.ScaleOffset(1), Dims.Heads, hd,
                    scale, output, width);
        }
        return true;
    }

    /// <summary>Causal self-attention of every (row, head) over its stream's cache up to its own slot.</summary>
    internal sealed class SelfAttentionJob(LmWorkspace ws) : IChunkedWork
    {
        public void RunChunk(int chunk, int worker)
        {
            var d = ws.Dims;
            int r = chunk / d.Heads, h = chunk % d.Heads;
            int width = d.AttentionDim, hd = d.HeadDim;
            var stream = ws.RowStreams[r];
            int length = ws.Slots[r] + 1;
            var query = ws.Qkv.Span.Slice(r * 3 * width + h * hd, hd);
            var output = ws.Attended.Span.Slice(r * width + h * hd, hd);
            float scale = 1f / MathF.Sqrt(hd);
            if (stream.Precision != CachePrecision.Float32)
            {
                unsafe
                {
                    int cached = length * hd;
                    if (stream.Precision == CachePrecision.BFloat16)
                    {
                        var k = new ReadOnlySpan<ushort>(stream.KeysBFloat16(ws.Layer) + stream.HeadOffset(h), cached);
                        var v = new ReadOnlySpan<ushort>(stream.ValuesBFloat16(ws.Layer) + stream.HeadOffset(h), cached);
                        CachedCausalAttention.Attend(query, k, v, length, scale, ws.Scores[worker], output);
                        return;
                    }
                    var k8 = new ReadOnlySpan<sbyte>(stream.KeysInt8(ws.Layer) + stream.HeadOffset(h), cached);
                    var v8 = new ReadOnlySpan<sbyte>(stream.ValuesInt8(ws.Layer) + stream.HeadOffset(h), cached);
                    var keyScales = stream.KeyScales![ws.Layer].Span.Slice(stream.ScaleOffset(h), length);
                    var valueScales = stream.ValueScales![ws.Layer].Span.Slice(stream.ScaleOffset(h), length);
                    CachedCausalAttention.Attend(query, k8, keyScales, v8, valueScales, length, scale, ws.Scores[worker], output);
                }
                return;
            }
            var keys = stream.Keys[ws.Layer].Span[stream.HeadOffset(h)..];
            var values = stream.Values[ws.Layer].Span[stream.HeadOffset(h)..];
            CachedCausalAttention.Attend(query, keys, values, hd, length, scale, ws.Scores[worker], output);
        }
    }

    /// <summary>Cross-attention of every (row, head group) over its stream's folded text, into the group's share; rows without text get zeros.</summary>
    internal sealed unsafe class FoldedTextAttentionJob(LmWorkspace ws) : IChunkedWork
    {
        public void RunChunk(int chunk, int worker)
        {
            int r = chunk / ws.HeadGroups, g = chunk % ws.HeadGroups, dim = ws.Dims.Dim, heads = ws.Dims.Heads;
            float* share = ws.FoldedPartials.Pointer + (long)(g * DecodeRows + r) * dim;
            new Span<float>(share, dim).Clear();
            ws.AttendFoldedText(r, g * heads / ws.HeadGroups, (g + 1) * heads / ws.HeadGroups, share, worker);
        }
    }

    /// <summary>
    /// h += cross-attention over the folded text for a prefill's many rows: each run of consecutive rows of one stream
    /// goes through <see cref="Kernels.FoldedTextRows"/> together.
    /// </summary>
    internal unsafe void AttendFoldedTextRows(int rows)
    {
        int dim = Dims.Dim;
        for (int first = 0, end; first < rows; first = end)
        {
            var stream = RowStreams[first];
            for (end = first + 1; end < rows && RowStreams[end] == stream;) end++;
            if (stream.TextLength == 0) continue;
            FoldedTextRows.Attend(Normed.Pointer + (long)first * dim, dim, end - first, stream.FoldedKeysOf(Layer), stream.FoldedValuesOf(Layer),
                Dims.Heads, stream.TextLength, dim, 1f / MathF.Sqrt(Dims.HeadDim), Hidden.Pointer + (long)first * dim, dim);
        }
    }

    /// <summary>y += row <paramref name="r"/>'s cross-attention over its folded text through heads <c>[from, to)</c>; nothing without text.</summary>
    unsafe void AttendFoldedText(int r, int from, int to, float* y, int worker)
    {
        var stream = RowStreams[r];
        if (stream.TextLength == 0) return;
        int dim = Dims.Dim;
        float* x = Normed.Pointer + (long)r * dim;
        long perHead = (long)stream.FoldedStride * dim;
        ushort* keys = stream.FoldedKeysOf(Layer), values = stream.FoldedValuesOf(Layer);
        for (int h = from; h < to; h++)
            Kernels.FoldedTextAttention.Attend(x, keys + h * perHead, values + h * perHead, stream.TextLength, dim, 1f / MathF.Sqrt(Dims.HeadDim),
                Scores[worker], y);
    }

    /// <summary>Cross-attention of every (row, head) over its stream's text; rows without text get zeros.</summary>
    internal sealed class TextAttentionJob(LmWorkspace ws) : IChunkedWork
    {
        public void RunChunk(int chunk, int worker)
        {
            var d = ws.Dims;
            int r = chunk / d.Heads, h = chunk % d.Heads;
            int width = d.AttentionDim, hd = d.HeadDim;
            var stream = ws.RowStreams[r];
            var output = ws.Attended.Span.Slice(r * width + h * hd, hd);
            if (stream.TextLength == 0)
            {
                output.Clear();
                return;
            }
            var query = ws.Qkv.Span.Slice(r * width + h * hd, hd);
            var keys = stream.TextKeys![ws.Layer].Span[(h * hd)..];
            var values = stream.TextValues![ws.Layer].Span[(h * hd)..];
            CachedCausalAttention.Attend(query, keys, values, width, stream.TextLength, 1f / MathF.Sqrt(hd), ws.Scores[worker], output);
        }
    }
}

using ILGPU;
using ILGPU.Algorithms;

namespace Stage.Inference.Gpu;

/// <summary>
/// The LM's operations as ILGPU kernels, the same math as the CPU kernels (<c>Kernels/RowsLinear</c>,
/// <c>Kernels/Norms</c>, <c>Kernels/CachedCausalAttention</c>, <c>Generation/TopKSampler</c>) in an order a
/// GPU can run in parallel. The grouped kernels (<see cref="Linear"/>, <see cref="Attention"/>) give one thread
/// group to one output and let its threads stride over the sum; the group size (a power of two ≤
/// <see cref="MaxGroup"/>) is the launcher's choice: 128 on a GPU, 1 on ILGPU's CPU accelerator, whose barriers
/// are slow. Sums are float32 in a fixed order for a given group size, so a device reproduces itself.
/// </summary>
static class LmKernels
{
    public const int MaxGroup = 256;

    /// <summary>hidden[r, c] = Σ_q E_q[token(r, q), c] + PE[position(r), c] (the CPU's order: codebooks 0..3, then the position).</summary>
    public static void Embed(Index1D i, ArrayView<int> rowInts, RowLayout rows, ArrayView<float> embeddings, ArrayView<float> positionTable,
        ArrayView<float> hidden, int dim, int inputCard)
    {
        int r = i / dim, c = i % dim;
        float h = 0;
        for (int q = 0; q < 4; q++)
            h += embeddings[((long)q * inputCard + rowInts[rows.Tokens + 4 * r + q]) * dim + c];
        hidden[i] = h + positionTable[(long)rowInts[rows.Positions + r] * dim + c];
    }

    /// <summary>
    /// y[r] = LayerNorm(x[source(r)]) with a bias; mean and variance by compensated float sums (the CPU sums in
    /// double; fp64 is missing or slow on many GPUs). <paramref name="sourceRowsAt"/> &lt; 0 means row r reads row r.
    /// </summary>
    public static void LayerNorm(Index1D r, ArrayView<float> x, ArrayView<float> y, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<int> rowInts, int sourceRowsAt, int dim, float eps)
    {
        int row = r;
        long src = (long)(sourceRowsAt < 0 ? row : rowInts[sourceRowsAt + row]) * dim, dst = (long)row * dim;
        float sum = 0, carry = 0;
        for (int i = 0; i < dim; i++) Kahan(ref sum, ref carry, x[src + i]);
        float mean = sum / dim;
        float sq = 0;
        carry = 0;
        for (int i = 0; i < dim; i++) { float d = x[src + i] - mean; Kahan(ref sq, ref carry, d * d); }
        float inv = 1f / XMath.Sqrt(sq / dim + eps);
        for (int i = 0; i < dim; i++) y[dst + i] = (x[src + i] - mean) * inv * weight[i] + bias[i];
    }

    static void Kahan(ref float sum, ref float carry, float value)
    {
        float y = value - carry;
        float t = sum + y;
        carry = t - sum - y;
        sum = t;
    }

    /// <summary>
    /// y[r, o] (=, +=, = GELU of) Σ_i x[r, i]·W[o, i], W in PyTorch's [out, in] layout, float32 weights.
    /// Group g computes output (o = g mod out, r = g / out), its threads striding over i.
    /// </summary>
    public static void Linear(ArrayView<float> x, ArrayView<float> w, ArrayView<float> y, LinearShape shape)
    {
        var partial = SharedMemory.Allocate<float>(MaxGroup);
        int g = Grid.IdxX, lane = Group.IdxX, size = Group.DimX;
        int o = g % shape.Out, r = g / shape.Out;
        long xRow = (long)r * shape.XStride, wRow = (long)o * shape.In;
        float s = 0;
        for (int i = lane; i < shape.In; i += size) s += x[xRow + i] * w[wRow + i];
        float total = GroupSum(partial, s, lane, size);
        if (lane == 0) Store(y, (long)r * shape.YStride + o, total, shape.Mode);
    }

    /// <summary><see cref="Linear"/> with 16-bit weights (bf16 or f16 bits, <see cref="LinearShape.Weights"/>), float32 sums.</summary>
    public static void Linear16(ArrayView<float> x, ArrayView<ushort> w, ArrayView<float> y, LinearShape shape)
    {
        var partial = SharedMemory.Allocate<float>(MaxGroup);
        int g = Grid.IdxX, lane = Group.IdxX, size = Group.DimX;
        int o = g % shape.Out, r = g / shape.Out;
        long xRow = (long)r * shape.XStride, wRow = (long)o * shape.In;
        float s = 0;
        if (shape.Weights == WeightPrecision.BFloat16)
            for (int i = lane; i < shape.In; i += size) s += x[xRow + i] * HalfBits.BFloat16ToSingle(w[wRow + i]);
        else
            for (int i = lane; i < shape.In; i += size) s += x[xRow + i] * HalfBits.HalfToSingle(w[wRow + i]);
        float total = GroupSum(partial, s, lane, size);
        if (lane == 0) Store(y, (long)r * shape.YStride + o, total, shape.Mode);
    }

    static void Store(ArrayView<float> y, long at, float value, int mode)
    {
        if (mode == LinearShape.Accumulate) y[at] += value;
        else if (mode == LinearShape.Gelu) y[at] = Gelu(value);
        else y[at] = value;
    }

    // Kernels/Gelu's exact GELU with the same erf polynomial (Abramowitz & Stegun 7.1.26).
    internal static float Gelu(float x)
    {
        float z = x * 0.70710678118654752f;
        float a = XMath.Abs(z);
        float t = 1f / (1f + 0.3275911f * a);
        float poly = ((((1.061405429f * t + -1.453152027f) * t + 1.421413741f) * t + -0.284496736f) * t + 0.254829592f) * t;
        float r = 1f - poly * XMath.Exp(-(a * a));
        float erf = z < 0 ? -r : r;
        return x * 0.5f * (1f + erf);
    }

    /// <summary>Appends row r's k and v (columns width..3·width of its qkv row) at its slot of its stream's cache for one layer.</summary>
    public static void AppendKeysValues(Index1D i, ArrayView<float> qkv, ArrayView<float> keys, ArrayView<float> values,
        ArrayView<int> rowInts, RowLayout rows, long layerOffset, long streamStride, int width)
    {
        int r = i / width, c = i % width;
        int slot = rowInts[rows.SelfLengths + r] - 1;
        long at = layerOffset + rowInts[rows.Streams + r] * streamStride + (long)slot * width + c;
        long from = (long)r * 3 * width;
        keys[at] = qkv[from + width + c];
        values[at] = qkv[from + 2 * width + c];
    }

    /// <summary>
    /// softmax(q·Kᵀ·scale)·V for one (row, head) per group over the first length(r) steps of the row's stream
    /// (its own slot + 1 for self-attention, its text for cross-attention; 0 gives zeros), like
    /// <c>CachedCausalAttention.Attend</c>: maximum subtracted, probabilities normalised before the mix.
    /// </summary>
    public static void Attention(ArrayView<float> qkv, ArrayView<float> keys, ArrayView<float> values, ArrayView<int> rowInts,
        ArrayView<float> scores, ArrayView<float> output, AttentionShape shape)
    {
        var partial = SharedMemory.Allocate<float>(MaxGroup);
        int g = Grid.IdxX, lane = Group.IdxX, size = Group.DimX;
        int r = g / shape.Heads, h = g % shape.Heads, hd = shape.HeadDim, width = shape.Heads * hd;
        int length = rowInts[shape.LengthsAt + r];
        long outAt = (long)r * width + h * hd;
        if (length == 0)
        {
            for (int d = lane; d < hd; d += size) output[outAt + d] = 0;
            return;
        }
        long q = (long)r * shape.QueryStride + h * hd;
        long kv = shape.LayerOffset + rowInts[shape.StreamsAt + r] * shape.StreamStride + h * hd;
        long s0 = (long)g * shape.MaxSteps;

        float max = float.NegativeInfinity;
        for (int t = lane; t < length; t += size)
        {
            long k = kv + (long)t * width;
            float dot = 0;
            for (int d = 0; d < hd; d++) dot += qkv[q + d] * keys[k + d];
            float s = dot * shape.Scale;
            scores[s0 + t] = s;
            max = XMath.Max(max, s);
        }
        max = GroupMax(partial, max, lane, size);
        float sum = 0;
        for (int t = lane; t < length; t += size)
        {
            float e = XMath.Exp(scores[s0 + t] - max);
            scores[s0 + t] = e;
            sum += e;
        }
        sum = GroupSum(partial, sum, lane, size);
        for (int t = lane; t < length; t += size) scores[s0 + t] /= sum;
        Group.Barrier();
        for (int d = lane; d < hd; d += size)
        {
            float acc = 0;
            for (int t = 0; t < length; t++) acc += scores[s0 + t] * values[kv + (long)t * width + d];
            output[outAt + d] = acc;
        }
    }

    static float GroupSum(ArrayView<float> partial, float value, int lane, int size)
    {
        partial[lane] = value;
        Group.Barrier();
        for (int half = size / 2; half > 0; half /= 2)
        {
            if (lane < half) partial[lane] += partial[lane + half];
            Group.Barrier();
        }
        float total = partial[0];
        Group.Barrier();
        return total;
    }

    static float GroupMax(ArrayView<float> partial, float value, int lane, int size)
    {
        partial[lane] = value;
        Group.Barrier();
        for (int half = size / 2; half > 0; half /= 2)
        {
            if (lane < half) partial[lane] = XMath.Max(partial[lane], partial[lane + half]);
            Group.Barrier();
        }
        float total = partial[0];
        Group.Barrier();
        return total;
    }

    /// <summary>Scatters the wanted rows' logits (compact, in row order) to their streams' step logits.</summary>
    public static void ScatterLogits(Index1D i, ArrayView<float> logits, ArrayView<float> stepLogits, ArrayView<int> rowInts, int destinationsAt, int perRow)
    {
        int w = i / perRow, c = i % perRow;
        stepLogits[(long)rowInts[destinationsAt + w] * perRow + c] = logits[i];
    }

    /// <summary>guided_v = uncond + (cond − uncond)·g in <c>ClassifierFreeGuidance</c>'s operation order.</summary>
    public static void Guide(Index1D i, ArrayView<float> stepLogits, ArrayView<float> guided, int perRow, float guidance)
    {
        int v = i / perRow, c = i % perRow;
        float conditional = stepLogits[(long)2 * v * perRow + c], unconditional = stepLogits[(long)(2 * v + 1) * perRow + c];
        float difference = conditional - unconditional;
        float scaled = difference * guidance;
        guided[i] = scaled + unconditional;
    }

    /// <summary>
    /// <c>TopKSampler</c>'s rule for candidate v = i / 4, codebook q = i mod 4 with the host's uniform draw:
    /// greedy = first maximal logit; else softmax(logits / T), keep every probability ≥ the k-th largest,
    /// inverse CDF in token order over the kept mass. Float sums (the CPU's are double), so a rare near-tie
    /// may pick a neighbour of the CPU's token; greedy picks exactly the CPU's.
    /// </summary>
    public static void Sample(Index1D i, ArrayView<float> guided, ArrayView<float> probs, ArrayView<float> select,
        ArrayView<float> uniforms, ArrayView<int> tokens, SampleShape shape)
    {
        int card = shape.Card;
        long at = (long)(int)i * card;
        if (shape.Greedy != 0)
        {
            int best = 0;
            float bestValue = guided[at];
            for (int t = 1; t < card; t++)
                if (guided[at + t] > bestValue) { bestValue = guided[at + t]; best = t; }
            tokens[i] = best;
            return;
        }
        float max = float.NegativeInfinity;
        for (int t = 0; t < card; t++)
        {
            float p = shape.Temperature == 1f ? guided[at + t] : guided[at + t] / shape.Temperature;
            probs[at + t] = p;
            max = XMath.Max(max, p);
        }
        float sum = 0, carry = 0;
        for (int t = 0; t < card; t++)
        {
            float e = XMath.Exp(probs[at + t] - max);
            probs[at + t] = e;
            Kahan(ref sum, ref carry, e);
        }
        for (int t = 0; t < card; t++) probs[at + t] /= sum;

        float threshold = shape.TopK == 0 || shape.TopK >= card ? float.NegativeInfinity : KthLargest(probs, select, at, card, shape.TopK);
        float kept = 0;
        carry = 0;
        for (int t = 0; t < card; t++)
            if (probs[at + t] >= threshold) Kahan(ref kept, ref carry, probs[at + t]);
        float u = uniforms[i] * kept, cumulative = 0;
        int last = -1, token = -1;
        for (int t = 0; t < card && token < 0; t++)
        {
            float p = probs[at + t];
            if (p < threshold) continue;
            cumulative += p;
            last = t;
            if (u < cumulative) token = t;
        }
        tokens[i] = token >= 0 ? token : last;
    }

    /// <summary>The k-th largest of probs[at .. at+n) by <c>TopKSampler</c>'s three-way quickselect on a scratch copy.</summary>
    static float KthLargest(ArrayView<float> probs, ArrayView<float> a, long at, int n, int k)
    {
        for (int t = 0; t < n; t++) a[at + t] = probs[at + t];
        int lo = 0, hi = n - 1, target = k - 1;
        while (lo < hi)
        {
            float x = a[at + lo], y = a[at + lo + (hi - lo) / 2], z = a[at + hi];
            float pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
            int gt = lo, j = lo, lt = hi;
            while (j <= lt)
            {
                float v = a[at + j];
                if (v > pivot) { a[at + j] = a[at + gt]; a[at + gt] = v; gt++; j++; }
                else if (v < pivot) { a[at + j] = a[at + lt]; a[at + lt] = v; lt--; }
                else j++;
            }
            if (target < gt) hi = gt - 1;
            else if (target > lt) lo = lt + 1;
            else return pivot;
        }
        return a[at + lo];
    }
}

/// <summary>Where each per-row array starts in the small int buffer uploaded once per forward call.</summary>
public struct RowLayout
{
    public int Tokens, Positions, Streams, SelfLengths, TextLengths, HeadRows, HeadDestinations;
}

public struct LinearShape
{
    public const int Store = 0, Accumulate = 1, Gelu = 2;
    public int In, Out, XStride, YStride, Mode;
    public WeightPrecision Weights;
}

public struct AttentionShape
{
    public int Heads, HeadDim, QueryStride, MaxSteps, LengthsAt, StreamsAt;
    public long LayerOffset, StreamStride;
    public float Scale;
}

public struct SampleShape
{
    public int Card, TopK, Greedy;
    public float Temperature;
}

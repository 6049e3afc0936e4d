using System.Numerics.Tensors;

namespace Stage.Inference.Generation;

/// <summary>
/// STAGE's <c>sample_top_k</c> after its softmax: <c>probs = softmax(logits / T)</c>; the k-th largest
/// probability is the threshold and every probability ≥ it is kept (ties may keep more than k, exactly as
/// <c>probs ≥ topk(probs, k)[-1]</c>); the kept mass is renormalised and one token drawn by inverse CDF in
/// token order with one uniform draw. Top-k 1 or temperature 0 is greedy (first maximal logit, no draw);
/// top-k 0 or ≥ the card keeps every token. Reuses its buffers: no allocation per call.
/// </summary>
public sealed class TopKSampler
{
    readonly float[] _probs;
    readonly float[] _select;

    public TopKSampler(int card = ContextPrefix.Card)
    {
        _probs = new float[card];
        _select = new float[card];
    }

    /// <summary>Top-k 1 or temperature 0: the first maximal logit, no random draw.</summary>
    public static bool IsGreedy(int topK, float temperature) => topK == 1 || temperature == 0;

    public int Sample(ReadOnlySpan<float> logits, int topK, float temperature, Xoshiro256StarStar random) =>
        Sample(logits, topK, temperature, IsGreedy(topK, temperature) ? 0 : random.NextDouble());

    /// <summary>As above with the uniform draw <paramref name="uniform"/> in [0, 1) already made (a device samples
    /// with draws the host made in the same order); unread when greedy.</summary>
    public int Sample(ReadOnlySpan<float> logits, int topK, float temperature, double uniform)
    {
        if (logits.Length != _probs.Length)
            throw new ArgumentException($"expected {_probs.Length} logits, got {logits.Length}", nameof(logits));
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "top-k must be ≥ 0");
        if (!(temperature >= 0) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be finite and ≥ 0");
        if (IsGreedy(topK, temperature)) return TensorPrimitives.IndexOfMax(logits);

        Span<float> probs = _probs;
        if (temperature == 1f) logits.CopyTo(probs);
        else TensorPrimitives.Divide(logits, temperature, probs);
        float max = TensorPrimitives.Max(probs);
        TensorPrimitives.Subtract(probs, max, probs);
        TensorPrimitives.Exp(probs, probs);
        TensorPrimitives.Divide(probs, TensorPrimitives.Sum(probs), probs);

        float threshold = topK == 0 || topK >= probs.Length ? float.NegativeInfinity : KthLargest(probs, topK);
        double kept = 0;
        for (int i = 0; i < probs.Length; i++)
            if (probs[i] >= threshold) kept += probs[i];

        double u = uniform * kept;
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < probs.Length; i++)
        {
            if (probs[i] < threshold) continue;
            cumulative += probs[i];
            last = i;
            if (u < cumulative) return i;
        }
        return last; // u landed on the rounding slack at the very end of the kept mass
    }

    /// <summary>The k-th largest value (1-based), by three-way quickselect on a scratch copy.</summary>
    float KthLargest(ReadOnlySpan<float> values, int k)
    {
        Span<float> a = _select;
        values.CopyTo(a);
        int lo = 0, hi = a.Length - 1, target = k - 1; // index in descending order
        while (lo < hi)
        {
            float pivot = MedianOfThree(a[lo], a[lo + (hi - lo) / 2], a[hi]);
            // Partition descending: [lo, gt) > pivot, [gt, i) == pivot, (lt, hi] < pivot.
            int gt = lo, i = lo, lt = hi;
            while (i <= lt)
            {
                float v = a[i];
                if (v > pivot) { (a[gt], a[i]) = (a[i], a[gt]); gt++; i++; }
                else if (v < pivot) { (a[i], a[lt]) = (a[lt], a[i]); lt--; }
                else i++;
            }
            if (target < gt) hi = gt - 1;
            else if (target > lt) lo = lt + 1;
            else return pivot;
        }
        return a[lo];
    }

    static float MedianOfThree(float a, float b, float c) =>
        a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
}
